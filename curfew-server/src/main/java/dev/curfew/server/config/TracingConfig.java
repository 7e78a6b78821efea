package dev.curfew.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.util.Set;

/**
 * The {@code tracing} section: OpenTelemetry traces of API requests, gateway requests and session
 * store calls, exported over OTLP/HTTP. Off unless {@code enabled: true}.
 *
 * @param endpoint the OTLP/HTTP traces URL (default {@code http://localhost:4318/v1/traces}, the
 *     collector's usual port and path)
 * @param serviceName the {@code service.name} resource attribute of every span
 */
public record TracingConfig(boolean enabled, String endpoint, String serviceName) {
  public static final TracingConfig OFF = new TracingConfig(false, "http://localhost:4318/v1/traces", "curfew");
  private static final Set<String> KEYS = Set.of("enabled", "endpoint", "service_name");

  static TracingConfig parse(JsonNode node) {
    if (CurfewConfig.absent(node)) return OFF;
    CurfewConfig.requireObject("tracing", node);
    CurfewConfig.onlyKeys("tracing.", node, KEYS);
    boolean enabled = CurfewConfig.bool("tracing.enabled", node.path("enabled"), OFF.enabled());
    String endpoint = CurfewConfig.string("tracing.endpoint", node.path("endpoint"), OFF.endpoint());
    URI uri;
    try {
      uri = URI.create(endpoint);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("tracing.endpoint", "not a URL: \"" + endpoint + "\"");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
      throw new ConfigException("tracing.endpoint", "must be an http:// or https:// URL, not \"" + endpoint + "\"");
    }
    String service = CurfewConfig.string("tracing.service_name", node.path("service_name"), OFF.serviceName());
    if (service.isBlank()) throw new ConfigException("tracing.service_name", "must not be blank");
    return new TracingConfig(enabled, endpoint, service);
  }
}

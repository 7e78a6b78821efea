package dev.curfew.gateway.mcp;

import dev.curfew.core.Audience;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One {@code kind: mcp} route of the gateway (spec/protocol-gateways.md, "AI agents (MCP)"): the
 * requests under {@code path} go to the MCP server at {@code upstream} (Streamable HTTP transport),
 * the part of the request path after {@code path} appended to the upstream's own path.
 *
 * @param path the prefix the route serves, also its place: sessions need {@code mcp:<path>} in their audience
 * @param upstream the MCP server's endpoint, {@code http(s)://host:port/path}
 * @param activeMethods the JSON-RPC request methods that count as activity
 * @param busyIsActivity whether an active request in flight keeps the session active while it runs
 * @param allowedOrigins the origins ({@code scheme://host[:port]}) whose browser requests are served
 *     besides the route's own ({@link OriginCheck})
 */
public record McpRoute(String path, URI upstream, Set<String> activeMethods, boolean busyIsActivity,
    List<String> allowedOrigins) {
  /** The spec's default {@code active_methods}: what an agent asks for to get work done. */
  public static final List<String> DEFAULT_ACTIVE_METHODS =
      List.of("tools/call", "resources/read", "prompts/get", "completion/complete");

  public McpRoute {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")) throw new IllegalArgumentException("path does not start with /: " + path);
    Objects.requireNonNull(upstream, "upstream");
    String scheme = upstream.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || upstream.getHost() == null) {
      throw new IllegalArgumentException("upstream is not an http(s) URL: " + upstream);
    }
    activeMethods = Set.copyOf(activeMethods);
    for (String m : activeMethods) {
      if (m.isBlank()) throw new IllegalArgumentException("active_methods has an empty method name");
    }
    allowedOrigins = allowedOrigins.stream().map(OriginCheck::normalized).toList();
  }

  /** A route that serves browser requests of its own origin only. */
  public McpRoute(String path, URI upstream, Set<String> activeMethods, boolean busyIsActivity) {
    this(path, upstream, activeMethods, busyIsActivity, List.of());
  }

  /** This route, serving also the browser requests of {@code origins}. */
  public McpRoute withAllowedOrigins(List<String> origins) {
    return new McpRoute(path, upstream, activeMethods, busyIsActivity, origins);
  }

  public static McpRoute of(String path, String upstream, List<String> activeMethods) {
    return new McpRoute(path, URI.create(upstream), Set.copyOf(activeMethods == null ? DEFAULT_ACTIVE_METHODS : activeMethods), true);
  }

  /** The sessions allowed here: those whose audience names {@code mcp:<path>}. */
  public Audience audience() {
    return Audience.of("mcp:" + path);
  }

  boolean tls() {
    return "https".equalsIgnoreCase(upstream.getScheme());
  }

  String upstreamHost() {
    return upstream.getHost();
  }

  int upstreamPort() {
    return upstream.getPort() > 0 ? upstream.getPort() : tls() ? 443 : 80;
  }

  /** {@code /mcp} on a route of path {@code /mcp} to {@code http://up/mcp}: the upstream's path, then what follows the prefix. */
  String upstreamUri(String requestPath, String query) {
    String base = upstream.getRawPath() == null || upstream.getRawPath().isEmpty() ? "/" : upstream.getRawPath();
    String prefix = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String rest = requestPath.length() > prefix.length() ? requestPath.substring(prefix.length()) : "";
    String joined = base.endsWith("/") && rest.startsWith("/") ? base + rest.substring(1) : base + rest;
    return query == null || query.isEmpty() ? joined : joined + "?" + query;
  }
}

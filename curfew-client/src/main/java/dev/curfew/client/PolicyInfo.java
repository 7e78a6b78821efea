package dev.curfew.client;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A policy as the server describes it (docs/api.md, "Policies"): its name and version, its
 * deadlines and extensions, the presets it declares ({@code comply_with}) and, when it declares
 * any, its compliance report. {@code body} holds every member, also the optional ones
 * ({@code renew_every_ms}, {@code max_sessions_per_subject}, ...).
 */
public record PolicyInfo(
    String name,
    long version,
    Duration idleTimeout,
    Duration absoluteTimeout,
    Duration warnBefore,
    int maxExtensions,
    List<String> complyWith,
    Optional<ComplianceReport> compliance,
    Map<String, Object> body) {

  static PolicyInfo from(Map<String, Object> m) {
    Map<String, Object> report = JsonValues.object(m, "compliance");
    return new PolicyInfo(JsonValues.string(m, "name"), JsonValues.longValue(m, "version", 0),
        JsonValues.millis(m, "idle_timeout_ms"), JsonValues.millis(m, "absolute_timeout_ms"),
        JsonValues.millis(m, "warn_before_ms"), (int) JsonValues.longValue(m, "max_extensions", 0),
        JsonValues.strings(m, "comply_with"), Optional.ofNullable(report).map(ComplianceReport::from), Map.copyOf(m));
  }
}

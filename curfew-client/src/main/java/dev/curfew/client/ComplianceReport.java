package dev.curfew.client;

import java.util.List;
import java.util.Map;

/**
 * A policy checked against compliance presets: the overall {@code status} and one result per
 * preset, each with its rules as the server words them (policy spec, "compliance report").
 */
public record ComplianceReport(String policy, Long version, String status, List<Preset> presets) {
  /** One preset's result; {@code rules} are the rule results as the server sends them. */
  public record Preset(String id, String title, String status, List<Map<String, Object>> rules) {}

  static ComplianceReport from(Map<String, Object> m) {
    List<Preset> presets = JsonValues.objects(m, "presets").stream()
        .map(p -> new Preset(JsonValues.string(p, "id"), JsonValues.string(p, "title"), JsonValues.string(p, "status"),
            JsonValues.objects(p, "rules")))
        .toList();
    return new ComplianceReport(JsonValues.string(m, "policy"), JsonValues.optionalLong(m, "version"),
        JsonValues.string(m, "status"), presets);
  }
}

package dev.curfew.core.compliance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one preset for one policy: its rules' results, in preset order.
 *
 * @param id the preset id
 * @param title the preset's human name
 * @param rules one result per rule, then one note per exception of the preset
 */
public record PresetResult(String id, String title, List<RuleResult> rules) {

  public PresetResult {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(title, "title");
    rules = List.copyOf(rules);
  }

  /** fail if a rule fails, else warn if a rule warns, else pass. */
  public Status status() {
    Status worst = Status.PASS;
    for (RuleResult r : rules) {
      worst = Status.worse(worst, r.status());
    }
    return worst == Status.NOTE ? Status.PASS : worst;
  }

  /** The JSON shape: {@code id}, {@code title}, {@code status}, {@code rules}. */
  public Map<String, Object> toMap() {
    List<Map<String, Object>> ruleMaps = new ArrayList<>();
    for (RuleResult r : rules) {
      ruleMaps.add(r.toMap());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("title", title);
    m.put("status", status().label());
    m.put("rules", ruleMaps);
    return m;
  }
}

package dev.curfew.core.compliance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The check of one policy version against one or more presets. Build with {@link Compliance#check}.
 *
 * @param policy the policy's name
 * @param version the policy's version
 * @param presets one result per preset, in the order asked
 */
public record ComplianceReport(String policy, int version, List<PresetResult> presets) {

  public ComplianceReport {
    Objects.requireNonNull(policy, "policy");
    presets = List.copyOf(presets);
  }

  /** fail if a MUST rule fails, else warn if a rule warns, else pass. */
  public Status status() {
    Status worst = Status.PASS;
    for (PresetResult p : presets) {
      worst = Status.worse(worst, p.status());
    }
    return worst;
  }

  /** True when no rule fails (warnings allowed): the default exit status of {@code policy check}. */
  public boolean passed() {
    return passed(false);
  }

  /** With {@code strict}, a warning fails too ({@code --strict}). */
  public boolean passed(boolean strict) {
    Status s = status();
    return s == Status.PASS || (!strict && s == Status.WARN);
  }

  /** The rules that fail, in report order. */
  public List<RuleResult> failures() {
    return withStatus(Status.FAIL);
  }

  /** The rules that warn, in report order. */
  public List<RuleResult> warnings() {
    return withStatus(Status.WARN);
  }

  /** Every rule result of every preset, in report order. */
  public List<RuleResult> rules() {
    List<RuleResult> all = new ArrayList<>();
    for (PresetResult p : presets) {
      all.addAll(p.rules());
    }
    return all;
  }

  private List<RuleResult> withStatus(Status s) {
    List<RuleResult> out = new ArrayList<>();
    for (RuleResult r : rules()) {
      if (r.status() == s) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * The JSON shape, for the server to hand to Jackson: {@code policy}, {@code version},
   * {@code presets} (each {@link PresetResult#toMap()}), {@code status}. Keys are snake_case and in
   * this order; statuses are lower case.
   */
  public Map<String, Object> toMap() {
    List<Map<String, Object>> presetMaps = new ArrayList<>();
    for (PresetResult p : presets) {
      presetMaps.add(p.toMap());
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("policy", policy);
    m.put("version", version);
    m.put("presets", presetMaps);
    m.put("status", status().label());
    return m;
  }
}

package dev.curfew.core.compliance;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one rule for one policy.
 *
 * @param preset the preset id the rule belongs to
 * @param rule the rule as a short statement ({@code idle_timeout <= 15m})
 * @param strength MUST, SHOULD or NOTE
 * @param status pass, fail, warn or note
 * @param field the policy field's YAML name; null when the rule is about no single field
 * @param value the policy's value as people write it ({@code 15m}, {@code 10}); null without field
 * @param limit the limit as written ({@code 15m}); null when the rule has none
 * @param citation where the requirement is written
 * @param text the requirement, and why this status, in one line
 */
public record RuleResult(
    String preset,
    String rule,
    Strength strength,
    Status status,
    String field,
    String value,
    String limit,
    String citation,
    String text) {

  public RuleResult {
    Objects.requireNonNull(preset, "preset");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(strength, "strength");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(citation, "citation");
    Objects.requireNonNull(text, "text");
    if (strength == Strength.NOTE && status != Status.NOTE) {
      throw new IllegalArgumentException("a NOTE rule can only have status note: " + status.label());
    }
  }

  /**
   * The JSON shape: {@code rule}, {@code strength}, {@code status}, {@code field}, {@code value},
   * {@code limit} (as people write them), {@code value_ms}, {@code limit_ms} (the same in
   * milliseconds, the API's unit of durations, when the field is a duration), {@code citation},
   * {@code text} (nulls kept, so every key is always present).
   */
  public Map<String, Object> toMap() {
    PolicyField f = field == null ? null : PolicyField.fromKey(field).filter(PolicyField::isDuration).orElse(null);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("rule", rule);
    m.put("strength", strength.name());
    m.put("status", status.label());
    m.put("field", field);
    m.put("value", value);
    m.put("limit", limit);
    m.put("value_ms", f == null || value == null ? null : f.parseLimit(value));
    m.put("limit_ms", f == null || limit == null ? null : f.parseLimit(limit));
    m.put("citation", citation);
    m.put("text", text);
    return m;
  }
}

package dev.curfew.core.compliance;

import dev.curfew.core.Durations;
import dev.curfew.core.Policy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a policy against compliance presets. Pure: the same policy and presets always give the
 * same report.
 *
 * <p>Per rule: a rule that holds passes; so does one whose exception holds (WCAG 2.2's 20 Hour
 * Exception for the idle limit: {@code idle_timeout > 20h}), saying so; otherwise a failing MUST
 * fails and a failing SHOULD warns. A NOTE is reported as a note, and so is each exception, saying
 * whether it applies and to which rules.
 */
public final class Compliance {

  private static final Pattern SHORT_LIMIT = Pattern.compile("\\d+(ms|s|m|h|d)");

  private Compliance() {}

  /** {@link #check(Policy, List)} against the presets the policy declares in {@code comply_with}. */
  public static ComplianceReport check(Policy policy) {
    return check(policy, List.of());
  }

  /**
   * Checks {@code policy} against {@code presetIds} in that order (duplicates once), or against
   * {@code policy.complyWith()} when {@code presetIds} is empty.
   *
   * @throws UnknownPresetException for an unknown id, before anything is checked
   * @throws IllegalArgumentException when there is no preset to check against: an empty check
   *     would "pass" and prove nothing
   */
  public static ComplianceReport check(Policy policy, List<String> presetIds) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(presetIds, "presetIds");
    List<String> ids = presetIds.isEmpty() ? policy.complyWith() : presetIds;
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("no preset to check policy " + policy.name()
          + " against: name one or set comply_with; known presets: " + String.join(", ", Presets.ids()));
    }
    List<Preset> presets = new ArrayList<>();
    for (String id : new LinkedHashSet<>(ids)) {
      presets.add(Presets.require(id));
    }
    List<PresetResult> results = new ArrayList<>();
    for (Preset preset : presets) {
      results.add(check(policy, preset));
    }
    return new ComplianceReport(policy.name(), policy.version(), results);
  }

  /** The result of one preset, which need not be built in (tests, custom presets). */
  public static PresetResult check(Policy policy, Preset preset) {
    List<RuleResult> results = new ArrayList<>();
    for (Rule rule : preset.rules()) {
      results.add(evaluate(policy, rule));
    }
    for (Rule e : preset.exceptions()) {
      results.add(result(policy, e, Status.NOTE, e.text() + exceptionVerdict(policy, preset, e)));
    }
    return new PresetResult(preset.id(), preset.title(), results);
  }

  private static RuleResult evaluate(Policy policy, Rule rule) {
    if (rule.strength() == Strength.NOTE) {
      return result(policy, rule, Status.NOTE, rule.text());
    }
    if (rule.holdsFor(policy)) {
      return result(policy, rule, Status.PASS, rule.text());
    }
    if (rule.excusedFor(policy)) {
      Rule e = rule.unless();
      return result(policy, rule, Status.PASS, rule.text() + " Not met, but " + e.name() + ": " + e.text());
    }
    return result(policy, rule, rule.strength() == Strength.MUST ? Status.FAIL : Status.WARN, rule.text());
  }

  /** " Applies: ..." or " Does not apply: ...", naming the rules the exception covers. */
  private static String exceptionVerdict(Policy policy, Preset preset, Rule e) {
    List<String> covered = new ArrayList<>();
    for (Rule r : preset.rules()) {
      if (e.equals(r.unless())) {
        covered.add(r.name());
      }
    }
    return e.holdsFor(policy)
        ? " Applies: " + String.join(" and ", covered) + " pass even where not met."
        : " Does not apply: " + String.join(" and ", covered) + " must hold.";
  }

  private static RuleResult result(Policy policy, Rule rule, Status status, String text) {
    PolicyField field = rule.field();
    String limit = rule.limit().equals("-") ? null : rule.limit();
    return new RuleResult(rule.presetId(), rule.name(), rule.strength(), status,
        field == null ? null : field.key(), value(policy, rule), limit, rule.citation(), text);
  }

  /**
   * The policy's value, in the unit of the rule's limit when that is exact, so a reader compares
   * like with like ({@code 24h} against {@code 24h}, not {@code 1d}); otherwise the shortest form.
   */
  private static String value(Policy policy, Rule rule) {
    PolicyField field = rule.field();
    if (field == null || field.read(policy).isEmpty()) {
      return null;
    }
    if (!rule.isComparison() || !field.isDuration()) {
      return field.formatValue(policy);
    }
    long valueMs = field.read(policy).getAsLong();
    Matcher m = SHORT_LIMIT.matcher(rule.limit());
    if (!m.matches()) {
      return field.format(valueMs); // an ISO-8601 limit (PT15M): no unit to match
    }
    long unitMs = Durations.parse("1" + m.group(1)).toMillis();
    return valueMs % unitMs == 0 ? valueMs / unitMs + m.group(1) : field.format(valueMs);
  }
}

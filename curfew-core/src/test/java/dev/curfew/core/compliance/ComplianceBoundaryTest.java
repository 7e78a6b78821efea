package dev.curfew.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For every numeric rule of every preset: a policy exactly at the limit passes, one millisecond
 * (or one extension) on the wrong side fails (MUST) or warns (SHOULD). The rules come from the
 * file; {@link CompliancePresetsTest} pins the file's numbers to the spec.
 */
class ComplianceBoundaryTest {

  /** Valid, and inside every limit the boundary tests do not move (idle 5m: no WCAG exception). */
  static Policy base() {
    return Policy.builder("boundary")
        .idleTimeout(Duration.ofMinutes(5))
        .absoluteTimeout(Duration.ofHours(12))
        .warnBefore(Duration.ofSeconds(30))
        .maxExtensions(10)
        .build();
  }

  static Stream<Rule> numericRules() {
    return Presets.all().stream().flatMap(p -> p.rules().stream())
        .filter(Rule::isComparison);
  }

  /** The last value that passes: the limit itself for {@code <=} and {@code >=}, one more for {@code >}. */
  private static long lastPassing(Rule rule) {
    return rule.op() == Rule.Op.OVER ? rule.limitValue() + 1 : rule.limitValue();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("numericRules")
  void theLastPassingValuePasses(Rule rule) {
    Policy p = with(base(), rule.field(), lastPassing(rule));
    assertThat(statusOf(p, rule)).isEqualTo(Status.PASS);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("numericRules")
  void oneUnitPastItFailsOrWarnsByStrength(Rule rule) {
    long past = rule.op() == Rule.Op.AT_MOST ? lastPassing(rule) + 1 : lastPassing(rule) - 1;
    Policy p = with(base(), rule.field(), past);
    assertThat(statusOf(p, rule)).isEqualTo(rule.strength() == Strength.MUST ? Status.FAIL : Status.WARN);
  }

  @Test
  void everyPresetOfTheSpecHasABoundaryCase() {
    List<String> covered = numericRules().map(Rule::presetId).distinct().toList();
    // hipaa's only rule is "idle_timeout set", which every valid policy meets: see ComplianceCheckTest;
    // nist-800-53-ac-10's is "max_sessions_per_subject set": see ComplianceCheckTest too.
    assertThat(covered).containsExactlyInAnyOrderElementsOf(
        Presets.ids().stream().filter(id -> !id.equals("hipaa") && !id.equals("nist-800-53-ac-10")).toList());
  }

  /** Literal spot checks, independent of the file's numbers. */
  @Test
  void pciAt15mPassesAndAt15mPlus1msFails() {
    assertThat(statusOf(withIdle(Duration.ofMinutes(15)), "pci-dss-4.0", "idle_timeout <= 15m"))
        .isEqualTo(Status.PASS);
    assertThat(statusOf(withIdle(Duration.ofMinutes(15).plusMillis(1)), "pci-dss-4.0", "idle_timeout <= 15m"))
        .isEqualTo(Status.FAIL);
  }

  @Test
  void nistAal2IdleAt1hPlus1msOnlyWarns() {
    assertThat(statusOf(withIdle(Duration.ofHours(1).plusMillis(1)), "nist-800-63b-aal2", "idle_timeout <= 1h"))
        .isEqualTo(Status.WARN);
  }

  @Test
  void wcagWarnBeforeAt19999msFails() {
    Policy p = Policy.builder("w").idleTimeout(Duration.ofMinutes(5)).warnBefore(Duration.ofMillis(19_999)).build();
    assertThat(statusOf(p, "wcag-2.2", "warn_before >= 20s")).isEqualTo(Status.FAIL);
  }

  private static Policy withIdle(Duration idle) {
    return Policy.builder("literal").idleTimeout(idle).absoluteTimeout(Duration.ofHours(12)).build();
  }

  static Policy with(Policy p, PolicyField field, long value) {
    Policy.Builder b = Policy.builder(p.name())
        .idleTimeout(p.idleTimeout()).absoluteTimeout(p.absoluteTimeout())
        .warnBefore(p.warnBefore()).maxExtensions(p.maxExtensions()).renewEvery(p.renewEvery());
    switch (field) {
      case IDLE_TIMEOUT: return b.idleTimeout(Duration.ofMillis(value)).build();
      case ABSOLUTE_TIMEOUT: return b.absoluteTimeout(Duration.ofMillis(value)).build();
      case WARN_BEFORE: return b.warnBefore(Duration.ofMillis(value)).build();
      case MAX_EXTENSIONS: return b.maxExtensions(Math.toIntExact(value)).build();
      default: return b.renewEvery(Duration.ofMillis(value)).build();
    }
  }

  private static Status statusOf(Policy p, Rule rule) {
    return statusOf(p, rule.presetId(), rule.name());
  }

  static Status statusOf(Policy p, String presetId, String ruleName) {
    ComplianceReport report = Compliance.check(p, List.of(presetId));
    return report.rules().stream().filter(r -> r.rule().equals(ruleName)).findFirst()
        .orElseThrow(() -> new AssertionError("no rule " + ruleName + " in " + presetId))
        .status();
  }
}

package dev.curfew.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Invariants of a report, over random valid policies and every built-in preset. */
class CompliancePropertiesTest {

  @Property(tries = 300, seed = "20261128")
  void reportIsConsistentWithItsRules(@ForAll("policies") Policy p) {
    ComplianceReport report = Compliance.check(p, Presets.ids());
    assertThat(report.presets()).hasSize(Presets.ids().size());
    for (RuleResult r : report.rules()) {
      if (r.strength() == Strength.NOTE) {
        assertThat(r.status()).isEqualTo(Status.NOTE);
      } else if (r.strength() == Strength.SHOULD) {
        assertThat(r.status()).isIn(Status.PASS, Status.WARN);
      } else {
        assertThat(r.status()).isIn(Status.PASS, Status.FAIL, Status.WARN);
      }
    }
    boolean anyFail = report.rules().stream().anyMatch(r -> r.status() == Status.FAIL);
    boolean anyWarn = report.rules().stream().anyMatch(r -> r.status() == Status.WARN);
    assertThat(report.passed()).isEqualTo(!anyFail);
    assertThat(report.passed(true)).isEqualTo(!anyFail && !anyWarn);
    assertThat(report.failures()).allMatch(r -> r.strength() == Strength.MUST);
    assertThat(ComplianceText.table(report).lines().count()).isEqualTo(4L + report.rules().size());
  }

  @Property(tries = 300, seed = "20261128")
  void aMustRuleNeverWarns(@ForAll("policies") Policy p) {
    ComplianceReport report = Compliance.check(p, Presets.ids());
    assertThat(report.warnings()).noneMatch(r -> r.strength() == Strength.MUST);
  }

  /** SC 2.2.1 per time limit: the idle limit's rules are excused by the idle limit alone. */
  @Property(tries = 300, seed = "20261128")
  void wcagIdleRulesPassIffMetOrTheIdleLimitIsOver20h(@ForAll("policies") Policy p) {
    ComplianceReport report = Compliance.check(p, List.of("wcag-2.2"));
    boolean over20h = p.idleTimeout().compareTo(Duration.ofHours(20)) > 0;
    boolean adjustable = p.warnBefore().compareTo(Duration.ofSeconds(20)) >= 0 && p.maxExtensions() >= 10;
    boolean idleRulesPass = report.rules().stream()
        .filter(r -> r.field() != null && (r.field().equals("warn_before") || r.field().equals("max_extensions")))
        .allMatch(r -> r.status() == Status.PASS);
    assertThat(idleRulesPass).isEqualTo(adjustable || over20h);
    boolean absoluteWarns = report.warnings().stream().anyMatch(r -> r.field().equals("absolute_timeout"));
    assertThat(absoluteWarns).isEqualTo(p.absoluteTimeout().compareTo(Duration.ofHours(20)) <= 0);
  }

  @Provide
  Arbitrary<Policy> policies() {
    Arbitrary<Long> idleMs = Arbitraries.longs().between(2, Duration.ofDays(2).toMillis());
    Arbitrary<Long> extraMs = Arbitraries.longs().between(0, Duration.ofDays(40).toMillis());
    Arbitrary<Double> warnShare = Arbitraries.doubles().between(0, 0.99);
    Arbitrary<Integer> extensions = Arbitraries.integers().between(0, 20);
    return Combinators.combine(idleMs, extraMs, warnShare, extensions).as((idle, extra, share, ext) ->
        new Policy("random", 1, Duration.ofMillis(idle), Duration.ofMillis(idle + extra),
            Duration.ofMillis((long) (idle * share)), ext, null, List.of()));
  }
}

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
  void aMustRuleWarnsOnlyUnderTheWcagException(@ForAll("policies") Policy p) {
    ComplianceReport report = Compliance.check(p, Presets.ids());
    boolean excepted = p.absoluteTimeout().compareTo(Duration.ofHours(20)) > 0;
    for (RuleResult r : report.warnings()) {
      if (r.strength() == Strength.MUST) {
        assertThat(r.preset()).isEqualTo("wcag-2.2");
        assertThat(excepted).isTrue();
      }
    }
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

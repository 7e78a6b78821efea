package dev.curfew.core.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The {@code wcag-2.2} row of spec/policy.md at each of its boundaries, exactly and one
 * millisecond (or one extension) either side: SC 2.2.1 holds for each time limit on its own. The
 * idle limit must be adjustable (warn_before ≥ 20s, max_extensions ≥ 10) unless it is longer than
 * 20 hours; the absolute limit, which cannot be extended, warns unless it is longer than 20 hours.
 */
class WcagBoundaryTest {
  private static final String WARN = "warn_before >= 20s";
  private static final String EXTENSIONS = "max_extensions >= 10";
  private static final String ABSOLUTE = "absolute_timeout > 20h";
  private static final String IDLE_EXCEPTION = "idle_timeout > 20h";

  /** Idle 15m, absolute over 20h: only the field under test decides. */
  private static Policy.Builder adjustable() {
    return Policy.builder("wcag").idleTimeout(Duration.ofMinutes(15)).absoluteTimeout(Duration.ofHours(21))
        .warnBefore(Duration.ofSeconds(30)).maxExtensions(10);
  }

  @ParameterizedTest(name = "warn_before {0} ms: {1}")
  @CsvSource({"19999, fail", "20000, pass", "20001, pass"})
  void warnBefore_20sIsTheLeastThatPasses(long warnMs, String expected) {
    ComplianceReport report = check(adjustable().warnBefore(Duration.ofMillis(warnMs)).build());
    assertThat(status(report, WARN)).isEqualTo(expected);
    assertThat(report.status().label()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "max_extensions {0}: {1}")
  @CsvSource({"9, fail", "10, pass", "11, pass"})
  void maxExtensions_10IsTheLeastThatPasses(int extensions, String expected) {
    ComplianceReport report = check(adjustable().maxExtensions(extensions).build());
    assertThat(status(report, EXTENSIONS)).isEqualTo(expected);
    assertThat(report.status().label()).isEqualTo(expected);
  }

  /** The 20 Hour Exception is judged on the idle limit itself, whatever the absolute limit. */
  @ParameterizedTest(name = "idle_timeout 20h {0} ms: {1}")
  @CsvSource({"-1, fail, Does not apply", "0, fail, Does not apply", "1, pass, Applies"})
  void idleLimit_over20hNeedsNoWarningNorExtensions(long offsetMs, String expected, String exceptionVerdict) {
    Policy p = adjustable().idleTimeout(Duration.ofHours(20).plusMillis(offsetMs))
        .absoluteTimeout(Duration.ofDays(2)).warnBefore(Duration.ofSeconds(10)).maxExtensions(0).build();
    ComplianceReport report = check(p);
    assertThat(status(report, WARN)).isEqualTo(expected);
    assertThat(status(report, EXTENSIONS)).isEqualTo(expected);
    assertThat(status(report, ABSOLUTE)).isEqualTo("pass");
    assertThat(report.status().label()).isEqualTo(expected);
    RuleResult exception = rule(report, IDLE_EXCEPTION);
    assertThat(exception.status()).isEqualTo(Status.NOTE);
    assertThat(exception.text()).contains("20 Hour Exception").contains(exceptionVerdict);
    if (expected.equals("pass")) {
      assertThat(rule(report, WARN).text()).contains("Not met").contains("20 Hour Exception");
    }
  }

  /** A 15-minute idle limit must be adjustable however long the absolute limit is. */
  @ParameterizedTest(name = "absolute_timeout {0}: the idle limit still fails")
  @CsvSource({"72000001", "2592000000"})
  void idleLimit_aLongAbsoluteLimitExcusesNothing(long absoluteMs) {
    Policy p = adjustable().absoluteTimeout(Duration.ofMillis(absoluteMs))
        .warnBefore(Duration.ofSeconds(10)).maxExtensions(0).build();
    ComplianceReport report = check(p);
    assertThat(report.failures()).extracting(RuleResult::rule).containsExactly(WARN, EXTENSIONS);
    assertThat(report.passed()).isFalse();
  }

  @ParameterizedTest(name = "absolute_timeout 20h {0} ms: {1}")
  @CsvSource({"-1, warn", "0, warn", "1, pass"})
  void absoluteLimit_20hOrLessWarnsAndNamesTheExceptionsItMustRelyOn(long offsetMs, String expected) {
    Policy p = adjustable().absoluteTimeout(Duration.ofHours(20).plusMillis(offsetMs)).build();
    ComplianceReport report = check(p);
    RuleResult absolute = rule(report, ABSOLUTE);
    assertThat(absolute.status().label()).isEqualTo(expected);
    assertThat(absolute.strength()).isEqualTo(Strength.SHOULD);
    assertThat(absolute.limit()).isEqualTo("20h");
    assertThat(absolute.text()).contains("Essential Exception").contains("20 Hour Exception");
    assertThat(report.status().label()).isEqualTo(expected);
    assertThat(report.passed()).isTrue();
    assertThat(report.passed(true)).isEqualTo(expected.equals("pass"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({WARN, EXTENSIONS, ABSOLUTE, IDLE_EXCEPTION})
  void everyRowCitesSc221AndItsExceptions(String ruleName) {
    assertThat(rule(check(adjustable().build()), ruleName).citation())
        .isEqualTo("WCAG 2.2 SC 2.2.1 Timing Adjustable (exceptions: real-time, essential, 20 hour)");
  }

  private static ComplianceReport check(Policy p) {
    return Compliance.check(p, List.of("wcag-2.2"));
  }

  private static String status(ComplianceReport report, String ruleName) {
    return rule(report, ruleName).status().label();
  }

  private static RuleResult rule(ComplianceReport report, String ruleName) {
    return report.rules().stream().filter(r -> r.rule().equals(ruleName)).findFirst()
        .orElseThrow(() -> new AssertionError("no rule " + ruleName + " in " + report.rules()));
  }
}

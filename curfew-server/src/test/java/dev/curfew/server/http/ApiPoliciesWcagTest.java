package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertJson;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code POST /v1/policies/check} against {@code wcag-2.2} at each boundary of the spec/policy.md
 * row, exactly and one millisecond (or one extension) either side, for both time limits.
 */
class ApiPoliciesWcagTest {
  private static final ApiFixture f = new ApiFixture();

  @AfterAll
  static void close() throws Exception {
    f.close();
  }

  /** idle, absolute, warn_before (ms), max_extensions; the rule looked at, its status, the report's status. */
  @ParameterizedTest(name = "idle {0} absolute {1} warn {2} ext {3}: {4} {5}")
  @CsvSource({
      "900000, 75600000, 19999, 10, warn_before >= 20s, fail, fail",
      "900000, 75600000, 20000, 10, warn_before >= 20s, pass, pass",
      "900000, 75600000, 20001, 10, warn_before >= 20s, pass, pass",
      "900000, 75600000, 30000, 9, max_extensions >= 10, fail, fail",
      "900000, 75600000, 30000, 10, max_extensions >= 10, pass, pass",
      "900000, 75600000, 30000, 11, max_extensions >= 10, pass, pass",
      "71999999, 172800000, 10000, 0, max_extensions >= 10, fail, fail",
      "72000000, 172800000, 10000, 0, warn_before >= 20s, fail, fail",
      "72000001, 172800000, 10000, 0, warn_before >= 20s, pass, pass",
      "72000001, 172800000, 10000, 0, max_extensions >= 10, pass, pass",
      "900000, 2592000000, 10000, 0, warn_before >= 20s, fail, fail",
      "900000, 71999999, 30000, 10, absolute_timeout > 20h, warn, warn",
      "900000, 72000000, 30000, 10, absolute_timeout > 20h, warn, warn",
      "900000, 72000001, 30000, 10, absolute_timeout > 20h, pass, pass",
  })
  void wcagRuleAtTheBoundary(long idleMs, long absoluteMs, long warnMs, int extensions, String rule,
      String ruleStatus, String reportStatus) {
    JsonNode report = assertJson(f.backend("POST", "/v1/policies/check", "{\"idle_timeout_ms\":" + idleMs
        + ",\"absolute_timeout_ms\":" + absoluteMs + ",\"warn_before_ms\":" + warnMs + ",\"max_extensions\":"
        + extensions + ",\"against\":[\"wcag-2.2\"]}"), 200);
    assertThat(report.get("status").asText()).isEqualTo(reportStatus);
    JsonNode preset = report.get("presets").get(0);
    assertThat(preset.get("id").asText()).isEqualTo("wcag-2.2");
    JsonNode row = null;
    for (JsonNode r : preset.get("rules")) {
      if (r.get("rule").asText().equals(rule)) row = r;
    }
    assertThat(row).as(rule + " in " + preset).isNotNull();
    assertThat(row.get("status").asText()).isEqualTo(ruleStatus);
    assertThat(row.get("citation").asText())
        .isEqualTo("WCAG 2.2 SC 2.2.1 Timing Adjustable (exceptions: real-time, essential, 20 hour)");
    if (rule.startsWith("absolute")) {
      assertThat(row.get("text").asText()).contains("Essential Exception", "20 Hour Exception");
    }
  }
}

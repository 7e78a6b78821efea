package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code curfew policy check --against wcag-2.2} at each boundary of the spec/policy.md row, exactly
 * and one millisecond (or one extension) either side, in the three formats: the idle limit must be
 * adjustable unless longer than 20h; an absolute limit of 20h or less warns.
 */
class PolicyCheckWcagTest {
  @TempDir Path dir;

  /** idle, absolute, warn_before, max_extensions; the rule looked at, its status, the report's status. */
  @ParameterizedTest(name = "idle {0} absolute {1} warn {2} ext {3}: {4} {5}")
  @CsvSource({
      "15m, 21h, 19999ms, 10, warn_before >= 20s, fail, fail",
      "15m, 21h, 20s, 10, warn_before >= 20s, pass, pass",
      "15m, 21h, 20001ms, 10, warn_before >= 20s, pass, pass",
      "15m, 21h, 30s, 9, max_extensions >= 10, fail, fail",
      "15m, 21h, 30s, 10, max_extensions >= 10, pass, pass",
      "15m, 21h, 30s, 11, max_extensions >= 10, pass, pass",
      "71999999ms, 2d, 10s, 0, warn_before >= 20s, fail, fail",
      "20h, 2d, 10s, 0, max_extensions >= 10, fail, fail",
      "72000001ms, 2d, 10s, 0, warn_before >= 20s, pass, pass",
      "72000001ms, 2d, 10s, 0, max_extensions >= 10, pass, pass",
      "15m, 30d, 10s, 0, max_extensions >= 10, fail, fail",
      "15m, 71999999ms, 30s, 10, absolute_timeout > 20h, warn, warn",
      "15m, 20h, 30s, 10, absolute_timeout > 20h, warn, warn",
      "15m, 72000001ms, 30s, 10, absolute_timeout > 20h, pass, pass",
  })
  void wcagRuleAtTheBoundary(String idle, String absolute, String warn, int extensions, String rule,
      String ruleStatus, String reportStatus) throws Exception {
    Path file = dir.resolve("p.yaml");
    Files.writeString(file, "idle_timeout: " + idle + "\nabsolute_timeout: " + absolute + "\nwarn_before: " + warn
        + "\nmax_extensions: " + extensions + "\ncomply_with: [wcag-2.2]\n");
    int exit = reportStatus.equals("fail") ? 1 : 0;
    int strictExit = reportStatus.equals("pass") ? 0 : 1;

    CliRun json = run("policy", "check", file.toString(), "--format", "json");
    assertThat(json.exit()).as(json.out() + json.err()).isEqualTo(exit);
    JsonNode body = new ObjectMapper().readTree(json.out());
    assertThat(body.get("status").asText()).isEqualTo(reportStatus);
    JsonNode row = null;
    for (JsonNode r : body.get("reports").get(0).get("presets").get(0).get("rules")) {
      if (r.get("rule").asText().equals(rule)) row = r;
    }
    assertThat(row).as(rule).isNotNull();
    assertThat(row.get("status").asText()).isEqualTo(ruleStatus);
    assertThat(row.get("citation").asText())
        .isEqualTo("WCAG 2.2 SC 2.2.1 Timing Adjustable (exceptions: real-time, essential, 20 hour)");

    CliRun table = run("policy", "check", file.toString());
    assertThat(table.exit()).isEqualTo(exit);
    assertThat(table.out().lines()).anyMatch(l ->
        l.matches("wcag-2\\.2\\s+" + Pattern.quote(rule) + "\\s+" + ruleStatus + "\\s.*SC 2\\.2\\.1.*"));

    CliRun markdown = run("policy", "check", file.toString(), "--format", "markdown");
    assertThat(markdown.exit()).isEqualTo(exit);
    assertThat(markdown.out()).contains("| `" + rule + "` | ").containsPattern(
        Pattern.quote("| `" + rule + "` | ") + "(MUST|SHOULD) \\| " + ruleStatus + " \\|");

    assertThat(run("policy", "check", file.toString(), "--strict").exit()).isEqualTo(strictExit);
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }
}

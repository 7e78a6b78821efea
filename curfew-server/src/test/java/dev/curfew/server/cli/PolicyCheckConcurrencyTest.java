package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code curfew policy check --against nist-800-53-ac-10}: a policy must limit each subject's concurrent sessions. */
class PolicyCheckConcurrencyTest {
  @TempDir Path dir;

  @Test
  void ac10_failsWithoutALimit_andPassesWithOne_citingTheControl() throws Exception {
    Path none = dir.resolve("none.yaml");
    Files.writeString(none, "idle_timeout: 15m\nabsolute_timeout: 12h\n");
    CliRun failed = run("policy", "check", none.toString(), "--against", "nist-800-53-ac-10", "--format", "json");
    assertThat(failed.exit()).as(failed.out() + failed.err()).isEqualTo(1);
    JsonNode rule = new ObjectMapper().readTree(failed.out()).get("reports").get(0).get("presets").get(0)
        .get("rules").get(0);
    assertThat(rule.get("rule").asText()).isEqualTo("max_sessions_per_subject set");
    assertThat(rule.get("status").asText()).isEqualTo("fail");
    assertThat(rule.get("citation").asText()).isEqualTo("NIST SP 800-53 Rev. 5 AC-10 Concurrent Session Control");

    Path limited = dir.resolve("limited.yaml");
    Files.writeString(limited, "idle_timeout: 15m\nabsolute_timeout: 12h\nmax_sessions_per_subject: 3\n"
        + "when_exceeded: end_oldest\ncomply_with: [nist-800-53-ac-10]\n");
    CliRun passed = run("policy", "check", limited.toString());
    assertThat(passed.exit()).as(passed.out() + passed.err()).isZero();
    assertThat(passed.out().lines()).anyMatch(l -> l.matches("nist-800-53-ac-10\\s+max_sessions_per_subject set\\s+pass\\s.*AC-10.*"));

    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "idle_timeout: 15m\nabsolute_timeout: 12h\nwhen_exceeded: end_oldest\n");
    CliRun refused = run("policy", "check", bad.toString(), "--against", "nist-800-53-ac-10");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("when_exceeded").contains("needs max_sessions_per_subject");
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }
}

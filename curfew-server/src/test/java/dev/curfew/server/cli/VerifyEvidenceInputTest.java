package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code audit verify-evidence} given something that is not a bundle says what it was given. */
class VerifyEvidenceInputTest {
  @TempDir Path dir;

  @Test
  void anHttpProblemSavedAsTheBundleIsNamedAsSuch() throws Exception {
    // What `curl -s .../v1/audit/evidence?session_id=` writes when the session id is empty or unknown.
    Path f = dir.resolve("alice.json");
    Files.writeString(f, "{\"type\":\"https://curfew.dev/problems/not-found\",\"title\":\"Not found\",\"status\":404,"
        + "\"detail\":\"no records of session s_x\"}");

    CliRun r = CliRun.of("audit", "verify-evidence", f.toString());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains(f.toString(), "not an evidence bundle", "HTTP problem", "404", "Not found",
        "no records of session s_x");
    assertThat(r.out()).doesNotContain("INVALID");
  }

  @Test
  void aFileThatIsNotJson_orEmpty_isUnreadable_exitTwo() throws Exception {
    for (String content : new String[] {"this is not JSON", "", "[1, 2]"}) {
      Path f = dir.resolve("bundle.json");
      Files.writeString(f, content);

      CliRun r = CliRun.of("audit", "verify-evidence", f.toString());

      assertThat(r.exit()).as("%s: %s%s", content, r.out(), r.err()).isEqualTo(2);
      assertThat(r.err()).contains(f.toString(), "not an evidence bundle", "not a JSON object");
      assertThat(r.out()).doesNotContain("INVALID");
    }
  }
}

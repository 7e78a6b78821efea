package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code audit attest --verify} given something that is not an attestation: bad input (exit 2), as its help says. */
class AttestInputTest {
  @TempDir Path dir;

  private CliRun verify(String content) throws Exception {
    Path data = dir.resolve("data");
    if (!Files.exists(data)) AuditStraySegmentTest.writeLog(data, 3);
    Path f = dir.resolve("attestation.json");
    Files.writeString(f, content);
    return CliRun.of("audit", "attest", "--data", data.toString(), "--verify", f.toString());
  }

  @Test
  void aFileThatIsNotJson_isBadInput_namingTheFile() throws Exception {
    CliRun r = verify("this is not JSON");

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(r.err()).contains(dir.resolve("attestation.json").toString()).contains("not an attestation");
    assertThat(r.out()).doesNotContain("FAILED");
  }

  @Test
  void anEmptyObject_isBadInput() throws Exception {
    CliRun r = verify("{}");

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(r.err()).contains("not an attestation");
  }
}

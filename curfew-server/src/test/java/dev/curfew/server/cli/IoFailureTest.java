package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.store.embedded.AuditFiles;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A file a command cannot read is named with what is wrong with it, not with its own path again. */
class IoFailureTest {
  @TempDir Path dir;

  @Test
  void describesTheCommonFailuresInWords() {
    assertThat(IoFailure.describe(new NoSuchFileException("x.pub"))).isEqualTo("no such file");
    assertThat(IoFailure.describe(new AccessDeniedException("x.pub"))).isEqualTo("permission denied");
    assertThat(IoFailure.describe(new IOException("Is a directory"))).isEqualTo("Is a directory");
  }

  @Test
  void aMissingFileGivenToACommandIsSaidToBeMissing() throws IOException {
    Path data = AuditExportTest.logOf(dir.resolve("data"), 3);
    AuditFiles.loadOrCreateSigner(AuditFiles.of(data).defaultSigningKeyFile(), "curfew-test");
    String missing = dir.resolve("nonexist.txt").toString();
    String said = "curfew: cannot read " + missing + ": no such file";

    assertThat(err("audit", "verify", "--data", data.toString(), "--public-key", missing)).isEqualTo(said);
    assertThat(err("audit", "attest", "--data", data.toString(), "--verify", missing)).isEqualTo(said);
    assertThat(err("audit", "verify-evidence", missing)).isEqualTo(said);
    assertThat(err("witness", "serve", "--data", dir.resolve("w").toString(), "--port", "0", "--log-key", missing))
        .isEqualTo(said);
  }

  @Test
  void aMissingSigningKeyIsSaidToBeMissing() throws IOException {
    Path data = AuditExportTest.logOf(dir.resolve("data"), 3);
    Path key = AuditFiles.of(data).defaultSigningKeyFile();
    assertThat(err("audit", "public-key", "--data", data.toString()))
        .isEqualTo("curfew: cannot read the signing key " + key + ": no such file");
  }

  /** The command's stderr, which must be one line, after a bad-input exit. */
  private static String err(String... args) {
    CliRun r = CliRun.of(args);
    assertThat(r.exit()).as(r.err()).isEqualTo(Main.EXIT_BAD_INPUT);
    return r.err().strip();
  }
}

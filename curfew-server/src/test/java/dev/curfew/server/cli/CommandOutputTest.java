package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.curfew.store.embedded.AuditFiles;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A command whose standard output cannot be written (a full disk: /dev/full answers every write
 * with ENOSPC) says so in one line and exits 1, instead of reporting success over nothing.
 */
class CommandOutputTest {
  private static final Path FULL = Path.of("/dev/full");

  @TempDir Path dir;

  @BeforeEach
  void needsDevFull() {
    assumeTrue(Files.isWritable(FULL), "/dev/full (Linux) is not here");
  }

  record Run(int exit, String err) {}

  private static Run runIntoFullDisk(String... args) throws IOException {
    try (FileOutputStream full = new FileOutputStream(FULL.toFile())) {
      CommandLine cl = Main.commandLine(full);
      StringWriter err = new StringWriter();
      cl.setErr(new PrintWriter(err, true));
      int exit = cl.execute(args);
      return new Run(exit, err.toString());
    }
  }

  @Test
  void exportIntoAFullDiskFailsInsteadOfCountingRecordsWritten() throws IOException {
    Path data = AuditExportTest.logOf(dir.resolve("data"), 402);
    Run r = runIntoFullDisk("audit", "export", "--data", data.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("curfew: cannot write the output: No space left on device" + System.lineSeparator());
  }

  @Test
  void publicKeyIntoAFullDiskFails() throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    AuditFiles.loadOrCreateSigner(AuditFiles.of(data).defaultSigningKeyFile(), "curfew-test");
    Run r = runIntoFullDisk("audit", "public-key", "--data", data.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("curfew: cannot write the output: ");
  }

  @Test
  void policyCheckJsonIntoAFullDiskFails() throws IOException {
    Path policy = dir.resolve("p.yaml");
    Files.writeString(policy, "idle_timeout: 15m\nabsolute_timeout: 12h\nwarn_before: 2m\nmax_extensions: 10\n"
        + "comply_with: [pci-dss-4.0]\n");
    Run r = runIntoFullDisk("policy", "check", policy.toString(), "--format", "json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).startsWith("curfew: cannot write the output: ");
  }

  @Test
  void helpIntoAFullDiskFails() throws IOException {
    assertThat(runIntoFullDisk("audit", "export", "--help").exit()).isEqualTo(1);
  }
}

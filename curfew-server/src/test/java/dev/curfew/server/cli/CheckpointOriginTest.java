package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.store.embedded.AuditFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint's origin and its signing key's name are both {@code curfew/<node>}
 * (docs/contract-changes.md): a checkpoint of {@code curfew/vm} signed by a key named otherwise is
 * refused, even when that key is trusted.
 */
class CheckpointOriginTest {
  @TempDir Path dir;

  private static final NoteSigner EVIL = NoteSigner.generate("curfew/evil");

  private static String resign(String note) {
    return EVIL.sign(note.substring(0, note.indexOf("\n\n") + 1));
  }

  private Path evilKey() throws Exception {
    Path f = dir.resolve("evil.pub");
    Files.writeString(f, EVIL.verifier().verifierKey() + "\n");
    return f;
  }

  /** A log of curfew/vm whose checkpoints are all signed again by EVIL. */
  private Path resignedLog() throws Exception {
    Path data = dir.resolve("data");
    AuditStraySegmentTest.writeLog(data, 6);
    Path file = AuditFiles.of(data).checkpointsFile();
    List<String> lines = new ArrayList<>();
    for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      CheckpointLine c = CheckpointLine.parse(l);
      lines.add(new CheckpointLine(c.treeSize(), resign(c.note())).toJson());
    }
    Files.write(file, lines, StandardCharsets.UTF_8);
    return data;
  }

  @Test
  void verify_refusesCheckpointsOfCurfewVmSignedByAKeyNamedOtherwise() throws Exception {
    Path data = resignedLog();

    CliRun r = CliRun.of("audit", "verify", "--data", data.toString(), "--public-key", evilKey().toString());

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).contains("FAILED").contains("origin").contains("curfew/vm").contains("curfew/evil");
  }

  @Test
  void verifyEvidence_refusesABundleWhoseCheckpointOfCurfewVmIsSignedByAKeyNamedOtherwise() throws Exception {
    Path data = dir.resolve("data");
    AuditStraySegmentTest.writeLog(data, 6);
    CliRun evidence = CliRun.of("audit", "evidence", "--data", data.toString(), "--session", "s_1");
    Map<String, Object> bundle = Json.parseObject(evidence.out());
    bundle.put("checkpoint", resign((String) bundle.get("checkpoint")));
    bundle.put("public_key", EVIL.verifier().verifierKey());
    Path f = dir.resolve("bundle.json");
    Files.writeString(f, dev.curfew.core.audit.CanonicalJson.write(bundle));

    CliRun r = CliRun.of("audit", "verify-evidence", f.toString(), "--public-key", evilKey().toString());

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).contains("INVALID").contains("origin").contains("curfew/vm").contains("curfew/evil");
  }

  @Test
  void attestVerify_refusesAnAttestationBoundToACheckpointOfCurfewVmSignedByAKeyNamedOtherwise() throws Exception {
    Path data = resignedLog();
    Files.writeString(AuditFiles.of(data).defaultSigningKeyFile(), EVIL.signerKey() + "\n");
    Path out = dir.resolve("q");
    CliRun attest = CliRun.of("audit", "attest", "--data", data.toString(), "--from", "2026-01-01", "--to", "2027-01-01",
        "--out", out.toString());
    assertThat(attest.exit()).as(attest.out() + attest.err()).isZero();

    CliRun r = CliRun.of("audit", "attest", "--data", data.toString(), "--verify", out.resolve("attestation.json").toString(),
        "--public-key", evilKey().toString());

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).contains("FAILED").contains("origin").contains("curfew/vm").contains("curfew/evil");
  }
}

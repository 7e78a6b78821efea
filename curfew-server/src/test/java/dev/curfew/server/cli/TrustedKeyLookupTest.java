package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.NoteSigner;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A signed note names its key by name and key id (c2sp.org/signed-note), so a trusted key is found
 * by both: two trusted keys of one name (a rotated key, or another node's that reused the name)
 * are two keys.
 */
class TrustedKeyLookupTest {
  @TempDir Path dir;

  @Test
  void verifyEvidence_findsTheTrustedKeyByNameAndKeyId_notTheFirstOfTheName() throws Exception {
    Path data = dir.resolve("data");
    AuditStraySegmentTest.writeLog(data, 6);
    CliRun evidence = CliRun.of("audit", "evidence", "--data", data.toString(), "--session", "s_1");
    assertThat(evidence.exit()).as(evidence.err()).isZero();
    Path bundle = dir.resolve("bundle.json");
    Files.writeString(bundle, evidence.out());
    String real = CliRun.of("audit", "public-key", "--data", data.toString()).out().strip();
    String other = NoteSigner.generate("curfew/vm").verifier().verifierKey();
    Path a = dir.resolve("a.pub");
    Path b = dir.resolve("b.pub");
    Path both = dir.resolve("both.pub");
    Files.writeString(a, other + "\n");
    Files.writeString(b, real + "\n");
    Files.writeString(both, other + "\n" + real + "\n");

    CliRun twoFiles = CliRun.of("audit", "verify-evidence", bundle.toString(), "--public-key", a.toString(),
        "--public-key", b.toString());
    CliRun oneFile = CliRun.of("audit", "verify-evidence", bundle.toString(), "--public-key", both.toString());
    CliRun otherOnly = CliRun.of("audit", "verify-evidence", bundle.toString(), "--public-key", a.toString());

    for (CliRun r : new CliRun[] {twoFiles, oneFile}) {
      assertThat(r.exit()).as(r.out() + r.err()).isZero();
      assertThat(r.out()).contains("OK: 2 records of session s_1").contains("signed by the trusted key " + real);
    }
    assertThat(otherOnly.exit()).as(otherOnly.out() + otherOnly.err()).isEqualTo(AuditCommand.EXIT_FAILED);
  }

  @Test
  void verifyAndAttestVerify_takeAFileOfSeveralKeys_andUseTheOneNamedByTheCheckpointsSignature() throws Exception {
    Path data = dir.resolve("data");
    AuditStraySegmentTest.writeLog(data, 6);
    String real = CliRun.of("audit", "public-key", "--data", data.toString()).out().strip();
    Path both = dir.resolve("both.pub");
    Files.writeString(both, NoteSigner.generate("curfew/vm").verifier().verifierKey() + "\n" + real + "\n");
    Path q = dir.resolve("q");
    assertThat(CliRun.of("audit", "attest", "--data", data.toString(), "--from", "2026-01-01", "--to", "2027-01-01",
        "--out", q.toString()).exit()).isZero();

    CliRun verify = CliRun.of("audit", "verify", "--data", data.toString(), "--public-key", both.toString());
    CliRun attest = CliRun.of("audit", "attest", "--data", data.toString(), "--verify",
        q.resolve("attestation.json").toString(), "--public-key", both.toString());

    assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
    assertThat(verify.out()).contains("key:         " + real);
    assertThat(attest.exit()).as(attest.out() + attest.err()).isZero();
  }
}

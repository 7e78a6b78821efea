package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The checkpoint readers that see files and text from outside: lines of the checkpoints file,
 * signed notes (a trusted checkpoint given on the command line), checkpoint bodies, verifier keys.
 */
class CheckpointFuzzTest {
  private static final AuditTestLog LOG = AuditTestLog.of(24, 6);
  private static final NoteVerifier KEY = AuditTestLog.SIGNER.verifier();

  /** A checkpoints-file line parses (and writes back the same) or is refused with IllegalArgumentException. */
  @FuzzTest
  void checkpointLine_parsesAndRoundTrips_orIsRefused(byte[] input) {
    CheckpointLine line;
    try {
      line = CheckpointLine.parse(new String(input, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException refused) {
      return;
    }
    assertThat(CheckpointLine.parse(line.toJson())).isEqualTo(line);
  }

  /**
   * A note verifies only if it is one the log's key signed (signatures cannot be forged by
   * mutation); its body then parses as a checkpoint of the real tree. Anything else is a Rejected
   * value, never an exception.
   */
  @FuzzTest
  void signedNote_verifiesOnlyIfSigned_neverThrows(byte[] input) {
    NoteVerification v = KEY.verify(input);
    if (!v.verified()) return;
    Checkpoint c = Checkpoint.parse(v.textOrThrow());
    assertThat(c.origin()).isEqualTo(AuditTestLog.ORIGIN);
    assertThat(c.rootHash()).isEqualTo(LOG.tree.rootHash(c.treeSize()));
  }

  /** A checkpoint body parses and writes back the same, or is refused. */
  @FuzzTest
  void checkpointBody_parsesAndRoundTrips_orIsRefused(byte[] input) {
    Checkpoint c;
    try {
      c = Checkpoint.parse(new String(input, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException refused) {
      return;
    }
    assertThat(Checkpoint.parse(c.body())).isEqualTo(c);
  }

  /** A verifier key (--public-key FILE) parses and prints back the same, or is refused. */
  @FuzzTest
  void verifierKey_parsesAndRoundTrips_orIsRefused(byte[] input) {
    NoteVerifier k;
    try {
      k = NoteVerifier.parse(new String(input, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException refused) {
      return;
    }
    assertThat(NoteVerifier.parse(k.verifierKey())).isEqualTo(k);
  }
}

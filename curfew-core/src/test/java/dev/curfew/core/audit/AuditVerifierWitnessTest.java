package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code audit verify --witness-key}: the operator holds the log's key, rewrites a record, rebuilds
 * the tree and signs every checkpoint again. The log's key alone accepts that log; the witnesses'
 * cosignatures do not.
 */
class AuditVerifierWitnessTest {
  static final WitnessSigner W1 = WitnessSigner.fromSeed("witness.test/w1", filled(1));
  static final WitnessSigner W2 = WitnessSigner.fromSeed("witness.test/w2", filled(2));

  /** A log of 40 records with a checkpoint every 10, each cosigned by {@code cosigners}. */
  static AuditTestLog cosigned(List<WitnessSigner> cosigners) {
    AuditTestLog log = AuditTestLog.of(40, 10);
    log.checkpointLines.clear();
    for (long size = 10; size <= 40; size += 10) {
      log.checkpointLines.add(new CheckpointLine(size, cosign(log.note(size), cosigners)).toJson());
    }
    return log;
  }

  static String cosign(String note, List<WitnessSigner> cosigners) {
    SignedNote n = SignedNote.parse(note);
    List<String> lines = new ArrayList<>();
    for (WitnessSigner w : cosigners) lines.add(w.cosign(n.text(), 1_767_225_600L).line());
    return n.withSignatures(lines);
  }

  static AuditVerification verify(AuditTestLog log, WitnessQuorum quorum) throws IOException {
    AuditVerifier v = AuditVerifier.builder(AuditTestLog.SIGNER.verifier())
        .checkpointLines(log.checkpointLines.iterator()).witnesses(quorum).build();
    v.acceptAll(new ByteArrayInputStream(AuditTestLog.join(log.lines)));
    return v.finish();
  }

  @Test
  void cosignedLog_holds_withAllOrKOfN() throws IOException {
    AuditTestLog log = cosigned(List.of(W1, W2));
    AuditVerification all = verify(log, WitnessQuorum.all(List.of(W1.key(), W2.key())));
    assertThat(all.ok()).as("%s", all.failure()).isTrue();
    assertThat(all.witnessedSize()).isEqualTo(40);
    AuditTestLog onlyW1 = cosigned(List.of(W1));
    assertThat(verify(onlyW1, WitnessQuorum.of(List.of(W1.key(), W2.key()), 1)).ok()).isTrue();
    AuditVerification twoOfTwo = verify(onlyW1, WitnessQuorum.all(List.of(W1.key(), W2.key())));
    assertThat(twoOfTwo.ok()).isFalse();
    assertThat(twoOfTwo.failure().toString()).contains("checkpoint at tree size 40").contains("1 of 2 required");
  }

  @Test
  void rewrittenAndReSignedByTheLogsOwnKey_passesWithoutWitnesses_failsWithThem() throws IOException {
    AuditTestLog honest = cosigned(List.of(W1));
    AuditTestLog rewritten = new AuditTestLog();
    for (int seq = 0; seq < 40; seq++) {
      rewritten.append(seq == 13 ? AuditTestLog.record(13, AuditTestLog.START_MS + 130, "node-2", "s-forged")
          : honest.lines.get(seq));
    }
    for (long size = 10; size <= 40; size += 10) {
      rewritten.checkpointLines.add(new CheckpointLine(size, rewritten.note(size)).toJson());
    }
    assertThat(AuditTestLog.verify(rewritten.lines, rewritten.checkpointLines, null).ok()).isTrue();
    AuditVerification v = verify(rewritten, WitnessQuorum.all(List.of(W1.key())));
    assertThat(v.ok()).isFalse();
    assertThat(v.failure().toString()).contains("0 of 1 required witness cosignatures");

    // copying the old cosignature lines onto the new checkpoints does not help: they fail
    List<String> copied = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      long size = 10L * (i + 1);
      String oldNote = CheckpointLine.parse(honest.checkpointLines.get(i)).note();
      List<String> oldCosignatures = new ArrayList<>();
      for (String l : SignedNote.parse(oldNote).signatureLines()) if (l.contains("witness.test")) oldCosignatures.add(l + "\n");
      copied.add(new CheckpointLine(size, SignedNote.parse(rewritten.note(size)).withSignatures(oldCosignatures)).toJson());
    }
    rewritten.checkpointLines.clear();
    rewritten.checkpointLines.addAll(copied);
    AuditVerification c = verify(rewritten, WitnessQuorum.all(List.of(W1.key())));
    assertThat(c.ok()).isFalse();
    assertThat(c.failure().toString()).contains("checkpoint at tree size 20").contains("does not verify");
  }

  @Test
  void droppingTheNewestCheckpoints_toHideARewrite_leavesAnUnwitnessedLatest() throws IOException {
    AuditTestLog log = cosigned(List.of(W1));
    // keep the honest cosigned checkpoints up to 20, re-sign 30 and 40 with the log key alone
    List<String> lines = new ArrayList<>(log.checkpointLines.subList(0, 2));
    lines.add(new CheckpointLine(30, log.note(30)).toJson());
    lines.add(new CheckpointLine(40, log.note(40)).toJson());
    log.checkpointLines.clear();
    log.checkpointLines.addAll(lines);
    AuditVerification v = verify(log, WitnessQuorum.all(List.of(W1.key())));
    assertThat(v.ok()).isFalse();
    assertThat(v.witnessedSize()).isEqualTo(20);
    assertThat(v.failure().position()).isEqualTo(40);
  }

  private static byte[] filled(int value) {
    byte[] b = new byte[32];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }
}

package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.AuditVerification.Failure;
import dev.curfew.core.audit.AuditVerification.Where;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** AuditVerifier on an honest log and on every way of tampering with one that spec/audit.md names. */
class AuditVerifierTest {

  static final int RECORDS = 100;
  static final int CHECKPOINT_EVERY = 10;

  final AuditTestLog log = AuditTestLog.of(RECORDS, CHECKPOINT_EVERY);

  // ---- honest logs ----

  @Test
  void verify_honestLog_holdsAndCounts() {
    AuditVerification result = AuditTestLog.verify(log.lines, log.checkpointLines, log.note(RECORDS));

    assertThat(result.failure()).isNull();
    assertThat(result.ok()).isTrue();
    assertThat(result.records()).isEqualTo(RECORDS);
    assertThat(result.sessions()).isEqualTo(RECORDS / 4);
    assertThat(result.firstTime()).isEqualTo(Instant.ofEpochMilli(AuditTestLog.START_MS));
    assertThat(result.lastTime()).isEqualTo(Instant.ofEpochMilli(AuditTestLog.START_MS + 10L * (RECORDS - 1)));
    assertThat(result.checkpointsVerified()).isEqualTo(RECORDS / CHECKPOINT_EVERY);
    assertThat(result.checkpointedSize()).isEqualTo(RECORDS);
    assertThat(result.trustedCheckpointVerified()).isTrue();
  }

  @Test
  void verify_emptyLog_holds() {
    AuditVerification result = AuditTestLog.verify(List.of(), List.of(), null);
    assertThat(result.ok()).isTrue();
    assertThat(result.records()).isZero();
    assertThat(result.firstTime()).isNull();
  }

  @Test
  void verify_nodesInterleaveWithTheirOwnClocks_holds() {
    AuditTestLog skewed = new AuditTestLog();
    // node-2's clock is a minute behind node-1's: order is per node, not global.
    skewed.append(AuditTestLog.record(0, AuditTestLog.START_MS + 60_000, "node-1", "a"));
    skewed.append(AuditTestLog.record(1, AuditTestLog.START_MS, "node-2", "b"));
    skewed.append(AuditTestLog.record(2, AuditTestLog.START_MS + 60_000, "node-1", "a"));
    assertThat(AuditTestLog.verify(skewed.lines, List.of(), skewed.note(3)).ok()).isTrue();
  }

  @Test
  void accept_byteArrays_sameVerdictAsStream() {
    AuditVerifier verifier = AuditVerifier.builder(AuditTestLog.SIGNER.verifier())
        .checkpointLines(log.checkpointLines.iterator()).build();
    assertThat(verifier.acceptAll(log.lines.iterator())).isTrue();
    assertThat(verifier.finish().checkpointsVerified()).isEqualTo(10);
  }

  @Test
  void progress_calledEveryNRecords() {
    List<Long> calls = new ArrayList<>();
    AuditVerifier verifier = AuditVerifier.builder(AuditTestLog.SIGNER.verifier()).progress(25, calls::add).build();
    verifier.acceptAll(log.lines.iterator());
    assertThat(calls).containsExactly(25L, 50L, 75L, 100L);
  }

  @Test
  void recordsAfterLastCheckpoint_holdButAreNotCheckpointed() {
    log.append(AuditTestLog.record(RECORDS, AuditTestLog.START_MS + 10L * RECORDS));
    AuditVerification result = AuditTestLog.verify(log.lines, log.checkpointLines, null);
    assertThat(result.ok()).isTrue();
    assertThat(result.records()).isEqualTo(RECORDS + 1);
    assertThat(result.checkpointedSize()).isEqualTo(RECORDS);
  }

  @Test
  void aCleanStopCoveredByItsFinalCheckpoint_holds() {
    appendCleanStop(true);
    AuditVerification result = AuditTestLog.verify(log.lines, log.checkpointLines, null);
    assertThat(result.failure()).isNull();
    assertThat(result.checkpointedSize()).isEqualTo(RECORDS + 1);
  }

  @Test
  void recordsAfterTheLastCheckpoint_thenAStartThatSignsThem_hold() {
    // a crash left records 100..104 unsigned; the next start signed them before writing node.started
    for (int seq = RECORDS; seq < RECORDS + 5; seq++) log.append(AuditTestLog.record(seq, AuditTestLog.START_MS + 10L * seq));
    log.checkpointLines.add(new CheckpointLine(RECORDS + 5, log.note(RECORDS + 5)).toJson());
    log.append(stopRecord(RECORDS + 5, RecordTypes.NODE_STARTED));
    assertThat(AuditTestLog.verify(log.lines, log.checkpointLines, null).ok()).isTrue();
  }

  /** Appends node.stopped as record 100, and its final checkpoint when {@code signed}. */
  private void appendCleanStop(boolean signed) {
    log.append(stopRecord(RECORDS, RecordTypes.NODE_STOPPED));
    if (signed) log.checkpointLines.add(new CheckpointLine(RECORDS + 1, log.note(RECORDS + 1)).toJson());
  }

  private static byte[] stopRecord(long seq, String type) {
    return AuditRecord.builder(type, AuditTestLog.START_MS + 10L * seq, "node-1").put("version", "1.0").build()
        .canonicalLine(seq, AuditTestLog.START_MS + 10L * seq);
  }

  // ---- tampering with records ----

  @Test
  void tamper_editedByteInsideRecord_caughtByTheCheckpointCoveringIt() {
    List<byte[]> lines = new ArrayList<>(log.lines);
    lines.set(37, replace(lines.get(37), "user-37@", "user-38@")); // still canonical, same seq

    Failure failure = AuditTestLog.verify(lines, log.checkpointLines, null).failure();

    assertThat(failure.where()).isEqualTo(Where.CHECKPOINT);
    assertThat(failure.position()).isEqualTo(40);
    assertThat(failure.what()).contains("seq 30..39").contains("changed");
    assertThat(failure.changedBelow()).isEqualTo(40);
  }

  @Test
  void tamper_editedSeq_namesTheRecord() {
    List<byte[]> lines = new ArrayList<>(log.lines);
    lines.set(37, replace(lines.get(37), "\"seq\":37", "\"seq\":36"));
    assertFailure(AuditTestLog.verify(lines, log.checkpointLines, null), Where.RECORD, 37, "expected seq 37 but found 36");
  }

  @Test
  void tamper_deletedRecord_namesTheMissingSeq() {
    List<byte[]> lines = new ArrayList<>(log.lines);
    lines.remove(50);
    assertFailure(AuditTestLog.verify(lines, log.checkpointLines, null), Where.RECORD, 50,
        "expected seq 50 but found 51: records are missing");
  }

  @Test
  void tamper_twoRecordsSwapped_namesTheFirst() {
    List<byte[]> lines = new ArrayList<>(log.lines);
    byte[] a = lines.get(60);
    lines.set(60, lines.get(61));
    lines.set(61, a);
    assertFailure(AuditTestLog.verify(lines, log.checkpointLines, null), Where.RECORD, 60, "expected seq 60 but found 61");
  }

  @Test
  void tamper_nonCanonicalLine_extraSpace_namesTheRecord() {
    List<byte[]> lines = new ArrayList<>(log.lines);
    lines.set(25, replace(lines.get(25), "\"node\":", "\"node\": "));
    assertFailure(AuditTestLog.verify(lines, log.checkpointLines, null), Where.RECORD, 25, "not canonical JSON");
  }

  @Test
  void tamper_notJson_namesTheRecord() {
    List<byte[]> lines = new ArrayList<>(log.lines);
    lines.set(3, "{\"seq\":3,".getBytes(StandardCharsets.UTF_8));
    assertFailure(AuditTestLog.verify(lines, log.checkpointLines, null), Where.RECORD, 3, "not a canonical JSON object");
  }

  @Test
  void tamper_timeGoesBackwardsForOneNode_namesTheRecord() {
    AuditTestLog backwards = new AuditTestLog();
    for (int seq = 0; seq < 20; seq++) {
      long timeMs = AuditTestLog.START_MS + 10L * seq - (seq == 12 ? 1_000 : 0); // node-1 (even seq)
      backwards.append(AuditTestLog.record(seq, timeMs));
    }
    AuditVerification result = AuditTestLog.verify(backwards.lines, List.of(), backwards.note(20));
    assertFailure(result, Where.RECORD, 12, "time went backwards");
    assertThat(result.failure().what()).contains("node-1");
  }

  @Test
  void tamper_badTimeFormat_namesTheRecord() {
    List<byte[]> lines = new ArrayList<>(log.lines);
    String time = Times.format(AuditTestLog.START_MS + 10L * 9);
    lines.set(9, replace(lines.get(9), "\"time\":\"" + time + "\"", "\"time\":\"" + time.replace(".090Z", "Z") + "\""));
    assertFailure(AuditTestLog.verify(lines, log.checkpointLines, null), Where.RECORD, 9, "is not RFC 3339 UTC with milliseconds");
  }

  @Test
  void tamper_tornLastLine_namesTheRecord() {
    byte[] whole = AuditTestLog.join(log.lines);
    byte[] torn = java.util.Arrays.copyOf(whole, whole.length - 40);
    assertFailure(AuditTestLog.verify(torn, List.of(), null), Where.RECORD, RECORDS - 1, "torn write");
  }

  // ---- tampering with checkpoints ----

  @Test
  void tamper_recordAppendedAfterLastCheckpoint_withCheckpointSignedByAnotherKey() {
    log.append(AuditTestLog.record(RECORDS, AuditTestLog.START_MS + 10L * RECORDS));
    List<String> checkpoints = new ArrayList<>(log.checkpointLines);
    checkpoints.add(new CheckpointLine(RECORDS + 1, log.note(RECORDS + 1, AuditTestLog.OTHER_SIGNER)).toJson());

    assertFailure(AuditTestLog.verify(log.lines, checkpoints, null), Where.CHECKPOINT, RECORDS + 1, "is not signed by");
  }

  @Test
  void tamper_forgedSignature_namesTheCheckpoint() {
    List<String> checkpoints = new ArrayList<>(log.checkpointLines);
    String note = log.note(30);
    int sig = note.lastIndexOf(' ') + 10;
    String forged = note.substring(0, sig) + (note.charAt(sig) == 'A' ? 'B' : 'A') + note.substring(sig + 1);
    checkpoints.set(2, new CheckpointLine(30, forged).toJson());

    assertFailure(AuditTestLog.verify(log.lines, checkpoints, null), Where.CHECKPOINT, 30, "signature does not verify");
  }

  @Test
  void tamper_rootInSignedNoteEdited_namesTheCheckpoint() {
    List<String> checkpoints = new ArrayList<>(log.checkpointLines);
    String note = log.note(30);
    String edited = note.replace(java.util.Base64.getEncoder().encodeToString(log.tree.rootHash(30)),
        java.util.Base64.getEncoder().encodeToString(log.tree.rootHash(29)));
    checkpoints.set(2, new CheckpointLine(30, edited).toJson());
    assertFailure(AuditTestLog.verify(log.lines, checkpoints, null), Where.CHECKPOINT, 30, "signature does not verify");
  }

  @Test
  void tamper_checkpointLineSizeDisagreesWithNote() {
    List<String> checkpoints = new ArrayList<>(log.checkpointLines);
    checkpoints.set(2, new CheckpointLine(31, log.note(30)).toJson());
    assertFailure(AuditTestLog.verify(log.lines, checkpoints, null), Where.CHECKPOINT, 31, "its signed note says 30");
  }

  @Test
  void tamper_logTruncatedBelowACheckpoint_namesTheCheckpoint() {
    assertFailure(AuditTestLog.verify(log.lines.subList(0, 95), log.checkpointLines, null), Where.CHECKPOINT, 100,
        "the log was truncated");
  }

  @Test
  void tamper_truncatedBelowTrustedCheckpoint_withCheckpointsFileCutToo() {
    String trusted = log.note(RECORDS);
    AuditVerification result = AuditTestLog.verify(log.lines.subList(0, 90), log.checkpointLines.subList(0, 9), trusted);
    assertFailure(result, Where.TRUSTED_CHECKPOINT, RECORDS, "truncated below trusted checkpoint");
  }

  @Test
  void tamper_historyRewrittenBelowTrustedCheckpoint() {
    String trusted = log.note(50); // kept by an auditor
    AuditTestLog rewritten = new AuditTestLog(); // what an insider presents later, with no checkpoints
    for (int seq = 0; seq < 60; seq++) {
      rewritten.append(AuditTestLog.record(seq, AuditTestLog.START_MS + 10L * seq, "node-1", "other"));
    }
    assertFailure(AuditTestLog.verify(rewritten.lines, List.of(), trusted), Where.TRUSTED_CHECKPOINT, 50,
        "differs from the root recomputed");
  }

  @Test
  void tamper_checkpointsAfterACleanStopRemoved_namesTheFirstRecordNoCheckpointCovers() {
    appendCleanStop(true);
    List<byte[]> lines = new ArrayList<>(log.lines);
    lines.set(37, replace(lines.get(37), "user-37@", "user-38@")); // and the checkpoints from 40 on removed
    AuditVerification result = AuditTestLog.verify(lines, log.checkpointLines.subList(0, 3), null);
    assertFailure(result, Where.RECORD, 30, "clean stop");
    assertThat(result.failure().what()).contains("seq 30..100");
    assertThat(result.failure().changedBelow()).as("records worth comparing with their stored leaf hashes")
        .isEqualTo(RECORDS + 1);
  }

  @Test
  void tamper_everyCheckpointOfACleanlyStoppedLogRemoved_namesRecordZero() {
    appendCleanStop(true);
    assertFailure(AuditTestLog.verify(log.lines, List.of(), null), Where.RECORD, 0, "clean stop");
  }

  @Test
  void aCleanStopWhoseFinalCheckpointIsMissing_fails_evenWithoutAnEdit() {
    appendCleanStop(false); // removed, or never written (a full disk at the stop): no signature covers seq 100
    assertFailure(AuditTestLog.verify(log.lines, log.checkpointLines, null), Where.RECORD, RECORDS, "clean stop");
  }

  @Test
  void tamper_rewrittenAndSignedAgainWithTheLogsKey_theTrustedCheckpointNamesEveryRecordBelowIt() {
    String trusted = log.note(50); // kept by an auditor
    AuditTestLog rewritten = new AuditTestLog(); // an insider with the log's key: every checkpoint signed again
    for (int seq = 0; seq < RECORDS; seq++) {
      rewritten.append(seq == 7 ? AuditTestLog.record(seq, AuditTestLog.START_MS + 10L * seq, "node-1", "other")
          : log.lines.get(seq));
      if ((seq + 1) % CHECKPOINT_EVERY == 0) {
        rewritten.checkpointLines.add(new CheckpointLine(seq + 1, rewritten.note(seq + 1)).toJson());
      }
    }
    AuditVerification result = AuditTestLog.verify(rewritten.lines, rewritten.checkpointLines, trusted);
    assertFailure(result, Where.TRUSTED_CHECKPOINT, 50, "a record in seq 0..49");
    assertThat(result.failure().changedBelow()).isEqualTo(50);
  }

  @Test
  void aFailureThatSaysNothingOfChangedBytes_namesNoRecordsToCompare() {
    assertThat(AuditTestLog.verify(log.lines.subList(0, 95), log.checkpointLines, null).failure().changedBelow())
        .as("truncated below a checkpoint").isEqualTo(-1);
    List<byte[]> lines = new ArrayList<>(log.lines);
    lines.set(37, replace(lines.get(37), "\"seq\":37", "\"seq\":36"));
    assertThat(AuditTestLog.verify(lines, log.checkpointLines, null).failure().changedBelow()).isEqualTo(-1);
  }

  @Test
  void tamper_trustedCheckpointSignedByAnotherKey() {
    assertFailure(AuditTestLog.verify(log.lines, log.checkpointLines, log.note(50, AuditTestLog.OTHER_SIGNER)),
        Where.TRUSTED_CHECKPOINT, -1, "is not signed by");
  }

  @Test
  void checkpointsFile_garbageLine_namesTheLine() {
    List<String> checkpoints = new ArrayList<>(log.checkpointLines);
    checkpoints.set(1, "not json");
    assertFailure(AuditTestLog.verify(log.lines, checkpoints, null), Where.CHECKPOINT_FILE, 2, "not a checkpoint");
  }

  // ---- pieces ----

  @Test
  void frontier_rootEqualsMerkleTreeRoot_forEverySizeUpTo300() {
    MerkleTree tree = MerkleTree.inMemory();
    MerkleFrontier frontier = new MerkleFrontier();
    assertThat(frontier.rootHash()).isEqualTo(MerkleTree.emptyRootHash());
    Random random = new Random(1);
    for (int i = 0; i < 300; i++) {
      byte[] leaf = new byte[random.nextInt(40)];
      random.nextBytes(leaf);
      tree.append(leaf);
      frontier.appendLeaf(leaf, 0, leaf.length);
      assertThat(frontier.rootHash()).as("size %d", i + 1).isEqualTo(tree.rootHash());
    }
  }

  @Test
  void parseTimeMs_agreesWithTimesFormat_andRefusesOtherSpellings() {
    Random random = new Random(2);
    for (int i = 0; i < 10_000; i++) {
      long ms = random.nextLong() % 253_402_300_799_999L; // within years 0000..9999
      ms = Math.abs(ms) - 62_135_596_800_000L * (random.nextBoolean() ? 0 : 1);
      String text = Times.format(ms);
      if (text.length() == 24) {
        assertThat(AuditVerifier.parseTimeMs(text)).as(text).isEqualTo(ms);
      }
    }
    for (String bad : List.of("2026-02-29T00:00:00.000Z", "2026-01-01T24:00:00.000Z", "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00.000+00:00", "2026-13-01T00:00:00.000Z", "2026-01-01 00:00:00.000Z", "x")) {
      assertThat(AuditVerifier.parseTimeMs(bad)).as(bad).isEqualTo(Long.MIN_VALUE);
    }
    assertThat(AuditVerifier.parseTimeMs("2024-02-29T23:59:59.999Z")).isEqualTo(Times.parse("2024-02-29T23:59:59.999Z"));
  }

  static void assertFailure(AuditVerification result, Where where, long position, String what) {
    assertThat(result.ok()).as("ok").isFalse();
    assertThat(result.failure().where()).as(result.failure().toString()).isEqualTo(where);
    assertThat(result.failure().position()).as(result.failure().toString()).isEqualTo(position);
    assertThat(result.failure().what()).contains(what);
  }

  static byte[] replace(byte[] line, String from, String to) {
    String text = new String(line, StandardCharsets.UTF_8);
    assertThat(text).contains(from);
    return text.replace(from, to).getBytes(StandardCharsets.UTF_8);
  }
}

package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.ManualClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.EvidenceVerification;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.RecordTypes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retention with proof (audit/archived.jsonl) and legal holds (audit/holds.json). */
class AuditRetentionTest {
  @TempDir Path dir;
  @TempDir Path elsewhere;
  private final ManualClock clock = new ManualClock(Instant.parse("2025-01-10T08:00:00Z"));
  private AuditTrail trail;
  private FileAuditLog log;

  @AfterEach
  void close() throws IOException {
    stop();
  }

  private void start() throws IOException {
    trail = AuditTrail.open(dir, AuditTrail.Settings.defaults().withRetention(Duration.ofDays(400)), "node-1", clock);
    log = FileAuditLog.open(dir, EmbeddedStore.Options.defaults().withClock(clock)
        .withSegmentMaxBytes(2048).withLeafListener(trail), "node-1");
    trail.attach(log);
  }

  private void stop() throws IOException {
    if (log != null) log.close();
    if (trail != null) trail.close();
    log = null;
    trail = null;
  }

  private void append(String sessionId, String subject) {
    AuditRecord r = AuditRecord.builder(RecordTypes.SESSION_CREATED, clock.millis(), "node-1")
        .session(sessionId, subject, "standard", 1).build();
    log.append(List.of(r), List.of()).join();
  }

  /** 60 old records over several segments (three subjects), 401 days, then 5 new ones. */
  private void oldAndNewRecords() throws IOException {
    start();
    for (int i = 0; i < 60; i++) {
      append("old_" + (i % 3), "subject-" + (i % 3));
      clock.advance(Duration.ofSeconds(10));
    }
    trail.checkpointNow();
    clock.advance(Duration.ofDays(401));
    for (int i = 0; i < 5; i++) append("new_" + i, "subject-new");
  }

  private AuditFiles files() {
    return AuditFiles.of(dir);
  }

  private NoteVerifier key() throws IOException {
    return AuditFiles.readSigner(files().defaultSigningKeyFile()).verifier();
  }

  private AuditFileVerifier.Result verify(AuditFiles f) throws IOException {
    return AuditFileVerifier.verify(f, key(), null, 1000, null);
  }

  private List<Path> archived() throws IOException {
    if (!Files.isDirectory(files().archiveDir())) return List.of();
    try (Stream<Path> s = Files.list(files().archiveDir())) {
      return s.sorted().toList();
    }
  }

  private void moveArchiveElsewhere() throws IOException {
    for (Path p : archived()) Files.move(p, elsewhere.resolve(p.getFileName()));
    Files.delete(files().archiveDir());
  }

  private List<Map<String, Object>> records() throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    files().forEachLine(0, Long.MAX_VALUE, 1 << 20, (seq, f, o, b, off, len) ->
        out.add(Json.parseObject(new String(b, off, len, StandardCharsets.UTF_8))));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> record) {
    return (Map<String, Object>) record.get("data");
  }

  @Test
  void archivedSegments_areProvenAgainstTheCurrentTree_evenWithTheArchiveMovedElsewhere() throws IOException {
    oldAndNewRecords();
    int moved = trail.applyRetention();
    assertThat(moved).isGreaterThan(1);
    TreeMap<Long, ArchiveManifest.Entry> manifest = ArchiveManifest.read(files());
    assertThat(manifest).hasSize(moved);
    append("new_after", "subject-new");
    stop(); // a final checkpoint over every record
    moveArchiveElsewhere();

    AuditFileVerifier.Result without = verify(files());
    assertThat(without.ok()).as("%s", without.verification().failure()).isTrue();
    assertThat(without.verification().records()).isEqualTo(66);
    assertThat(without.archive().absentSegments()).isEqualTo(moved);
    long archivedRecords = manifest.lastEntry().getValue().endSeq();
    assertThat(without.archive().summarizedRecords()).isEqualTo(archivedRecords);
    assertThat(without.verification().checkpointedSize()).isEqualTo(66);

    AuditFileVerifier.Result with = verify(files().withArchiveDir(elsewhere));
    assertThat(with.ok()).as("%s", with.verification().failure()).isTrue();
    assertThat(with.archive().absentSegments()).isZero();
    assertThat(with.archive().summarizedRecords()).isZero();

    // an archived record's evidence, proven against the latest checkpoint of the whole tree
    AuditTrail.FileEvidence e = AuditTrail.evidenceFromFiles(files().withArchiveDir(elsewhere), key(), "old_1");
    EvidenceVerification ev = EvidenceBundle.verify(e.bundle().orElseThrow(), key());
    assertThat(ev.ok()).as("%s", ev.problems()).isTrue();
    assertThat(ev.treeSize()).isEqualTo(66);
    assertThat(ev.entries()).isEqualTo(20);
  }

  @Test
  void segmentsArchivedWithoutAManifestEntry_getOneAtTheNextRetentionRun() throws IOException {
    oldAndNewRecords();
    int moved = trail.applyRetention();
    Files.delete(files().archiveManifestFile()); // as a version that kept none left it
    assertThat(trail.applyRetention()).isZero();
    assertThat(ArchiveManifest.read(files())).hasSize(moved);
    stop();
    moveArchiveElsewhere();
    AuditFileVerifier.Result r = verify(files());
    assertThat(r.ok()).as("%s", r.verification().failure()).isTrue();
    assertThat(r.archive().absentSegments()).isEqualTo(moved);
  }

  @Test
  void aTamperedArchive_isCaught_andNamed() throws IOException {
    oldAndNewRecords();
    trail.applyRetention();
    stop();
    moveArchiveElsewhere();
    Path first;
    try (Stream<Path> s = Files.list(elsewhere)) {
      first = s.sorted().findFirst().orElseThrow();
    }
    // still canonical JSON with the right seq and time: only the Merkle tree can tell
    String text = Files.readString(first, StandardCharsets.UTF_8);
    Files.writeString(first, text.replaceFirst("subject-1", "subject-9"), StandardCharsets.UTF_8);

    AuditFileVerifier.Result r = verify(files().withArchiveDir(elsewhere));
    assertThat(r.ok()).isFalse();
    assertThat(r.verification().failure().where()).isEqualTo(AuditVerification.Where.CHECKPOINT);
    assertThat(r.archive().problems()).singleElement().asString()
        .contains(first.getFileName().toString()).contains("was changed after it was archived");
  }

  @Test
  void aManifestAlteredToMatchAnAlteredArchive_yieldsARootNoCheckpointSigned() throws IOException {
    oldAndNewRecords();
    trail.applyRetention();
    stop();
    moveArchiveElsewhere();
    Path manifest = files().archiveManifestFile();
    List<String> lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
    String firstHash = (String) ((Map<?, ?>) ((List<?>) Json.parseObject(lines.get(0)).get("subtrees")).get(0)).get("hash");
    byte[] h = java.util.Base64.getDecoder().decode(firstHash);
    h[0] ^= 1;
    lines.set(0, lines.get(0).replace(firstHash, java.util.Base64.getEncoder().encodeToString(h)));
    Files.write(manifest, lines, StandardCharsets.UTF_8);

    AuditFileVerifier.Result r = verify(files());
    assertThat(r.ok()).isFalse();
    assertThat(r.verification().failure().where()).isEqualTo(AuditVerification.Where.CHECKPOINT);
    assertThat(r.verification().failure().what()).contains("differs from the root recomputed");
  }

  @Test
  void aSubjectHold_keepsItsSegmentsOutOfTheArchive_untilItIsLifted_andBothAreRecordedWithTheActor() throws IOException {
    oldAndNewRecords();
    LegalHolds.Hold hold = new LegalHolds.Hold(LegalHolds.newId(), "subject-2", 0, 0, "case 2026-114",
        "legal@example.com", dev.curfew.core.audit.Times.format(clock.millis()));
    LegalHolds.place(files(), log, hold, "node-1", clock.millis());

    assertThat(trail.applyRetention()).isZero(); // every old segment has a record of subject-2
    assertThat(archived()).isEmpty();
    Map<String, Object> placed = records().get(records().size() - 1);
    assertThat(placed.get("type")).isEqualTo(RecordTypes.AUDIT_HOLD_PLACED);
    assertThat(data(placed)).containsEntry("actor", "legal@example.com")
        .containsEntry("subject", "subject-2").containsEntry("hold_id", hold.id());

    stop();
    AuditFileVerifier.Result r = verify(files());
    assertThat(r.ok()).isTrue();
    assertThat(r.holds().inForce()).extracting(LegalHolds.Hold::id).containsExactly(hold.id());
    assertThat(r.holds().recordedInForce()).containsExactly(hold.id());
    assertThat(r.holds().disagreements()).isEmpty();
    start(); // attach applies the retention too: still held

    assertThat(archived()).isEmpty();
    LegalHolds.lift(files(), log, hold.id(), "case closed", "legal@example.com", "node-1", clock.millis());
    Map<String, Object> lifted = records().get(records().size() - 1);
    assertThat(lifted.get("type")).isEqualTo(RecordTypes.AUDIT_HOLD_LIFTED);
    assertThat(data(lifted)).containsEntry("actor", "legal@example.com").containsEntry("hold_id", hold.id());
    assertThat(LegalHolds.read(files())).isEmpty();

    assertThat(trail.applyRetention()).isGreaterThan(1);
    stop();
    AuditFileVerifier.Result after = verify(files());
    assertThat(after.ok()).isTrue();
    assertThat(after.holds().recordedInForce()).isEmpty();
  }

  @Test
  void aPeriodHold_keepsOnlyTheSegmentsWithRecordsInThePeriod() throws IOException {
    oldAndNewRecords();
    List<Map<String, Object>> all = records();
    long heldFrom = dev.curfew.core.audit.Times.parse((String) all.get(30).get("time"));
    long heldTo = dev.curfew.core.audit.Times.parse((String) all.get(31).get("time"));
    LegalHolds.Hold hold = new LegalHolds.Hold(LegalHolds.newId(), null, heldFrom, heldTo, "inquiry",
        "legal", dev.curfew.core.audit.Times.format(clock.millis()));
    LegalHolds.place(files(), log, hold, "node-1", clock.millis());
    int moved = trail.applyRetention();
    assertThat(moved).isGreaterThan(0);
    // the segment with record 30 stays, the others past the retention move
    Path holding = log.segmentsSnapshot().floorEntry(30L).getValue();
    assertThat(holding.getParent()).isEqualTo(files().auditDir());
    assertThat(archived()).isNotEmpty().doesNotContain(files().archiveDir().resolve(holding.getFileName()));

    LegalHolds.lift(files(), log, hold.id(), "done", "legal", "node-1", clock.millis());
    trail.applyRetention();
    assertThat(archived()).contains(files().archiveDir().resolve(holding.getFileName()));
    stop();
    AuditFileVerifier.Result r = verify(files());
    assertThat(r.ok()).as("%s", r.verification().failure()).isTrue();
  }

  @Test
  void anUnreadableHoldsFile_archivesNothing_andTheNodeStillStarts() throws IOException {
    oldAndNewRecords();
    Files.writeString(files().holdsFile(), "{not json", StandardCharsets.UTF_8);
    assertThat(trail.applyRetention()).isZero();
    assertThat(archived()).isEmpty();
    stop();
    start(); // attach applies the retention too
    assertThat(archived()).isEmpty();
    append("after", "subject-new");
  }

  @Test
  void aDamagedArchiveManifest_archivesNothing_andTheNodeStillStarts() throws IOException {
    oldAndNewRecords();
    Files.writeString(files().archiveManifestFile(), "{not json\n", StandardCharsets.UTF_8);
    assertThat(trail.applyRetention()).isZero();
    assertThat(archived()).isEmpty();
    stop();
    start(); // attach applies the retention too
    assertThat(archived()).isEmpty();
    append("after", "subject-new");
  }

  @Test
  void liftingAHoldThatIsNotInForce_isRefused_andWritesNothing() throws IOException {
    oldAndNewRecords();
    long before = log.size();
    assertThatThrownBy(() -> LegalHolds.lift(files(), log, "hold_000000000000", "x", "legal", "node-1", clock.millis()))
        .hasMessageContaining("no hold");
    assertThat(log.size()).isEqualTo(before);
  }
}

package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.TokenHash;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.RecordTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedStoreTest {
  @TempDir Path dir;
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T22:00:00.000Z"));
  private final List<String> tokens = new ArrayList<>();
  private EmbeddedStore store;
  private SessionEngine engine;
  private EmbeddedStore.Recovery recovery;

  static Policy standard() {
    return Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3);
  }

  /** Opens the store, builds an engine on it, recovers: what the server does at start. */
  private void start() throws IOException {
    store = EmbeddedStore.open(dir, EmbeddedStore.Options.defaults().withClock(clock)
        .withSnapshotInterval(Duration.ofHours(1)).withVersion("test"), "node-1");
    Policy rotating = Policy.builder("rotating").idleTimeout(Duration.ofMinutes(15))
        .warnBefore(Duration.ofMinutes(2)).renewEvery(Duration.ofMinutes(5)).build();
    engine = new SessionEngine(clock, "node-1", new Policies(List.of(standard(), rotating), "standard"),
        store.log(), SessionEvents.NONE, EngineMetrics.NONE, SessionEngine.Limits.defaults());
    recovery = store.recover(engine);
  }

  /** A crash between two appends: the writer stops, no node.stopped, no final snapshot. */
  private void crash() {
    store.halt();
  }

  @AfterEach
  void closeStore() throws IOException {
    if (store != null) store.close();
  }

  private Decision open(String subject) {
    Decision d = engine.open(subject, null, Map.of("ip", "192.0.2.1"));
    d.durable().join();
    tokens.add(d.token());
    return d;
  }

  private List<Map<String, Object>> records() throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    store.log().scan(0, l -> out.add(Json.parseObject(l)));
    return out;
  }

  @Test
  void aFirstStart_saysNothingOfAPreviousRun_aRestartDoes() throws Exception {
    start();
    Map<String, Object> first = data(records().get(0));
    assertThat(records().get(0)).containsEntry("type", RecordTypes.NODE_STARTED);
    assertThat(first).as("no previous run to recover from, or to have stopped cleanly").containsOnlyKeys("version");
    store.close();
    start();
    Map<String, Object> again = data(records().stream().filter(r -> RecordTypes.NODE_STARTED.equals(r.get("type")))
        .reduce((x, y) -> y).orElseThrow());
    assertThat(again).containsEntry("clean_shutdown", true).containsEntry("recovered_sessions", 0L)
        .containsEntry("expired_during_downtime", 0L);
  }

  @Test
  void recoveryAfterCrash_keepsLiveSessions_neverRevivesEndedOnes_endsThoseExpiredWhileDown() throws Exception {
    start();
    String live = open("alice").token();
    String extended = open("bob").token();
    String loggedOut = open("carol").token();
    Decision revokedD = open("dave");
    String idle = open("erin").token();
    clock.advance(Duration.ofMinutes(10));
    assertThat(engine.extend(extended).durable()).succeedsWithin(Duration.ofSeconds(5));
    assertThat(engine.extend(live).durable()).succeedsWithin(Duration.ofSeconds(5));
    engine.logout(loggedOut).durable().join();
    engine.revoke(revokedD.status().sessionId(), "admin", "left the company").durable().join();
    crash();

    clock.advance(Duration.ofMinutes(6)); // erin's idle deadline (t0+15m) passes while down
    start();
    assertThat(recovery.cleanShutdown()).isFalse();
    assertThat(recovery.recoveredSessions()).isEqualTo(2);
    assertThat(recovery.expiredDuringDowntime()).isEqualTo(1);

    assertThat(engine.check(live, false).allowed()).isTrue();
    Decision b = engine.check(extended, false);
    assertThat(b.allowed()).isTrue();
    assertThat(b.status().extensionsUsed()).isEqualTo(1);
    assertThat(b.status().idleExpiresAtMs()).isEqualTo(clock.millis() - Duration.ofMinutes(6).toMillis()
        + Duration.ofMinutes(15).toMillis());
    assertThat(engine.check(loggedOut, true).reason()).isEqualTo(EndReason.LOGGED_OUT);
    assertThat(engine.check(revokedD.token(), true).reason()).isEqualTo(EndReason.REVOKED);
    assertThat(engine.extend(revokedD.token()).reason()).isEqualTo(EndReason.REVOKED);
    assertThat(engine.check(idle, true).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);

    List<Map<String, Object>> recs = records();
    Map<String, Object> expired = recs.stream().filter(r -> RecordTypes.EXPIRED.equals(r.get("type")))
        .findFirst().orElseThrow();
    assertThat(expired.get("subject")).isEqualTo("erin");
    assertThat(data(expired)).containsEntry("detected_by", "recovery").containsEntry("reason", "idle_timeout");
    Map<String, Object> started = recs.stream().filter(r -> RecordTypes.NODE_STARTED.equals(r.get("type")))
        .reduce((x, y) -> y).orElseThrow();
    assertThat(data(started)).containsEntry("version", "test").containsEntry("recovered_sessions", 2L)
        .containsEntry("expired_during_downtime", 1L).containsEntry("clean_shutdown", false);
    assertThat(recs.indexOf(expired)).isLessThan(recs.indexOf(started));
    assertNoTokenInAuditSegments();
  }

  @Test
  void snapshotPlusLaterRecords_recoverTogether_andOldTokenJournalsAreDeleted() throws Exception {
    start();
    String a = open("alice").token();
    String b = open("bob").token();
    String c = open("carol").token();
    engine.logout(c).durable().join();
    clock.advance(Duration.ofMinutes(1));
    long seq = store.snapshot();
    assertThat(seq).isEqualTo(store.log().size());
    // after the snapshot: a new session, an extension, a logout, a revocation
    String d = open("dave").token();
    clock.advance(Duration.ofMinutes(9));
    engine.extend(a).durable().join();
    long aExpires = engine.check(a, false).status().idleExpiresAtMs();
    engine.logout(b).durable().join();
    crash();

    assertThat(TokenJournal.generations(dir).keySet()).containsExactly(1L);
    assertThat(FileAuditLogTest.mode(dir.resolve(Snapshotter.FILE))).isEqualTo("rw-------");
    Map<String, Object> snap = Json.parseObject(Files.readString(dir.resolve(Snapshotter.FILE)));
    assertThat(snap.get("seq")).isEqualTo(seq);
    assertThat((List<?>) snap.get("sessions")).hasSize(3);

    clock.advance(Duration.ofMinutes(1));
    start();
    assertThat(recovery.snapshotSeq()).isEqualTo(seq);
    assertThat(recovery.recoveredSessions()).isEqualTo(2); // a and d
    assertThat(engine.check(a, false).status().idleExpiresAtMs()).isEqualTo(aExpires);
    assertThat(engine.check(d, false).allowed()).isTrue();
    assertThat(engine.check(b, false).reason()).isEqualTo(EndReason.LOGGED_OUT);
    assertThat(engine.check(c, false).reason()).isEqualTo(EndReason.LOGGED_OUT);
    assertNoTokenInAuditSegments();
  }

  @Test
  void rotatedTokens_recoverFromTheJournal_andTheOldTokenIsAReplay() throws Exception {
    start();
    Decision d = engine.open("alice", "rotating", Map.of());
    d.durable().join();
    clock.advance(Duration.ofMinutes(6));
    Decision touched = engine.check(d.token(), true);
    touched.durable().join();
    String rotated = touched.token();
    assertThat(rotated).isNotNull();
    crash();
    start();
    assertThat(engine.check(rotated, false).allowed()).isTrue();
    assertThat(engine.check(d.token(), false).reason()).isEqualTo(EndReason.REPLAYED);
    assertThat(engine.check(rotated, false).reason()).isEqualTo(EndReason.REPLAYED);
  }

  @Test
  void aCleanStop_writesTheRefusalsHeldBack_beforeNodeStopped() throws Exception {
    start();
    Decision d = open("alice");
    engine.logout(d.token()).durable().join();
    for (int i = 0; i < 4; i++) engine.check(d.token(), true).durable().join(); // one record, three held back
    store.close();
    start();
    List<Map<String, Object>> all = records();
    List<String> types = all.stream().map(r -> (String) r.get("type")).toList();
    assertThat(types).containsExactly(RecordTypes.NODE_STARTED, RecordTypes.SESSION_CREATED, RecordTypes.LOGGED_OUT,
        RecordTypes.REFUSED, RecordTypes.REFUSED, RecordTypes.NODE_STOPPED, RecordTypes.NODE_STARTED);
    assertThat(((Map<?, ?>) all.get(4).get("data")).get("repeats")).as("the last held back, counting two").isEqualTo(2L);
  }

  /** docs/audit.md: holds are placed and lifted with the server stopped; that does not make its stop unclean. */
  @Test
  void aHoldPlacedAndLiftedAfterACleanStop_leavesTheStopClean() throws Exception {
    start();
    open("alice");
    store.close();
    store = null;
    try (FileAuditLog log = FileAuditLog.open(dir, EmbeddedStore.Options.defaults().withClock(clock), "node-1")) {
      LegalHolds.Hold h = new LegalHolds.Hold(LegalHolds.newId(), "alice", Long.MIN_VALUE, Long.MAX_VALUE, "matter 114", "legal",
          "2026-11-26T22:00:00.000Z");
      LegalHolds.place(AuditFiles.of(dir), log, h, "node-1", clock.millis());
      LegalHolds.lift(AuditFiles.of(dir), log, h.id(), "matter closed", "legal", "node-1", clock.millis());
    }
    start();
    assertThat(recovery.cleanShutdown()).isTrue();
    assertThat(records().get(records().size() - 1)).containsEntry("type", RecordTypes.NODE_STARTED);
    assertThat(data(records().get(records().size() - 1))).containsEntry("clean_shutdown", true);
  }

  @Test
  void cleanShutdown_isRecordedAndRecognized() throws Exception {
    start();
    String a = open("alice").token();
    store.close();
    store = null;
    start();
    assertThat(recovery.cleanShutdown()).isTrue();
    assertThat(recovery.recordsReplayed()).isZero(); // the final snapshot covers everything
    assertThat(engine.check(a, false).allowed()).isTrue();
    List<String> types = records().stream().map(r -> (String) r.get("type")).toList();
    assertThat(types).containsExactly(RecordTypes.NODE_STARTED, RecordTypes.SESSION_CREATED,
        RecordTypes.NODE_STOPPED, RecordTypes.NODE_STARTED);
  }

  private static Map<String, Object> data(Map<String, Object> record) {
    @SuppressWarnings("unchecked")
    Map<String, Object> d = (Map<String, Object>) record.get("data");
    return d;
  }

  private void assertNoTokenInAuditSegments() throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.list(dir.resolve("audit"))) {
      // the segments and checkpoints.jsonl; tree/ and index/ hold only hashes and offsets
      for (Path p : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) all.append(Files.readString(p));
    }
    assertThat(all).isNotEmpty();
    for (String t : tokens) {
      assertThat(all.toString()).doesNotContain(t).doesNotContain(TokenHash.of(t).toHex());
    }
  }
}

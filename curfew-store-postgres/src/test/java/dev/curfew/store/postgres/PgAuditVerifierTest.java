package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.ManualClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Verification of every node's tree, chain and signatures, and what it says about tampering done with SQL. */
class PgAuditVerifierTest {
  private final ManualClock clock = ManualClock.at("2026-11-26T10:00:00Z");
  private final NoteSigner keyA = NoteSigner.generate("curfew/node-a");
  private final NoteSigner keyB = NoteSigner.generate("curfew/node-b");
  private TestDatabase database;
  private AuditDatabase db;
  private String checkpointOfA;

  @BeforeEach
  void twoNodesWriteSignedLogs() throws Exception {
    database = TestDatabase.create("verify");
    AuditSchema.migrate(database.config());
    db = AuditDatabase.connect(null, database.config(), 4);
    PgAuditLog.Options options = PgAuditLog.Options.defaults().withClock(clock);
    try (PgAuditLog a = PgAuditLog.open(db, "node-a", keyA, options);
         PgAuditLog b = PgAuditLog.open(db, "node-b", keyB, options)) {
      for (int i = 0; i < 40; i++) {
        a.append(List.of(record("node-a", "s_a" + i)), List.of());
        b.append(List.of(record("node-b", "s_b" + i)), List.of());
        if (i == 19) {
          a.durableThrough(20).get(30, TimeUnit.SECONDS);
          checkpointOfA = a.checkpointNow(); // kept elsewhere by an auditor
          clock.advance(Duration.ofSeconds(1));
        }
      }
      a.durableThrough(40).get(30, TimeUnit.SECONDS);
      a.checkpointNow();
      clock.advance(Duration.ofMillis(1500));
    }
  }

  @AfterEach
  void drop() {
    db.close();
    database.close();
  }

  private AuditRecord record(String node, String session) {
    return AuditRecord.builder(RecordTypes.SESSION_CREATED, clock.millis(), node).session(session, "alice", "standard", 1)
        .put("idle_timeout_ms", 900_000L).build();
  }

  private PgAuditVerifier.Result verify() throws Exception {
    return PgAuditVerifier.verify(db, List.of(keyA.verifier(), keyB.verifier()), List.of(checkpointOfA), Long.MAX_VALUE, null);
  }

  private PgAuditVerifier.NodeResult nodeA(PgAuditVerifier.Result r) {
    return r.nodes().stream().filter(n -> n.node().name().equals("node-a")).findFirst().orElseThrow();
  }

  @Test
  void untouchedLogsOfEveryNodeVerify() throws Exception {
    PgAuditVerifier.Result r = verify();
    assertThat(r.ok()).as(String.valueOf(r)).isTrue();
    assertThat(r.nodes()).hasSize(2).allSatisfy(n -> {
      assertThat(n.verification().records()).isEqualTo(40);
      assertThat(n.verification().checkpointedSize()).isEqualTo(40);
      assertThat(n.keyTrusted()).isTrue();
    });
    assertThat(nodeA(r).verification().trustedCheckpointVerified()).isTrue();
  }

  @Test
  void theLogIsAppendOnlyForOrdinarySql() {
    assertThatThrownBy(() -> database.sql("UPDATE audit_records SET line = line WHERE seq = 3"))
        .hasMessageContaining("append-only");
    assertThatThrownBy(() -> database.sql("DELETE FROM audit_checkpoints")).hasMessageContaining("append-only");
    assertThatThrownBy(() -> database.sql("TRUNCATE audit_records")).hasMessageContaining("append-only");
  }

  @Test
  void anEditedRecordIsNamedByNodeAndSeq() throws Exception {
    database.sql("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;"
        + " UPDATE audit_records SET line = replace(line, '\"subject\":\"alice\"', '\"subject\":\"mallory\"')"
        + " WHERE seq = 27 AND node_id = (SELECT node_id FROM audit_nodes WHERE name = 'node-a')");
    PgAuditVerifier.Result r = verify();
    assertThat(r.ok()).isFalse();
    PgAuditVerifier.NodeResult a = nodeA(r);
    assertThat(a.verification().failure().where()).isEqualTo(AuditVerification.Where.CHECKPOINT);
    // The first checkpoint past the edit: where checkpoints fall depends on timing (one at least every
    // second while records arrive, and one at the end), so any size after seq 27 up to the last one.
    assertThat(a.verification().failure().position()).isBetween(28L, 40L);
    java.util.regex.Matcher range = java.util.regex.Pattern.compile("seq (\\d+)\\.\\.(\\d+)")
        .matcher(a.verification().failure().what());
    assertThat(range.find()).isTrue();
    assertThat(Long.parseLong(range.group(1))).isLessThanOrEqualTo(27);
    assertThat(Long.parseLong(range.group(2))).isGreaterThanOrEqualTo(27);
    assertThat(a.suspectSeq()).isEqualTo(27);
    assertThat(r.nodes().stream().filter(n -> n.node().name().equals("node-b")).findFirst().orElseThrow()
        .verification().ok()).as("the other node's tree is not affected").isTrue();
  }

  @Test
  void aDeletedRecordIsNamed() throws Exception {
    database.sql("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;"
        + " DELETE FROM audit_records WHERE seq = 5 AND node_id = (SELECT node_id FROM audit_nodes WHERE name = 'node-a')");
    PgAuditVerifier.NodeResult a = nodeA(verify());
    assertThat(a.verification().failure().where()).isEqualTo(AuditVerification.Where.RECORD);
    assertThat(a.verification().failure().position()).isEqualTo(5);
    assertThat(a.verification().failure().what()).contains("records are missing");
  }

  @Test
  void aTruncatedLogFailsAgainstTheKeptCheckpoint() throws Exception {
    database.sql("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;"
        + " ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only;"
        + " DELETE FROM audit_records WHERE seq >= 10 AND node_id = (SELECT node_id FROM audit_nodes WHERE name = 'node-a');"
        + " DELETE FROM audit_checkpoints WHERE node_id = (SELECT node_id FROM audit_nodes WHERE name = 'node-a')");
    PgAuditVerifier.NodeResult a = nodeA(verify());
    assertThat(a.verification().failure().where()).isEqualTo(AuditVerification.Where.TRUSTED_CHECKPOINT);
    assertThat(a.verification().failure().what()).contains("truncated");
  }

  @Test
  void aReplacedRegisteredKeyIsCaughtByTheTrustedKey() throws Exception {
    NoteSigner forger = NoteSigner.generate("curfew/node-a");
    database.sql("ALTER TABLE audit_nodes DISABLE TRIGGER audit_nodes_append_only;"
        + " UPDATE audit_nodes SET public_key = '" + forger.verifier().verifierKey() + "' WHERE name = 'node-a'");
    // with the registered (replaced) key the genuine checkpoints no longer verify either
    PgAuditVerifier.Result withRegistered = PgAuditVerifier.verify(db, List.of(), List.of(), Long.MAX_VALUE, null);
    assertThat(nodeA(withRegistered).verification().ok()).isFalse();
    assertThat(nodeA(withRegistered).keyTrusted()).isFalse();
    // and the key kept elsewhere still verifies the untouched records
    assertThat(nodeA(verify()).verification().ok()).isTrue();
  }

  @Test
  void aTrustedKeyOrCheckpointForNoNodeIsAProblem() throws Exception {
    NoteSigner stranger = NoteSigner.generate("curfew/node-z");
    PgAuditVerifier.Result r = PgAuditVerifier.verify(db, List.of(keyA.verifier(), stranger.verifier()), List.of(),
        Long.MAX_VALUE, null);
    assertThat(r.ok()).isFalse();
    assertThat(r.problems()).anyMatch(p -> p.contains("node-b") && p.contains("none of the trusted keys"))
        .anyMatch(p -> p.contains("curfew/node-z") && p.contains("matches no node"));
  }

  @Test
  void twoTrustedKeysOfOneName_theNodesKeyIsFoundByItsKeyId() throws Exception {
    NoteSigner sameName = NoteSigner.generate("curfew/node-a");
    PgAuditVerifier.Result r = PgAuditVerifier.verify(db, List.of(sameName.verifier(), keyA.verifier(), keyB.verifier()),
        List.of(), Long.MAX_VALUE, null);
    assertThat(r.ok()).as(String.valueOf(r)).isTrue();
    assertThat(nodeA(r).key()).isEqualTo(keyA.verifier());
  }
}

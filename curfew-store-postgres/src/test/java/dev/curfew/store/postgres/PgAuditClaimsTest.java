package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.postgres.testing.TestDatabase;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Claims in the shared PostgreSQL trail (docs/distributed.md, "Every change, recorded once"): a
 * record's claim is committed with it, whichever node wrote it, and a node about to record a claim
 * another node left learns whether it is recorded, waiting for a transaction still holding it.
 */
class PgAuditClaimsTest {
  private final ManualClock clock = ManualClock.at("2026-11-26T10:00:00Z");
  private TestDatabase database;
  private AuditDatabase db;
  private final List<PgAuditLog> opened = new ArrayList<>();

  @BeforeEach
  void freshDatabase() {
    database = TestDatabase.create("claims");
    AuditSchema.migrate(database.config());
    db = AuditDatabase.connect(null, database.config(), 4);
  }

  @AfterEach
  void drop() {
    for (PgAuditLog l : opened) l.close();
    db.close();
    database.close();
  }

  private PgAuditLog open(String node) throws Exception {
    PgAuditLog log = PgAuditLog.open(db, node, NoteSigner.generate("curfew/" + node),
        PgAuditLog.Options.defaults().withClock(clock));
    opened.add(log);
    return log;
  }

  private AuditRecord extended(String node, String claim) {
    return AuditRecord.builder(RecordTypes.EXTENDED, clock.millis(), node).session("s_1", "alice", "standard", 1)
        .put("extensions_used", 1L).put("claim", claim).build();
  }

  @Test
  void aClaimIsRecordedOnceItsRecordIsCommittedByAnyNode() throws Exception {
    PgAuditLog a = open("node-a");
    PgAuditLog b = open("node-b");
    assertThat(b.recorded("s_1:2").get(30, TimeUnit.SECONDS)).isFalse();
    a.append(List.of(extended("node-a", "s_1:2"),
        AuditRecord.builder(RecordTypes.NODE_STARTED, clock.millis(), "node-a").build()), List.of())
        .get(30, TimeUnit.SECONDS);
    assertThat(b.recorded("s_1:2").get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(a.recorded("s_1:2").get(30, TimeUnit.SECONDS)).isTrue();
    // Asking leaves nothing behind: the claim asked about is still free for the node that records it.
    assertThat(a.recorded("s_1:3").get(30, TimeUnit.SECONDS)).isFalse();
    b.append(List.of(extended("node-b", "s_1:3")), List.of()).get(30, TimeUnit.SECONDS);
    assertThat(a.recorded("s_1:3").get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(database.queryLong("SELECT count(*) FROM audit_claims")).isEqualTo(2);
    assertThat(database.queryLong("SELECT seq FROM audit_claims c JOIN audit_nodes n USING (node_id) "
        + "WHERE claim = 's_1:3' AND n.name = 'node-b'")).isEqualTo(0);
  }

  @Test
  void theAnswerWaitsForATransactionStillHoldingTheClaim() throws Exception {
    PgAuditLog b = open("node-b");
    int nodeId = (int) database.queryLong("SELECT node_id FROM audit_nodes WHERE name = 'node-b'");
    // A node's commit in flight: the claim is inserted but not yet committed.
    SqlConnection conn = db.pool().getConnection().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Transaction tx = conn.begin().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    conn.preparedQuery("INSERT INTO audit_claims (claim, node_id, seq) VALUES ($1, $2, 7)")
        .execute(Tuple.of("s_1:5", nodeId)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    CompletableFuture<Boolean> asked = b.recorded("s_1:5");
    Thread.sleep(300); // it waits, however long that takes; this only gives a wrong answer the time to show
    assertThat(asked).isNotDone();
    tx.commit().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(asked.get(30, TimeUnit.SECONDS)).isTrue();
    conn.close();

    // Rolled back (the node died before its commit): the claim is free.
    SqlConnection c2 = db.pool().getConnection().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Transaction tx2 = c2.begin().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    c2.preparedQuery("INSERT INTO audit_claims (claim, node_id, seq) VALUES ($1, $2, 8)")
        .execute(Tuple.of("s_1:6", nodeId)).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    CompletableFuture<Boolean> asked2 = b.recorded("s_1:6");
    Thread.sleep(300);
    assertThat(asked2).isNotDone();
    tx2.rollback().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(asked2.get(30, TimeUnit.SECONDS)).isFalse();
    c2.close();
  }
}

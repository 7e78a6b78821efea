package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.ManualClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.SignedNote;
import dev.curfew.core.audit.WitnessQuorum;
import dev.curfew.core.audit.WitnessSigner;
import dev.curfew.core.audit.Witnesses;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL audit store submits its checkpoints to witnesses (the same Witnesses the embedded
 * trail uses), stores the cosignatures beside the checkpoint (audit_cosignatures, append-only),
 * offers a checkpoint again to a witness that was down, and `verify` applies the k-of-n rule.
 */
class PgWitnessTest {
  private static final WitnessSigner W1 = WitnessSigner.fromSeed("witness.test/w1", new byte[32]);
  private static final WitnessQuorum QUORUM = WitnessQuorum.all(List.of(W1.key()));
  private final ManualClock clock = ManualClock.at("2026-12-03T10:00:00Z");
  private final NoteSigner key = NoteSigner.generate("curfew/node-a");
  private final AtomicBoolean witnessDown = new AtomicBoolean();
  private final List<Long> proofsAsked = new CopyOnWriteArrayList<>();
  private TestDatabase database;
  private AuditDatabase db;

  /** An in-process witness: asks the log for a consistency proof from what it cosigned last, then cosigns. */
  private final Witnesses witness = new Witnesses() {
    private long cosignedSize;

    @Override
    public synchronized String cosign(String note, Checkpoint checkpoint, AuditProofs proofs) {
      if (witnessDown.get()) return note;
      if (cosignedSize > 0 && cosignedSize < checkpoint.treeSize()) {
        assertThat(proofs.consistencyProof(cosignedSize, checkpoint.treeSize())).isPresent();
        proofsAsked.add(checkpoint.treeSize());
      }
      cosignedSize = checkpoint.treeSize();
      SignedNote n = SignedNote.parse(note);
      return n.withSignatures(List.of(W1.cosign(n.text(), clock.millis() / 1000).line()));
    }

    @Override
    public boolean complete(String note) {
      return QUORUM.check(note).satisfied();
    }
  };

  @BeforeEach
  void migrate() {
    database = TestDatabase.create("witness");
    AuditSchema.migrate(database.config());
    db = AuditDatabase.connect(null, database.config(), 4);
  }

  @AfterEach
  void drop() {
    db.close();
    database.close();
  }

  private void append(PgAuditLog log, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      log.append(List.of(AuditRecord.builder(RecordTypes.SESSION_CREATED, clock.millis(), "node-a")
          .session("s_" + i, "alice", "standard", 1).build()), List.of());
    }
    log.durableThrough(log.size() + n).get(30, TimeUnit.SECONDS);
  }

  private boolean storedLatestIsWitnessed(PgAuditLog log) throws Exception {
    return QUORUM.check(db.latestCheckpoint(log.node().id()).orElseThrow().note()).satisfied();
  }

  private PgAuditVerifier.Result verify(WitnessQuorum quorum) throws Exception {
    return PgAuditVerifier.verify(db, List.of(key.verifier()), List.of(), quorum, Long.MAX_VALUE, null);
  }

  @Test
  void checkpointsAreCosigned_storedWithTheirCosignatures_andVerifiedKOfN() throws Exception {
    try (PgAuditLog log = PgAuditLog.open(db, "node-a", key, PgAuditLog.Options.defaults().withClock(clock)
        .withWitnesses(witness))) {
      append(log, 10);
      log.checkpointNow();
      Awaitility.await("the first checkpoint cosigned").atMost(Duration.ofSeconds(30)).until(() -> storedLatestIsWitnessed(log));
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> QUORUM.check(log.latestCheckpoint().orElseThrow()).satisfied());
      append(log, 5);
      log.checkpointNow();
      Awaitility.await("the second checkpoint cosigned").atMost(Duration.ofSeconds(30))
          .until(() -> db.latestCheckpoint(log.node().id()).orElseThrow().treeSize() == 15 && storedLatestIsWitnessed(log));
      assertThat(proofsAsked).contains(15L);

      // the witness is down: the checkpoint is written without, and offered again once it is back
      witnessDown.set(true);
      append(log, 5);
      log.checkpointNow();
      assertThat(verify(QUORUM).ok()).isFalse();
      assertThat(verify(QUORUM).nodes().get(0).verification().failure().what()).contains("0 of 1");
      assertThat(verify(null).ok()).isTrue();
      witnessDown.set(false);
      clock.advance(Duration.ofSeconds(2));
      Awaitility.await("the checkpoint offered again").atMost(Duration.ofSeconds(30)).until(() -> storedLatestIsWitnessed(log));
    }
    PgAuditVerifier.Result r = verify(QUORUM);
    assertThat(r.ok()).as(String.valueOf(r)).isTrue();
    assertThat(r.nodes().get(0).verification().witnessedSize()).isEqualTo(20);
  }

  @Test
  void aLogReopened_startsFromItsCosignedLatestCheckpoint() throws Exception {
    try (PgAuditLog log = PgAuditLog.open(db, "node-a", key, PgAuditLog.Options.defaults().withClock(clock)
        .withWitnesses(witness))) {
      append(log, 3);
      log.checkpointNow();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> storedLatestIsWitnessed(log));
    }
    try (PgAuditLog again = PgAuditLog.open(db, "node-a", key, PgAuditLog.Options.defaults().withClock(clock))) {
      assertThat(QUORUM.check(again.latestCheckpoint().orElseThrow()).satisfied()).isTrue();
    }
  }
}

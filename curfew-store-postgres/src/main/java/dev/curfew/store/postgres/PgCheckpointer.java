package dev.curfew.store.postgres;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.Clock;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.Checkpointer;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.Witnesses;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/*
 * The checkpoints of one node's log in PostgreSQL. When one is due, signing it and the latest one
 * are core's Checkpointer (which the file trail's checkpoints use too); this class adds what
 * PostgreSQL needs: ticks, and offering checkpoints to the witnesses after they are stored.
 *
 * The writer (PgAuditWriter) asks at every batch whether one is due, signs over its tree with the
 * batch's leaves in it, and inserts the note in the batch's own transaction, so that a checkpoint
 * covers only committed records; committed() then publishes it.
 *
 * Ticks. A thread of its own runs every checkpoint interval: it calls the log's tick (which queues
 * a marker, so that an idle log still checkpoints what arrived and probes PostgreSQL), and offers
 * the latest checkpoint again to the witnesses while it lacks a cosignature, once a second.
 *
 * Witnesses: each new checkpoint is handed to PgCosigner, which submits it on its own thread and
 * stores the cosignature lines in audit_cosignatures (c2sp.org/tlog-witness, docs/audit.md).
 */

/** The checkpoint rule, the latest checkpoint and its witnesses, for one node's log in PostgreSQL. Thread-safe. */
final class PgCheckpointer implements AutoCloseable {
  private static final long REOFFER_MS = 1000;

  private final Checkpointer rule;
  private final Clock clock;
  private final long intervalMs;
  private final Witnesses witnesses;
  private final PgCosigner cosigner; // null: no witnesses
  private final ScheduledExecutorService ticker;
  private volatile long lastOfferMs = Long.MIN_VALUE;

  PgCheckpointer(NoteSigner signer, Clock clock, java.time.Duration interval, Witnesses witnesses, AuditDatabase db,
      AuditDatabase.Node node, AuditProofs proofs) {
    this.rule = new Checkpointer(signer, clock, interval);
    this.clock = clock;
    this.intervalMs = interval.toMillis();
    this.witnesses = witnesses;
    this.cosigner = witnesses == Witnesses.NONE ? null
        : new PgCosigner(witnesses, db, node, proofs, (size, note) -> rule.cosigned(size, note));
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "curfew-pg-checkpoint");
      t.setDaemon(true);
      return t;
    });
  }

  /** The latest stored checkpoint at open. */
  void opened(String note, long treeSize) {
    rule.opened(new Checkpointer.Signed(treeSize, note));
  }

  /** Runs {@code tick} every checkpoint interval, then offers the latest checkpoint again if it lacks cosignatures. */
  void start(Runnable tick) {
    ticker.scheduleWithFixedDelay(() -> {
      tick.run();
      offerAgainIfIncomplete();
    }, intervalMs, intervalMs, TimeUnit.MILLISECONDS);
  }

  /** Whether a tree of {@code treeSize} records is to be checkpointed now ({@code asked}: evidence or close wants one). */
  boolean due(long treeSize, boolean asked) {
    return rule.due(treeSize, asked);
  }

  /** Signs {@code tree} as it is now (Ed25519 over the c2sp.org/tlog-checkpoint body). */
  Checkpointer.Signed sign(MerkleTree tree) {
    return rule.sign(tree);
  }

  /** {@code signed} is committed: it is the latest checkpoint now, and is offered to the witnesses. */
  void committed(Checkpointer.Signed signed) {
    rule.published(signed);
    if (cosigner != null) offer(signed.note());
  }

  private void offerAgainIfIncomplete() {
    if (cosigner == null || clock.millis() - lastOfferMs < REOFFER_MS || !rule.lacksCosignatures(witnesses)) return;
    offer(rule.latestNote()); // a witness was down when it was written: offered again every second
  }

  private void offer(String note) {
    lastOfferMs = clock.millis();
    cosigner.offer(Checkpoint.parse(rule.verifier().verify(note).textOrThrow()), note);
  }

  /** The latest checkpoint note, or null before the first. */
  String latestNote() {
    return rule.latestNote();
  }

  /** The tree size of the latest checkpoint, -1 before the first. */
  long latestSize() {
    return rule.latestSize();
  }

  /** Stops the ticks. */
  void stopTicks() {
    ticker.shutdownNow();
    try {
      ticker.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the ticks, and lets the witness submission under way (the final checkpoint's) finish. */
  @Override
  public void close() {
    stopTicks();
    if (cosigner != null) cosigner.close();
  }
}

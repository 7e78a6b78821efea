package dev.curfew.store.postgres;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.Clock;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.Witnesses;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/*
 * The checkpoints of one node's log in PostgreSQL: when one is due, signing it, what the latest
 * one is, and offering it to the witnesses.
 *
 * Due: when records arrived since the last checkpoint and a checkpoint interval has passed on the
 * deployment's clock, when asked to (evidence needs one that covers its records), and at close.
 * The writer (PgAuditWriter) asks at every batch, signs over its tree with the batch's leaves in
 * it, and inserts the note in the batch's own transaction, so that a checkpoint covers only
 * committed records; committed() then publishes it.
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

  /** A checkpoint signed by the writer, not yet committed. */
  record Signed(long treeSize, String note) {}

  private final NoteSigner signer;
  private final Clock clock;
  private final long intervalMs;
  private final PgCosigner cosigner; // null: no witnesses
  private final ScheduledExecutorService ticker;

  // Written together under noteLock (the writer's new checkpoint, the cosigner's cosignatures).
  private final Object noteLock = new Object();
  private volatile String lastCheckpointNote;
  private volatile long lastCheckpointSize = -1;
  private volatile long lastCheckpointAtMs = Long.MIN_VALUE;
  private volatile long lastOfferMs = Long.MIN_VALUE;

  PgCheckpointer(NoteSigner signer, Clock clock, java.time.Duration interval, Witnesses witnesses, AuditDatabase db,
      AuditDatabase.Node node, AuditProofs proofs) {
    this.signer = signer;
    this.clock = clock;
    this.intervalMs = interval.toMillis();
    this.cosigner = witnesses == Witnesses.NONE ? null : new PgCosigner(witnesses, db, node, proofs, this::cosigned);
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "curfew-pg-checkpoint");
      t.setDaemon(true);
      return t;
    });
  }

  /** The latest stored checkpoint at open. */
  void opened(String note, long treeSize) {
    synchronized (noteLock) {
      lastCheckpointNote = note;
      lastCheckpointSize = treeSize;
    }
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
    if (treeSize <= Math.max(lastCheckpointSize, 0)) return false;
    long at = lastCheckpointAtMs;
    return asked || at == Long.MIN_VALUE || clock.millis() - at >= intervalMs;
  }

  /** Signs {@code tree} as it is now (Ed25519 over the c2sp.org/tlog-checkpoint body). */
  Signed sign(MerkleTree tree) {
    Checkpoint cp = Checkpoint.of(signer.name(), tree);
    return new Signed(cp.treeSize(), signer.sign(cp.body()));
  }

  /** {@code signed} is committed: it is the latest checkpoint now, and is offered to the witnesses. */
  void committed(Signed signed) {
    synchronized (noteLock) {
      lastCheckpointNote = signed.note();
      lastCheckpointSize = signed.treeSize();
    }
    lastCheckpointAtMs = clock.millis();
    if (cosigner != null) offer(signed.note());
  }

  private void offerAgainIfIncomplete() {
    String note = lastCheckpointNote;
    if (cosigner == null || note == null || clock.millis() - lastOfferMs < REOFFER_MS || cosigner.complete(note)) return;
    offer(note); // a witness was down when it was written: offered again every second
  }

  private void offer(String note) {
    lastOfferMs = clock.millis();
    cosigner.offer(Checkpoint.parse(signer.verifier().verify(note).textOrThrow()), note);
  }

  /** The cosigner stored cosignatures of checkpoint {@code treeSize}: the latest note carries them if it is still that one. */
  private void cosigned(long treeSize, String note) {
    synchronized (noteLock) {
      if (lastCheckpointSize == treeSize) lastCheckpointNote = note;
    }
  }

  /** The latest checkpoint note, or null before the first. */
  String latestNote() {
    return lastCheckpointNote;
  }

  /** The tree size of the latest checkpoint, -1 before the first. */
  long latestSize() {
    return lastCheckpointSize;
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

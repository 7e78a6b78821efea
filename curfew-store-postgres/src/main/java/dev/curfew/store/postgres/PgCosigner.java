package dev.curfew.store.postgres;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.SignedNote;
import dev.curfew.core.audit.Witnesses;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Submits a node's checkpoints to its witnesses (c2sp.org/tlog-witness) through the same {@link
 * Witnesses} the embedded trail uses, on a thread of its own: a witness that is slow or down
 * (WitnessClient waits at most 5 s) never holds up the writer's commits. Only the newest
 * checkpoint offered is submitted (a witness cosigns a checkpoint, and every later one proves
 * consistency with it). The cosignature lines obtained are inserted into audit_cosignatures, so
 * the checkpoint read back from the database carries them, and the log is told.
 */
final class PgCosigner implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(PgCosigner.class.getName());

  /** Told a checkpoint's note with the cosignatures now stored. */
  @FunctionalInterface
  interface Cosigned {
    void cosigned(long treeSize, String note);
  }

  private record Offer(Checkpoint checkpoint, String note) {}

  private final Witnesses witnesses;
  private final AuditDatabase db;
  private final AuditDatabase.Node node;
  private final AuditProofs proofs;
  private final Cosigned listener;
  private final AtomicReference<Offer> next = new AtomicReference<>();
  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "curfew-pg-witness");
    t.setDaemon(true);
    return t;
  });

  PgCosigner(Witnesses witnesses, AuditDatabase db, AuditDatabase.Node node, AuditProofs proofs, Cosigned listener) {
    this.witnesses = Objects.requireNonNull(witnesses, "witnesses");
    this.db = Objects.requireNonNull(db, "db");
    this.node = Objects.requireNonNull(node, "node");
    this.proofs = Objects.requireNonNull(proofs, "proofs");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** Whether {@code note} already carries every witness's cosignature. */
  boolean complete(String note) {
    return witnesses.complete(note);
  }

  /** Submits {@code note} (of {@code checkpoint}, stored) to the witnesses soon; a newer offer replaces it. */
  void offer(Checkpoint checkpoint, String note) {
    next.set(new Offer(checkpoint, note));
    try {
      thread.execute(this::submitNewest);
    } catch (java.util.concurrent.RejectedExecutionException closed) {
      // closing: the checkpoint stays as written, without these cosignatures
    }
  }

  private void submitNewest() {
    Offer o = next.getAndSet(null);
    if (o == null) return; // a later task took it
    try {
      String after = witnesses.cosign(o.note(), o.checkpoint(), proofs);
      Set<String> had = new HashSet<>(SignedNote.parse(o.note()).signatureLines());
      List<String> added = new ArrayList<>();
      for (String line : SignedNote.parse(after).signatureLines()) {
        if (!had.contains(line)) added.add(line);
      }
      if (added.isEmpty()) return;
      db.addCosignatures(node.id(), o.checkpoint().treeSize(), added);
      listener.cosigned(o.checkpoint().treeSize(), after);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot store the witness cosignatures of checkpoint " + o.checkpoint().treeSize()
          + " of node " + node.name() + " (offered again while it lacks them): " + e);
    }
  }

  /** Lets the submission under way (and one offered) finish, waiting at most 30 s. */
  @Override
  public void close() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "witness submissions of node " + node.name() + " still run after 30 s; closing anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

package dev.curfew.core.audit;

import dev.curfew.core.Clock;
import java.time.Duration;
import java.util.Objects;

/*
 * The checkpoint rule of an audit log, whatever it writes to (spec/audit.md; c2sp.org/tlog-
 * checkpoint body, signed as a c2sp.org/signed-note with Ed25519): a checkpoint is due when the
 * tree grew since the last one and either a checkpoint interval has passed on the deployment's
 * clock or one is asked for (evidence needs one that covers its records; a clean stop). Never
 * over an empty tree, never twice at one size. The PostgreSQL log asks at every batch; the file
 * trail signs on its own timer (every interval) whenever the tree grew.
 *
 * It also keeps the latest checkpoint: set at open from storage, replaced when a new one is
 * stored (published), and replaced by the same checkpoint with more cosignatures when a witness
 * cosigns it later (cosigned). Storing is the caller's: the file trail (FileCheckpoints) has the
 * witnesses cosign before it writes a line; the PostgreSQL log (PgCheckpointer) inserts it in the
 * batch's transaction and stores cosignatures as they come.
 */

/** When to sign, signing, and the latest checkpoint of one log. Thread-safe. */
public final class Checkpointer {

  /** A checkpoint: its tree size and its note (with whatever cosignatures it carries). */
  public record Signed(long treeSize, String note) {
    public Signed {
      Objects.requireNonNull(note, "note");
    }
  }

  private final NoteSigner signer;
  private final Clock clock;
  private final long intervalMs;
  private final Object lock = new Object();
  private volatile Signed latest; // null: none yet
  private volatile long publishedAtMs = Long.MIN_VALUE;

  /**
   * @param signer the log's key; its name is the checkpoints' origin
   * @param clock the deployment's clock, which times the interval
   * @param interval the longest time new records wait for a checkpoint when none is asked for
   */
  public Checkpointer(NoteSigner signer, Clock clock, Duration interval) {
    this.signer = Objects.requireNonNull(signer, "signer");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.intervalMs = Objects.requireNonNull(interval, "interval").toMillis();
    if (intervalMs < 1) throw new IllegalArgumentException("interval < 1 ms: " + interval);
  }

  /** The latest checkpoint in storage when the log opened. */
  public void opened(Signed stored) {
    synchronized (lock) {
      latest = stored;
    }
  }

  /** Whether a tree of {@code treeSize} leaves is to be signed now ({@code asked}: one is wanted regardless of the interval). */
  public boolean due(long treeSize, boolean asked) {
    if (treeSize <= Math.max(latestSize(), 0)) return false;
    long at = publishedAtMs;
    return asked || at == Long.MIN_VALUE || clock.millis() - at >= intervalMs;
  }

  /** Signs {@code tree} as it is now. */
  public Signed sign(MerkleTree tree) {
    return sign(Checkpoint.of(signer.name(), tree));
  }

  /** Signs {@code checkpoint}'s body. */
  public Signed sign(Checkpoint checkpoint) {
    return new Signed(checkpoint.treeSize(), signer.sign(checkpoint.body()));
  }

  /** {@code stored} is durable in the log's storage: it is the latest checkpoint now. */
  public void published(Signed stored) {
    synchronized (lock) {
      latest = stored;
    }
    publishedAtMs = clock.millis();
  }

  /**
   * Cosignatures of checkpoint {@code treeSize} were stored: {@code note} carries them. The latest
   * checkpoint takes it if it is still that one; returns whether it did.
   */
  public boolean cosigned(long treeSize, String note) {
    synchronized (lock) {
      Signed l = latest;
      if (l == null || l.treeSize() != treeSize) return false;
      latest = new Signed(treeSize, note);
      return true;
    }
  }

  /** The latest checkpoint's note, or null before the first. */
  public String latestNote() {
    Signed l = latest;
    return l == null ? null : l.note();
  }

  /** The latest checkpoint's tree size, -1 before the first. */
  public long latestSize() {
    Signed l = latest;
    return l == null ? -1 : l.treeSize();
  }

  /** Whether the latest checkpoint lacks a cosignature {@code witnesses} require. */
  public boolean lacksCosignatures(Witnesses witnesses) {
    String note = latestNote();
    return note != null && !witnesses.complete(note);
  }

  /** The checkpoints' origin (and key name). */
  public String origin() {
    return signer.name();
  }

  /** The key that verifies the checkpoints. */
  public NoteVerifier verifier() {
    return signer.verifier();
  }
}

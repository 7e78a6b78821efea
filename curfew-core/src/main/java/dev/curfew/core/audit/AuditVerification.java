package dev.curfew.core.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * The outcome of {@link AuditVerifier}: what was checked and, if the log does not hold, the first
 * thing wrong with it. An error value, not an exception.
 *
 * @param ok true iff every record and every checkpoint held
 * @param records records read and checked (on failure: those before the failing one)
 * @param sessions distinct {@code session_id} values among them
 * @param firstTime {@code time} of the first record, null when there is none
 * @param lastTime {@code time} of the last record checked, null when there is none
 * @param checkpointsVerified checkpoints whose signature and root both held
 * @param checkpointedSize the largest tree size a verified checkpoint (or the trusted one) commits
 *     to: records at or beyond it are covered by no signature yet
 * @param trustedCheckpointVerified whether a trusted checkpoint was given and held
 * @param witnessedSize the largest tree size of a checkpoint that carries the witness quorum asked
 *     for, -1 when none does or none was asked for
 * @param failure the first failure, null when {@code ok}
 */
public record AuditVerification(
    boolean ok,
    long records,
    long sessions,
    Instant firstTime,
    Instant lastTime,
    long checkpointsVerified,
    long checkpointedSize,
    boolean trustedCheckpointVerified,
    long witnessedSize,
    Failure failure) {

  public AuditVerification {
    if (ok != (failure == null)) {
      throw new IllegalArgumentException("ok is " + ok + " but failure is " + failure);
    }
  }

  /** What failed: a record, a checkpoint, the trusted checkpoint, or a line of the checkpoints file. */
  public enum Where {
    /** {@code position} is the record's seq (its 0-based line number in the log). */
    RECORD,
    /** {@code position} is the tree size the checkpoint commits to. */
    CHECKPOINT,
    /** {@code position} is the trusted checkpoint's tree size, or -1 when it could not be read. */
    TRUSTED_CHECKPOINT,
    /** {@code position} is the 1-based line number in the checkpoints file. */
    CHECKPOINT_FILE
  }

  /**
   * The first failure.
   *
   * @param where what failed
   * @param position the seq, tree size or line number, as {@link Where} says
   * @param what a sentence saying what is wrong
   * @param changedBelow when the failure means that a record may have been changed after it was
   *     written (a signed root that the records no longer give, or records that a clean stop signed
   *     and that no checkpoint covers any more): the end (exclusive) of the records worth comparing
   *     with the leaf hashes the log stored as they were written, to name the first changed one;
   *     -1 otherwise
   */
  public record Failure(Where where, long position, String what, long changedBelow) {
    public Failure {
      Objects.requireNonNull(where, "where");
      Objects.requireNonNull(what, "what");
    }

    @Override
    public String toString() {
      String subject = switch (where) {
        case RECORD -> "record seq " + position;
        case CHECKPOINT -> "checkpoint at tree size " + position;
        case TRUSTED_CHECKPOINT -> "trusted checkpoint" + (position >= 0 ? " at tree size " + position : "");
        case CHECKPOINT_FILE -> "checkpoints file line " + position;
      };
      return subject + ": " + what;
    }
  }
}

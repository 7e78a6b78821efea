package dev.curfew.core.audit;

import dev.curfew.core.AuditProofs;

/**
 * The witnesses a log submits each new checkpoint to (c2sp.org/tlog-witness): the checkpoint comes
 * back with the cosignature lines that could be obtained and checked.
 */
@FunctionalInterface
public interface Witnesses {

  /** No witness: the note comes back unchanged. */
  Witnesses NONE = (note, checkpoint, proofs) -> note;

  /**
   * The signed note {@code signedNote} of {@code checkpoint} with every verified cosignature added
   * after its signatures. A witness that cannot be reached or refuses is left out (and reported by
   * the implementation); this never throws for a witness's failure.
   *
   * @param proofs consistency proofs of the log, from any size the witness holds to the checkpoint's
   */
  String cosign(String signedNote, Checkpoint checkpoint, AuditProofs proofs);

  /**
   * Whether {@code signedNote} already carries a valid cosignature of every witness; when not, the
   * log offers the same checkpoint again later (a witness that was down meanwhile cosigns it then).
   */
  default boolean complete(String signedNote) {
    return true;
  }
}

package dev.curfew.core;

import java.io.IOException;
import java.util.Optional;

/**
 * What the audit trail can prove to a third party (spec/audit.md): the latest signed checkpoint
 * the evidence bundle of one session, and consistency proofs between tree sizes. The API serves
 * these as {@code GET /v1/audit/checkpoint}, {@code GET /v1/audit/evidence} and {@code GET
 * /v1/audit/consistency}. Implementations may block on I/O.
 */
public interface AuditProofs {
  /** The latest checkpoint, a C2SP signed note verbatim; empty before the first one is written. */
  Optional<String> latestCheckpoint();

  /**
   * The evidence bundle (JSON) of every record of {@code sessionId}, proven against a checkpoint
   * that covers them all; empty when the log holds no record of that session.
   */
  Optional<String> evidence(String sessionId) throws IOException;

  /**
   * The RFC 6962 §2.1.2 consistency proof that the tree of {@code toSize} records extends the tree
   * of {@code fromSize} (hashes in proof order); empty when {@code toSize} exceeds the tree or
   * {@code fromSize} is not in 1..toSize.
   */
  Optional<java.util.List<byte[]>> consistencyProof(long fromSize, long toSize);
}

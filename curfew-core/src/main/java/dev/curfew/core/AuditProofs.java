package dev.curfew.core;

import java.io.IOException;
import java.util.Optional;

/**
 * What the audit trail can prove to a third party (spec/audit.md): the latest signed checkpoint
 * and the evidence bundle of one session. The API serves these as {@code GET
 * /v1/audit/checkpoint} and {@code GET /v1/audit/evidence}. Implementations may block on I/O.
 */
public interface AuditProofs {
  /** The latest checkpoint, a C2SP signed note verbatim; empty before the first one is written. */
  Optional<String> latestCheckpoint();

  /**
   * The evidence bundle (JSON) of every record of {@code sessionId}, proven against a checkpoint
   * that covers them all; empty when the log holds no record of that session.
   */
  Optional<String> evidence(String sessionId) throws IOException;
}

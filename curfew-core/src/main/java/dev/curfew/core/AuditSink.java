package dev.curfew.core;

import dev.curfew.core.audit.AuditRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where the engine writes what happened. Implementations assign each record its {@code seq} in
 * call order and a {@code time} that never decreases within the log, write the records durably
 * (group commit), and complete the returned future only then.
 *
 * <p>{@code bindings} carry what recovery needs and the audit trail must never show: which token
 * hash belongs to which session. A sink keeps them apart from the records (spec/audit.md: no record
 * contains a token or its hash) and makes them durable in the same commit.
 */
public interface AuditSink {
  /** Appends in order and returns at once; the future completes when the batch is durable. */
  CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings);

  /** False while appends cannot be made durable; the engine then refuses requests (fail closed). */
  boolean writable();

  /**
   * Whether a record carrying {@code claim} ({@code data.claim}: a change that several nodes may
   * come to record, docs/distributed.md) is already durable in a trail this sink shares with other
   * nodes, so that a node taking over another's change does not record it twice. A sink that
   * shares nothing with other nodes cannot know: false, the default.
   */
  default CompletableFuture<Boolean> recorded(String claim) {
    return CompletableFuture.completedFuture(false);
  }

  /** A token hash bound to a session at {@code issuedAtMs} (creation or rotation). */
  record TokenBinding(String sessionId, TokenHash tokenHash, long issuedAtMs) {}
}

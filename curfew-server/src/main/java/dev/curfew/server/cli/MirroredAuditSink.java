package dev.curfew.server.cli;

import dev.curfew.core.AuditSink;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.store.embedded.FileAuditLog;
import dev.curfew.store.postgres.PgAuditLog;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The engine's sink with {@code store: embedded} and {@code audit: postgres}: records go to the
 * embedded store's journal (the file log, which recovery replays and which keeps the token
 * bindings), whose leaf listener hands every durable line, verbatim and in seq order, to the
 * node's PostgreSQL log ({@link PgAuditLog#replicate}). An append is acknowledged only when it is
 * durable in both: on disk, and committed in PostgreSQL. It is writable only while both are, so an
 * unreachable PostgreSQL makes the engine refuse requests; what the journal already holds is
 * retried by the PostgreSQL log and, after a crash, copied at the next start ({@link
 * PgAuditLog#catchUp}), so the PostgreSQL trail never lacks a record the journal has.
 */
final class MirroredAuditSink implements AuditSink {
  private final FileAuditLog journal;
  private final PgAuditLog mirror;

  MirroredAuditSink(FileAuditLog journal, PgAuditLog mirror) {
    this.journal = Objects.requireNonNull(journal, "journal");
    this.mirror = Objects.requireNonNull(mirror, "mirror");
  }

  @Override
  public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
    // The journal completes the future after its leaf listener has handed the lines over and after
    // its size counts them, so waiting for PostgreSQL to reach that size covers these records.
    return journal.append(records, bindings).thenCompose(v -> mirror.durableThrough(journal.size()));
  }

  /** The PostgreSQL trail, which every node shares, knows whether a claim is recorded. */
  @Override
  public CompletableFuture<Boolean> recorded(String claim) {
    return mirror.recorded(claim);
  }

  @Override
  public boolean writable() {
    return journal.writable() && mirror.writable();
  }
}

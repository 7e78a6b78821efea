package dev.curfew.store.embedded;

/**
 * Sees every record this process appends to the audit log, as the exact bytes of its line (the
 * Merkle leaf input of spec/audit.md), once it is durable: the place where a Merkle tree and
 * signed checkpoints attach.
 *
 * <p>Called by the log's single writer thread in {@code seq} order, after the batch containing the
 * record was forced to disk and before the futures of that batch complete; so a checkpoint built
 * from these calls never commits to a record that a crash could lose, and an acknowledged record
 * has always been seen here first. Records already in the log when it was opened (seq below
 * {@link FileAuditLog#recordsAtOpen()}) are not replayed here: read them with {@link
 * FileAuditLog#scan}. Implementations must not block and must not append to the log (the writer
 * would wait for itself). An exception thrown here fails the log closed, like an I/O error.
 */
@FunctionalInterface
public interface LeafListener {
  LeafListener NONE = (seq, line) -> {};

  /** The record {@code seq} was durably written as {@code lineWithoutNewline} (do not modify it). */
  void appended(long seq, byte[] lineWithoutNewline);
}

package dev.curfew.core;

import java.io.IOException;
import java.util.function.Predicate;

/** Reads an audit log back: the records as their canonical JSON lines, in {@code seq} order. */
public interface AuditLogReader {
  /** Number of records in the log (the next {@code seq}). */
  long size();

  /**
   * Calls {@code visitor} with each record line whose seq is {@code >= fromSeq}, in order, until
   * the visitor returns false or the log ends.
   */
  void scan(long fromSeq, Predicate<String> visitor) throws IOException;
}

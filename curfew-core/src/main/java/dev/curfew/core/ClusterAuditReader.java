package dev.curfew.core;

import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * Reads the audit trail of a whole deployment whose nodes each keep their own tree (the nodes'
 * logs in one PostgreSQL database): the records of every tree, each naming its {@code node}, in
 * one order, a page at a time.
 *
 * <p>The position a page ends at is a cursor that says, for each tree, the last seq already
 * returned. A tree's records are committed in seq order, so a record not yet returned always lies
 * after its tree's position: paging from any cursor returns every record once, also when nodes are
 * still writing or when their clocks differ.
 */
public interface ClusterAuditReader {

  /**
   * A query: the filters of {@code GET /v1/audit} ({@code null}: any), {@code fromMs} inclusive and
   * {@code toMs} exclusive on the records' time, {@code after} a cursor from an earlier page (null:
   * from the start), at most {@code limit} records.
   */
  record Query(String sessionId, String subject, String type, Long fromMs, Long toMs, String after, int limit) {
    public Query {
      if (limit < 1) throw new IllegalArgumentException("limit < 1: " + limit);
    }
  }

  /** Records as their canonical JSON lines, and the cursor after them, null when no more match now. */
  record Page(List<String> lines, String next) {
    public Page {
      lines = List.copyOf(Objects.requireNonNull(lines, "lines"));
    }
  }

  /** Whether the trail holds more than one node's tree (else the node's own log says it all). */
  boolean spansNodes() throws IOException;

  /**
   * The first {@code q.limit()} matching records after {@code q.after()}, ordered by time, then
   * node, then seq.
   *
   * @throws IllegalArgumentException if {@code q.after()} is not a cursor this reader made
   */
  Page read(Query q) throws IOException;
}

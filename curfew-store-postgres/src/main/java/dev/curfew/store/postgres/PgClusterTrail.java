package dev.curfew.store.postgres;

import dev.curfew.core.ClusterAuditReader;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The audit trail of every node in one PostgreSQL database, read as one (what {@code GET /v1/audit}
 * answers on any node with {@code audit: postgres} once more than one node writes there).
 *
 * <p>A page is one statement: for each node, its first {@code limit + 1} matching records after
 * the cursor's seq for that node, in seq order (the primary key), merged by (time, node name,
 * seq). A node's records never go back in time along its seq, so the merge takes each node's
 * records as a prefix of what it has left: the cursor after a page is, per node, the last seq
 * it returned, and nothing before it is left unread. The cursor is opaque to clients: {@code t.}
 * followed by the base64url (no padding) of {@code name:seq} pairs joined by commas, sorted by
 * name. The {@code t.} keeps it apart from a single log's numeric {@code next}.
 */
public final class PgClusterTrail implements ClusterAuditReader {
  static final String PREFIX = "t.";
  private static final int MAX_CURSOR_CHARS = 16_384;

  private final AuditDatabase db;

  public PgClusterTrail(AuditDatabase db) {
    this.db = Objects.requireNonNull(db, "db");
  }

  @Override
  public boolean spansNodes() throws IOException {
    for (Row r : db.await(db.pool().query("SELECT count(*) FROM audit_nodes").execute(), "counting the audit nodes")) {
      return r.getLong(0) > 1;
    }
    return false;
  }

  @Override
  public Page read(Query q) throws IOException {
    Objects.requireNonNull(q, "q");
    Map<String, Long> cursor = decode(q.after());
    List<AuditDatabase.Node> nodes = db.nodes();
    Integer[] ids = new Integer[nodes.size()];
    Long[] after = new Long[nodes.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = nodes.get(i).id();
      after[i] = cursor.getOrDefault(nodes.get(i).name(), -1L);
    }
    List<Object> args = new ArrayList<>(List.of(ids, after, q.limit() + 1));
    StringBuilder where = new StringBuilder();
    if (q.sessionId() != null) where.append(" AND r.session_id = ").append(arg(args, q.sessionId()));
    if (q.subject() != null) where.append(" AND (r.line::jsonb ->> 'subject') = ").append(arg(args, q.subject()));
    if (q.type() != null) where.append(" AND (r.line::jsonb ->> 'type') = ").append(arg(args, q.type()));
    if (q.fromMs() != null) where.append(" AND r.time_ms >= ").append(arg(args, q.fromMs()));
    if (q.toMs() != null) where.append(" AND r.time_ms < ").append(arg(args, q.toMs()));
    String sql = "SELECT n.name, x.seq, x.line FROM unnest($1::int[], $2::bigint[]) AS c(node_id, after_seq)"
        + " JOIN audit_nodes n ON n.node_id = c.node_id"
        + " CROSS JOIN LATERAL (SELECT r.seq, r.time_ms, r.line FROM audit_records r"
        + " WHERE r.node_id = c.node_id AND r.seq > c.after_seq" + where + " ORDER BY r.seq LIMIT $3) x"
        + " ORDER BY x.time_ms, n.name, x.seq LIMIT $3";
    RowSet<Row> rows = db.await(db.pool().preparedQuery(sql).execute(Tuple.wrap(args)), "reading the audit trail of all nodes");
    List<String> lines = new ArrayList<>(Math.min(rows.size(), q.limit()));
    Map<String, Long> next = new TreeMap<>(cursor);
    for (Row r : rows) {
      if (lines.size() == q.limit()) return new Page(lines, encode(next)); // one more matches
      lines.add(r.getString(2));
      next.put(r.getString(0), r.getLong(1));
    }
    return new Page(lines, null);
  }

  private static String arg(List<Object> args, Object value) {
    args.add(value);
    return "$" + args.size();
  }

  /** The cursor of {@code positions} (node name to the last seq returned). */
  static String encode(Map<String, Long> positions) {
    StringBuilder s = new StringBuilder();
    for (Map.Entry<String, Long> e : new TreeMap<>(positions).entrySet()) {
      if (s.length() > 0) s.append(',');
      s.append(e.getKey()).append(':').append(e.getValue());
    }
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(s.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** The positions of {@code cursor}; empty for null. */
  static Map<String, Long> decode(String cursor) {
    Map<String, Long> out = new LinkedHashMap<>();
    if (cursor == null) return out;
    if (!cursor.startsWith(PREFIX) || cursor.length() > MAX_CURSOR_CHARS) throw badCursor();
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(cursor.substring(PREFIX.length())), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw badCursor();
    }
    if (text.isEmpty()) return out;
    for (String pair : text.split(",", -1)) {
      int colon = pair.lastIndexOf(':');
      if (colon < 1) throw badCursor();
      String name = pair.substring(0, colon);
      long seq;
      try {
        seq = Long.parseLong(pair.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw badCursor();
      }
      if (seq < 0 || out.put(name, seq) != null) throw badCursor();
    }
    return out;
  }

  private static IllegalArgumentException badCursor() {
    return new IllegalArgumentException("not a cursor of the audit trail: pass back a \"next\" value as it was given");
  }
}

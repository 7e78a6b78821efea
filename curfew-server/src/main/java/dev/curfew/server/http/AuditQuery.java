package dev.curfew.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.AuditLogReader;
import dev.curfew.core.ClusterAuditReader;
import dev.curfew.core.audit.Times;
import dev.curfew.server.http.JsonBodies.BadInput;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * GET /v1/audit: records of the audit log filtered by {@code session_id}, {@code subject}, {@code
 * type}, {@code from} (inclusive) and {@code to} (exclusive) times, after a {@code seq}, at most
 * {@code limit} (default 100, max 1000). Records are returned verbatim, as the canonical JSON that
 * the Merkle tree hashes, so a client can verify them. {@code next} is the value to pass as
 * {@code after} for the next page, or null when the log holds no more matching records.
 *
 * <p>The log has no index: a query scans from {@code after} in seq order (a blocking read, off the
 * event loop). Because a record's time never decreases along the log, a scan stops at the first
 * record at or past {@code to}. One page examines at most {@link #MAX_SCANNED_RECORDS}; a page that
 * reaches that limit returns what it found and a {@code next} to continue from.
 */
final class AuditQuery {
  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 1000;
  static final int MAX_SCANNED_RECORDS = 1_000_000;
  /** How a cursor of the trail of several nodes begins (dev.curfew.store.postgres.PgClusterTrail). */
  static final String CURSOR_PREFIX = "t.";
  /**
   * The longest cursor taken: it names every node that has written (about 20 characters each); as
   * long as a request line may be (ApiServer).
   */
  static final int MAX_CURSOR_CHARS = 8_192;

  private final AuditLogReader reader;
  private volatile ClusterAuditReader cluster;

  AuditQuery(AuditLogReader reader) {
    this.reader = reader;
  }

  /**
   * The trail of every node (the nodes' trees in PostgreSQL): once it {@linkplain
   * ClusterAuditReader#spansNodes spans more than one node}, queries are answered from it, with a
   * cursor for {@code next}; before that, from this node's log, as always.
   */
  void cluster(ClusterAuditReader c) {
    this.cluster = c;
  }

  /**
   * The parsed query: times as RFC 3339 strings in the log's own format, which sort as they
   * compare; {@code after} a seq (-1: none), or {@code cursor} a cursor of the trail of several
   * nodes (null: none).
   */
  record Filter(String sessionId, String subject, String type, String from, String to, long after, int limit,
      String cursor) {
    Filter(String sessionId, String subject, String type, String from, String to, long after, int limit) {
      this(sessionId, subject, type, from, to, after, limit, null);
    }

    /** The same query continuing from {@code next}, the {@code next} of an earlier page. */
    Filter continuing(Object next, int limit) {
      return next instanceof Long seq ? new Filter(sessionId, subject, type, from, to, seq, limit, null)
          : new Filter(sessionId, subject, type, from, to, -1, limit, (String) next);
    }
  }

  /** What one scan found: {@code next} a seq (one node's log), a cursor string (several), or null. */
  record Page(List<String> lines, Object next) {}

  /** Whether this node can read the log. */
  boolean readable() {
    return reader != null;
  }

  void handle(RoutingContext ctx) {
    if (reader == null) {
      Reply.problem(ctx, Problem.unavailable("the audit log cannot be read on this node"));
      return;
    }
    Filter f = parse(ctx.queryParams());
    ctx.vertx().executeBlocking(() -> render(page(f)), false).onComplete(ar -> {
      if (ar.failed() && ar.cause() instanceof BadInput) {
        ctx.fail(400, ar.cause());
        return;
      }
      if (ar.failed()) {
        Reply.problem(ctx, Problem.unavailable("the audit log could not be read"));
        return;
      }
      ctx.response().setStatusCode(200).putHeader("Content-Type", Reply.JSON).end(Buffer.buffer(ar.result()));
    });
  }

  static Filter parse(MultiMap q) {
    String from = time(q, "from");
    String to = time(q, "to");
    String afterText = single(q, "after", MAX_CURSOR_CHARS);
    String cursor = afterText != null && afterText.startsWith(CURSOR_PREFIX) ? afterText : null;
    long after = cursor != null ? -1 : integer(q, "after", -1, 0, Long.MAX_VALUE - 1);
    int limit = (int) integer(q, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
    return new Filter(single(q, "session_id"), single(q, "subject"), single(q, "type"), from, to, after, limit, cursor);
  }

  /**
   * One page: from the trail of every node when it spans several (a numeric {@code after} is then
   * refused: it is a seq of one node's log), else from this node's log (a cursor is then refused).
   */
  Page page(Filter f) throws IOException {
    ClusterAuditReader c = cluster;
    if (c != null && c.spansNodes()) {
      if (f.after() >= 0) {
        throw new BadInput("query parameter \"after\" is a seq of one node's log, but the trail spans several nodes:"
            + " pass back the \"next\" of a page of this trail");
      }
      ClusterAuditReader.Page p;
      try {
        p = c.read(new ClusterAuditReader.Query(f.sessionId(), f.subject(), f.type(),
            f.from() == null ? null : Times.parse(f.from()), f.to() == null ? null : Times.parse(f.to()), f.cursor(),
            f.limit()));
      } catch (IllegalArgumentException e) {
        throw new BadInput("query parameter \"after\": " + e.getMessage());
      }
      return new Page(p.lines(), p.next());
    }
    if (f.cursor() != null) throw new BadInput("query parameter \"after\" must be an integer");
    return scan(f);
  }

  Page scan(Filter f) throws IOException {
    List<String> found = new ArrayList<>();
    long[] lastScanned = {f.after()};
    long[] next = {-1};
    int[] scanned = {0};
    reader.scan(f.after() + 1, line -> {
      JsonNode r = readRecord(line);
      long seq = r.path("seq").asLong();
      String time = r.path("time").asText("");
      if (f.to() != null && time.compareTo(f.to()) >= 0) return false;
      if (matches(f, r, time)) {
        if (found.size() == f.limit()) {
          next[0] = lastScanned[0];
          return false;
        }
        found.add(line);
      }
      lastScanned[0] = seq;
      if (++scanned[0] >= MAX_SCANNED_RECORDS) {
        next[0] = seq;
        return false;
      }
      return true;
    });
    return new Page(found, next[0] < 0 ? null : next[0]);
  }

  private static boolean matches(Filter f, JsonNode r, String time) {
    return (f.sessionId() == null || f.sessionId().equals(r.path("session_id").asText(null)))
        && (f.subject() == null || f.subject().equals(r.path("subject").asText(null)))
        && (f.type() == null || f.type().equals(r.path("type").asText(null)))
        && (f.from() == null || time.compareTo(f.from()) >= 0);
  }

  private static JsonNode readRecord(String line) {
    try {
      return JsonBodies.MAPPER.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable audit record", e);
    }
  }

  private static byte[] render(Page page) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + page.lines().size() * 512);
    try (JsonGenerator g = JsonBodies.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("records");
      for (String line : page.lines()) g.writeRawValue(line);
      g.writeEndArray();
      if (page.next() == null) g.writeNullField("next");
      else if (page.next() instanceof Long seq) g.writeNumberField("next", seq);
      else g.writeStringField("next", (String) page.next());
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static String single(MultiMap q, String name) {
    return single(q, name, 1024);
  }

  private static String single(MultiMap q, String name, int maxChars) {
    List<String> all = q.getAll(name);
    if (all.isEmpty()) return null;
    if (all.size() > 1) throw new BadInput("query parameter \"" + name + "\" is given more than once");
    String v = all.get(0);
    if (v.isEmpty()) throw new BadInput("query parameter \"" + name + "\" is empty");
    if (v.length() > maxChars) throw new BadInput("query parameter \"" + name + "\" is too long");
    return v;
  }

  private static String time(MultiMap q, String name) {
    String v = single(q, name);
    if (v == null) return null;
    try {
      return Times.format(Times.parse(v));
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      throw new BadInput("query parameter \"" + name + "\" must be an RFC 3339 time, like 2026-11-26T22:35:06.123Z");
    }
  }

  private static long integer(MultiMap q, String name, long absent, long min, long max) {
    String v = single(q, name);
    if (v == null) return absent;
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new BadInput("query parameter \"" + name + "\" must be an integer");
    }
    if (n < min || n > max) throw new BadInput("query parameter \"" + name + "\" must be " + min + "-" + max);
    return n;
  }
}

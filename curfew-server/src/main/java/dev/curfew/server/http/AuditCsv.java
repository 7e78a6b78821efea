package dev.curfew.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The records a query of the trail selects ({@link AuditQuery}'s parameters but {@code limit}; {@code
 * after} continues an export), as one CSV file (RFC 4180: CRLF line ends, a header line, fields with a comma, a
 * quote or a line break quoted, quotes doubled) for a spreadsheet or a ticket. Columns: {@code seq,
 * time, type, node, session_id, subject, policy, policy_version, data} ({@code data} the record's
 * data as compact JSON), the values as the records say them.
 *
 * <p>A field that a spreadsheet would run as a formula (one starting with {@code = + - @}, a tab or
 * a carriage return) gets a leading {@code '} (OWASP, "CSV Injection"): subjects come from the
 * apps. The CSV is a reading aid; the records' canonical JSON, which proofs cover, is
 * {@code GET /v1/audit}. At most {@link #MAX_RECORDS} records: when more match, the answer's header
 * {@code X-Curfew-Next} names the {@code seq} to continue {@code after}.
 */
final class AuditCsv {
  static final int MAX_RECORDS = 50_000;
  static final String NEXT_HEADER = "X-Curfew-Next";
  private static final String[] COLUMNS = {"seq", "time", "type", "node", "session_id", "subject", "policy",
      "policy_version", "data"};

  private final AuditQuery query;

  AuditCsv(AuditQuery query) {
    this.query = query;
  }

  void handle(RoutingContext ctx) {
    if (!query.readable()) {
      Reply.problem(ctx, Problem.unavailable("the audit log cannot be read on this node"));
      return;
    }
    AuditQuery.Filter asked = AuditQuery.parse(ctx.queryParams());
    if (ctx.queryParams().contains("limit")) {
      throw new JsonBodies.BadInput("the export takes session_id, subject, type, from, to and after; not limit");
    }
    ctx.vertx().executeBlocking(() -> export(asked), false).onComplete(ar -> {
      if (ar.failed() && ar.cause() instanceof JsonBodies.BadInput) {
        ctx.fail(400, ar.cause());
        return;
      }
      if (ar.failed()) {
        Reply.problem(ctx, Problem.unavailable("the audit log could not be read"));
        return;
      }
      Export e = ar.result();
      if (e.next() != null) ctx.response().putHeader(NEXT_HEADER, String.valueOf(e.next()));
      ctx.response().setStatusCode(200).putHeader("Content-Type", "text/csv; charset=utf-8; header=present")
          .end(Buffer.buffer(e.csv().toString()));
    });
  }

  /** The CSV, and the {@code next} to continue from (a seq, or a cursor of the trail of several nodes). */
  record Export(StringBuilder csv, Object next) {}

  Export export(AuditQuery.Filter asked) throws IOException {
    StringBuilder out = new StringBuilder(256).append(String.join(",", COLUMNS)).append("\r\n");
    // asked continues an export (X-Curfew-Next) when it has an after or a cursor
    AuditQuery.Filter f = asked;
    int written = 0;
    while (true) {
      int want = Math.min(AuditQuery.MAX_LIMIT, MAX_RECORDS - written);
      f = new AuditQuery.Filter(f.sessionId(), f.subject(), f.type(), f.from(), f.to(), f.after(), want, f.cursor());
      AuditQuery.Page page = query.page(f);
      for (String line : page.lines()) row(out, JsonBodies.MAPPER.readTree(line));
      written += page.lines().size();
      if (page.next() == null) return new Export(out, null);
      if (written >= MAX_RECORDS) return new Export(out, page.next());
      f = f.continuing(page.next(), want);
    }
  }

  private static void row(StringBuilder out, JsonNode r) {
    for (int i = 0; i < COLUMNS.length; i++) {
      if (i > 0) out.append(',');
      JsonNode v = r.get(COLUMNS[i]);
      if (v == null || v.isNull()) continue;
      out.append(field(v.isValueNode() ? v.asText() : json(v)));
    }
    out.append("\r\n");
  }

  private static String json(JsonNode v) {
    try {
      return JsonBodies.MAPPER.writeValueAsString(v);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One field: neutralised if a spreadsheet would take it for a formula, quoted if it must be. */
  static String field(String v) {
    String s = !v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0 ? "'" + v : v;
    boolean quote = s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0;
    return quote ? '"' + s.replace("\"", "\"\"") + '"' : s;
  }

  static List<String> columns() {
    return List.of(COLUMNS);
  }
}

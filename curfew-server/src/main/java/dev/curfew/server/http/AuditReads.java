package dev.curfew.server.http;

import dev.curfew.core.RecordCoalescing;
import dev.curfew.core.SessionStore;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads of the trail are themselves in the trail (spec/audit.md, {@code audit.read}; PCI DSS v4.0
 * requirement 10.2.1.3 asks that all access to audit logs be logged): a query, an export, an
 * evidence bundle, a checkpoint or proof, a verification, by the API or the console. The record
 * names the {@code actor} (the API key, or the console operator's key), {@code what} was read,
 * the {@code path} and its query parameters; it is durable before the read is answered (a trail
 * that cannot record the read answers 503, as a change would).
 *
 * <p>A page that polls (the console refreshes a session's records every few seconds) must not
 * flood the trail: the same read by the same actor is recorded once per {@link #WINDOW_MS}, and
 * the next record counts the reads in between ({@code repeats}).
 */
final class AuditReads {
  static final long WINDOW_MS = 60_000;
  private static final int MAX_PARAMS = 16;
  private static final int MAX_VALUE_CHARS = 256;

  private final SessionStore store;
  private final Reply reply;
  private final RecordCoalescing coalescing = new RecordCoalescing(WINDOW_MS);

  AuditReads(SessionStore store, Reply reply) {
    this.store = store;
    this.reply = reply;
  }

  /** {@code handler}, answered once its read is recorded (or coalesced into a recent record). */
  Handler<RoutingContext> recorded(String what, Handler<RoutingContext> handler) {
    return ctx -> {
      Map<String, Object> data = new LinkedHashMap<>();
      String actor = ctx.get(BackendRoutes.ACTOR);
      data.put("actor", actor == null ? "unknown" : actor);
      data.put("what", what);
      data.put("path", ctx.request().path());
      // Every parameter is recorded, each value of a repeated one: a request padded with parameters
      // (or repeating one) must not keep what it read out of its record. No audit route takes more
      // than a few, so more than MAX_PARAMS is refused before anything is read.
      if (ctx.queryParams().names().size() > MAX_PARAMS) {
        Reply.problem(ctx, Problem.badRequest("at most " + MAX_PARAMS + " distinct query parameters, not "
            + ctx.queryParams().names().size()));
        return;
      }
      Map<String, Object> query = new TreeMap<>();
      for (String name : ctx.queryParams().names()) {
        java.util.List<String> values = ctx.queryParams().getAll(name).stream().limit(MAX_PARAMS)
            .map(v -> v.length() > MAX_VALUE_CHARS ? v.substring(0, MAX_VALUE_CHARS) : v).toList();
        query.put(name, values.size() == 1 ? values.get(0) : values);
      }
      data.put("query", query);
      long repeats = coalescing.repeatsBefore(data.toString());
      if (repeats < 0) {
        handler.handle(ctx);
        return;
      }
      data.put("repeats", repeats);
      reply.afterDurable(ctx, store.recordAuditRead(data), () -> handler.handle(ctx));
    };
  }
}

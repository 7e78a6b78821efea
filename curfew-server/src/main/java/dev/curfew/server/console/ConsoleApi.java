package dev.curfew.server.console;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonFactory;
import dev.curfew.core.Clock;
import dev.curfew.core.SessionRules;
import dev.curfew.core.SessionSearch;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.NoteVerification;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.Times;
import dev.curfew.core.compliance.Preset;
import dev.curfew.core.compliance.Presets;
import dev.curfew.server.http.ApiRoutes;
import dev.curfew.server.http.JsonBodies;
import dev.curfew.server.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The console's own JSON endpoints under {@code /console/api/}: what the API has no endpoint for.
 * Everything else the console does goes through the API's handlers (see {@link Console}).
 */
final class ConsoleApi {
  static final int DEFAULT_PAGE = 50;
  /** Most records of one session shown; a session refused every second for a day has ~86,400. */
  static final int MAX_SESSION_RECORDS = 5_000;

  private final ConsoleSessions sessions;
  private final ConsoleGuard guard;
  private final AuditView audit;
  private final LogVerification verification;
  private final MetricsWindow metrics;
  private final Clock clock;

  ConsoleApi(ConsoleSessions sessions, ConsoleGuard guard, AuditView audit, LogVerification verification,
      MetricsWindow metrics, Clock clock) {
    this.sessions = sessions;
    this.guard = guard;
    this.audit = audit;
    this.verification = verification;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** GET /console/api/me: who is signed in, the CSRF token for changes, and the console's policy. */
  void me(RoutingContext ctx) {
    Operator op = ConsoleGuard.operator(ctx);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("key", op.keyName());
    m.put("scope", op.scope().label());
    m.put("csrf", guard.csrfToken(op.session().sessionId()));
    m.put("session", op.session().toMap());
    sessions.policy().ifPresent(p -> m.put("policy", SessionRules.policyData(p)));
    m.put("server_time", Times.format(clock.millis()));
    ApiRoutes.json(ctx, 200, m);
  }

  /**
   * GET /console/api/sessions?q=&policy=&after=&limit=: live sessions whose subject contains {@code q}
   * (ignoring case), or the one whose id it is, of the policy {@code policy} when given; {@code after}
   * is the {@code next} of the previous page.
   */
  void sessions(RoutingContext ctx) {
    String q = single(ctx, "q");
    if (q != null && q.length() > SessionSearch.MAX_QUERY_LENGTH) {
      throw badRequest("q is longer than " + SessionSearch.MAX_QUERY_LENGTH + " characters");
    }
    String policy = single(ctx, "policy");
    if (policy != null && policy.length() > 256) throw badRequest("policy is longer than 256 characters");
    SessionSearch.Cursor after = cursor(single(ctx, "after"));
    int limit = limit(single(ctx, "limit"));
    String self = ConsoleGuard.operator(ctx).session().sessionId();
    SessionSearch.Query query = new SessionSearch.Query(q, policy, after, limit);
    Future.fromCompletionStage(sessions.search(query), ctx.vertx().getOrCreateContext()).onComplete(ar -> {
      if (ar.failed()) {
        Problem.unavailable("the session store cannot be searched now: " + ar.cause().getMessage()).send(ctx.response());
        return;
      }
      SessionSearch.Page page = ar.result();
      List<Object> rows = new ArrayList<>();
      for (SessionStatus s : page.sessions()) {
        Map<String, Object> row = s.toMap();
        row.put("attributes", dev.curfew.core.SessionAttributes.callers(s.attributes()));
        row.put("console", ConsoleSessions.keyOf(s).isPresent());
        row.put("yours", s.sessionId().equals(self));
        rows.add(row);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("sessions", rows);
      out.put("matched", page.matched());
      out.put("next", page.next() == null ? null : encode(page.next()));
      out.put("server_time", Times.format(clock.millis()));
      ApiRoutes.json(ctx, 200, out);
    });
  }

  /**
   * GET /console/api/subjects/{subject}/sessions: every live session of exactly that subject, oldest
   * first, on whichever gateway or protocol: a subject's sessions together (concurrency limits).
   */
  void subjectSessions(RoutingContext ctx) {
    String subject = ctx.pathParam("subject");
    if (subject.isBlank() || subject.length() > SessionRules.MAX_SUBJECT_LENGTH) {
      throw badRequest("subject must be 1-" + SessionRules.MAX_SUBJECT_LENGTH + " characters");
    }
    Future.fromCompletionStage(sessions.sessionsOf(subject), ctx.vertx().getOrCreateContext()).onComplete(ar -> {
      if (ar.failed()) {
        // A store that says why (StoreUnavailable: Redis unreachable, silent, erring) is quoted as it says it.
        dev.curfew.core.StoreUnavailable why = dev.curfew.core.StoreUnavailable.in(ar.cause());
        Problem.unavailable(why != null ? why.getMessage() : "the session store cannot be reached: " + ar.cause().getMessage())
            .send(ctx.response());
        return;
      }
      List<Object> rows = new ArrayList<>();
      for (SessionStatus s : ar.result()) {
        Map<String, Object> row = s.toMap();
        row.put("attributes", dev.curfew.core.SessionAttributes.callers(s.attributes()));
        rows.add(row);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("subject", subject);
      out.put("sessions", rows);
      out.put("server_time", Times.format(clock.millis()));
      ApiRoutes.json(ctx, 200, out);
    });
  }

  /** GET /console/api/sessions/{session_id}/records: the session's audit records, verbatim, through the session index. */
  void records(RoutingContext ctx) {
    String id = ctx.pathParam("session_id");
    if (id == null || id.length() > 64) throw badRequest("not a session id");
    ctx.vertx().executeBlocking(() -> render(audit.sessionRecords(id)), false).onComplete(ar -> {
      if (ar.failed()) {
        Problem.unavailable("the audit log could not be read: " + ar.cause().getMessage()).send(ctx.response());
        return;
      }
      ctx.response().setStatusCode(200).putHeader("Content-Type", "application/json; charset=utf-8")
          .end(Buffer.buffer(ar.result()));
    });
  }

  private static byte[] render(List<String> lines) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + Math.min(lines.size(), MAX_SESSION_RECORDS) * 400);
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.writeStartObject();
      g.writeArrayFieldStart("records");
      // The first records tell the session's story; past the limit, the last ones tell its end.
      List<String> shown = lines.size() <= MAX_SESSION_RECORDS ? lines
          : concat(lines.subList(0, MAX_SESSION_RECORDS - 100), lines.subList(lines.size() - 100, lines.size()));
      for (String line : shown) g.writeRawValue(line);
      g.writeEndArray();
      g.writeNumberField("total", lines.size());
      g.writeBooleanField("truncated", shown.size() < lines.size());
      g.writeEndObject();
    }
    return out.toByteArray();
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** GET /console/api/audit: the log's size, its latest checkpoint (verified), and the verifications. */
  void auditStatus(RoutingContext ctx) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("records", audit.records());
    NoteVerifier key = audit.verifier();
    Map<String, Object> k = new LinkedHashMap<>();
    k.put("name", key.name());
    k.put("key_id", key.keyIdHex());
    k.put("verifier_key", key.verifierKey());
    m.put("public_key", k);
    m.put("checkpoint", audit.latestCheckpoint().map(note -> checkpoint(note, key)).orElse(null));
    m.put("verification", verification.state());
    m.put("server_time", Times.format(clock.millis()));
    ApiRoutes.json(ctx, 200, m);
  }

  private static Map<String, Object> checkpoint(String note, NoteVerifier key) {
    Map<String, Object> c = new LinkedHashMap<>();
    NoteVerification v = key.verify(note);
    c.put("signature_verified", v.verified());
    if (v.verified()) {
      Checkpoint cp = Checkpoint.parse(v.textOrThrow());
      c.put("origin", cp.origin());
      c.put("tree_size", cp.treeSize());
      c.put("root_hash", Base64.getEncoder().encodeToString(cp.rootHash()));
    }
    c.put("note", note);
    return c;
  }

  /** POST /console/api/audit/verify: starts "verify now" (or joins the one running); 202 with the state. */
  void verify(RoutingContext ctx) {
    ApiRoutes.json(ctx, 202, verification.start(ConsoleGuard.operator(ctx).keyName()));
  }

  /** GET /console/api/audit/public-key: the verifier key, as {@code curfew audit public-key} prints it. */
  void publicKey(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8")
        .putHeader("Content-Disposition", "attachment; filename=\"curfew-audit.pub\"")
        .end(audit.verifier().verifierKey() + "\n");
  }

  /** GET /console/api/metrics: the last five minutes of Curfew's meters, see {@link MetricsWindow}. */
  void metrics(RoutingContext ctx) {
    ApiRoutes.json(ctx, 200, metrics.summary());
  }

  /** GET /console/api/presets: the compliance presets a policy can be checked against. */
  void presets(RoutingContext ctx) {
    List<Object> out = new ArrayList<>();
    for (Preset p : Presets.all()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", p.id());
      m.put("title", p.title());
      m.put("source", p.source());
      out.add(m);
    }
    ApiRoutes.json(ctx, 200, Map.of("presets", out));
  }

  // ---------------------------------------------------------------- parameters

  private static String single(RoutingContext ctx, String name) {
    List<String> all = ctx.queryParam(name);
    if (all.isEmpty()) return null;
    if (all.size() > 1) throw badRequest("query parameter \"" + name + "\" is given more than once");
    return all.get(0);
  }

  private static int limit(String v) {
    if (v == null || v.isEmpty()) return DEFAULT_PAGE;
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= SessionSearch.MAX_LIMIT) return n;
    } catch (NumberFormatException e) {
      // the message below
    }
    throw badRequest("limit must be 1-" + SessionSearch.MAX_LIMIT);
  }

  /** A cursor as the page hands it back: base64url of {@code [subject, created_at_ms, session_id]}. */
  static String encode(SessionSearch.Cursor c) {
    String json = JsonBodies.writeString(List.of(c.subject(), c.createdAtMs(), c.sessionId()));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  static SessionSearch.Cursor cursor(String v) {
    if (v == null || v.isEmpty()) return null;
    try {
      if (v.length() > 2048) throw new IllegalArgumentException("too long");
      String json = new String(Base64.getUrlDecoder().decode(v), StandardCharsets.UTF_8);
      List<?> parts = new com.fasterxml.jackson.databind.ObjectMapper().readValue(json, List.class);
      if (parts.size() != 3 || !(parts.get(0) instanceof String subject) || !(parts.get(1) instanceof Number created)
          || !(parts.get(2) instanceof String id)) {
        throw new IllegalArgumentException("shape");
      }
      return new SessionSearch.Cursor(subject, created.longValue(), id);
    } catch (IOException | IllegalArgumentException e) {
      throw badRequest("after is not a cursor this console gave out");
    }
  }

  /** A 400 with {@code detail}: {@link Console} answers it as a problem. */
  static RuntimeException badRequest(String detail) {
    return new BadRequest(detail);
  }

  /** Bad input to a console endpoint: a 400 problem. */
  static final class BadRequest extends RuntimeException {
    BadRequest(String detail) {
      super(detail, null, false, false);
    }
  }
}

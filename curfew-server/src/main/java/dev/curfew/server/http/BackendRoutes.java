package dev.curfew.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.SessionRules;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SessionStore;
import dev.curfew.core.audit.Times;
import dev.curfew.server.http.JsonBodies.BadInput;
import dev.curfew.server.http.Reply.Presented;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The backends' endpoints (API key), plus forward-auth, which gateways call with the holder's token.
 * Each handler parses, calls one engine operation, and renders its decision.
 */
final class BackendRoutes {
  static final String ACTOR = "curfew.actor";
  static final int MAX_TOKEN_CHARS = 4096;
  static final int MAX_REASON_TEXT_CHARS = 1024;

  private final SessionStore engine;
  private final EventHub hub;
  private final Reply reply;

  BackendRoutes(SessionStore engine, EventHub hub, Reply reply) {
    this.engine = engine;
    this.hub = hub;
    this.reply = reply;
  }

  /** POST /v1/sessions: 201 with the status and the token, which appears here only. */
  void create(RoutingContext ctx) {
    ObjectNode body = JsonBodies.object(JsonBodies.bytes(ctx), false);
    JsonBodies.onlyFields(body, Set.of("subject", "policy", "attributes", "audience"));
    String subject = JsonBodies.text(body, "subject", true, SessionRules.MAX_SUBJECT_LENGTH);
    String policy = JsonBodies.text(body, "policy", false, 256);
    Map<String, Object> attributes = JsonBodies.attributes(body, "attributes");
    if (subject.isBlank()) throw new BadInput("\"subject\" must not be blank");
    ApiKey key = ctx.get(ApiAccess.KEY);
    java.util.concurrent.CompletableFuture<Decision> answer;
    try {
      // Who opened it (the key) and where it may be used are Curfew's own fields, never attributes.
      Audience audience = key.audienceToOpen(audience(body));
      answer = engine.open(subject, policy, attributes, audience, key.name());
    } catch (IllegalArgumentException e) {
      throw new BadInput(e.getMessage());
    }
    Reply.when(ctx, answer, d -> {
      if (d.verdict() == Decision.Verdict.REFUSED) {
        // Over the subject's concurrency limit: answered once the session.refused record is durable.
        reply.afterDurable(ctx, d.durable(), () -> Reply.problem(ctx, Problem.concurrencyLimit(d.detail())));
        return;
      }
      if (d.verdict() != Decision.Verdict.ALLOWED) {
        Reply.problem(ctx, Problem.unavailable(d.detail()));
        return;
      }
      reply.afterDurable(ctx, d.durable(), () -> {
        ctx.response().putHeader("Location", "/v1/sessions/" + d.status().sessionId());
        Reply.jsonBody(ctx, 201, StatusJson.buffer(d.status(), d.token()));
      });
    });
  }

  /** GET /v1/sessions/{session_id}: 200 live, 410 ended (with reason), 404 unknown. */
  void get(RoutingContext ctx) {
    String id = ctx.pathParam("session_id");
    byId(ctx, id, engine.get(id), d -> Reply.json(ctx, 200, d.status().toMap()));
  }

  /** GET /v1/sessions?subject=: the live sessions of a subject. */
  void list(RoutingContext ctx) {
    List<String> subjects = ctx.queryParam("subject");
    if (subjects.isEmpty() || subjects.get(0).isEmpty()) throw new BadInput("query parameter \"subject\" is required");
    if (subjects.size() > 1) throw new BadInput("query parameter \"subject\" is given more than once");
    String subject = subjects.get(0);
    if (subject.length() > SessionRules.MAX_SUBJECT_LENGTH) {
      throw new BadInput("\"subject\" is longer than " + SessionRules.MAX_SUBJECT_LENGTH + " characters");
    }
    Reply.when(ctx, engine.sessionsOf(subject), found -> {
      List<Map<String, Object>> sessions = found.stream().map(SessionStatus::toMap).toList();
      Reply.json(ctx, 200, Map.of("sessions", sessions));
    });
  }

  /**
   * GET /v1/subjects/{subject}/sessions: the subject's live sessions, oldest first, for an app to
   * show its user where they are signed in (status bodies: never a token). Passive.
   */
  void subjectSessions(RoutingContext ctx) {
    String subject = ctx.pathParam("subject");
    if (subject.isBlank() || subject.length() > SessionRules.MAX_SUBJECT_LENGTH) {
      throw new BadInput("subject must be 1-" + SessionRules.MAX_SUBJECT_LENGTH + " characters");
    }
    Reply.when(ctx, engine.sessionsOf(subject), found -> {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("subject", subject);
      out.put("sessions", found.stream().map(SessionStatus::toMap).toList());
      Reply.json(ctx, 200, out);
    });
  }

  /** DELETE /v1/sessions/{session_id}: revoke, optional {@code {"reason_text"}}; 204. */
  void revoke(RoutingContext ctx) {
    String reasonText = reasonText(ctx);
    String id = ctx.pathParam("session_id");
    byId(ctx, id, engine.revoke(id, ctx.get(ACTOR), reasonText), d -> Reply.empty(ctx, 204));
  }

  /** POST /v1/subjects/{subject}/revoke: every live session of the subject; {@code {"revoked": N}}. */
  void revokeSubject(RoutingContext ctx) {
    String reasonText = reasonText(ctx);
    String subject = ctx.pathParam("subject");
    if (subject.length() > SessionRules.MAX_SUBJECT_LENGTH) {
      throw new BadInput("subject is longer than " + SessionRules.MAX_SUBJECT_LENGTH + " characters");
    }
    Reply.when(ctx, engine.revokeSubject(subject, ctx.get(ACTOR), reasonText), r -> {
      if (r.revoked() < 0) {
        Reply.problem(ctx, Problem.unavailable("the session store or the audit log cannot be written"));
        return;
      }
      reply.afterDurable(ctx, r.durable(), () -> Reply.json(ctx, 200, Map.of("revoked", r.revoked())));
    });
  }

  /** POST /v1/introspect (RFC 7662): passive; anything not valid is {@code {"active": false}}. */
  void introspect(RoutingContext ctx) {
    // A token outside the key's audience is not active for it (RFC 7662 section 2.2).
    Reply.when(ctx, engine.check(formToken(ctx), false, keyAudience(ctx)), d -> {
      switch (d.verdict()) {
        case ALLOWED -> reply.afterDurable(ctx, d.durable(), () -> Reply.json(ctx, 200, introspection(d.status())));
        case UNAVAILABLE -> Reply.problem(ctx, Problem.unavailable(d.detail()));
        case WRONG_AUDIENCE -> reply.afterDurable(ctx, d.durable(), () -> Reply.json(ctx, 200, Map.of("active", false)));
        default -> {
          Throttle.checked(ctx, d);
          Reply.json(ctx, 200, Map.of("active", false));
        }
      }
    });
  }

  private static Map<String, Object> introspection(SessionStatus s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("active", true);
    m.put("sub", s.subject());
    m.put("sid", s.sessionId());
    // Seconds rounded down: a cache that trusts exp stops before the deadline, never after.
    m.put("exp", Math.floorDiv(s.expiresAtMs(), 1000));
    m.put("iat", Math.floorDiv(s.createdAtMs(), 1000));
    m.put("curfew", s.toMap());
    return m;
  }

  private static final Set<String> CHECK_FIELDS = Set.of("token", "touch", "audience");

  /** POST /v1/check: {@code {"token", "touch"}}; 200 status or 401 with reason. */
  void check(RoutingContext ctx) {
    ObjectNode body = JsonBodies.object(JsonBodies.bytes(ctx), false);
    JsonBodies.onlyFields(body, CHECK_FIELDS);
    String token = JsonBodies.text(body, "token", true, MAX_TOKEN_CHARS);
    boolean touch = JsonBodies.bool(body, "touch", false);
    Audience usedAt = usedAt(ctx, audience(body));
    if (usedAt == null) return;
    reply.token(ctx, null, engine.check(token, touch, usedAt), d -> {
      if (touch) HolderRoutes.announce(hub, d.status());
      Reply.jsonBody(ctx, 200, StatusJson.buffer(d.status(), d.token()));
    });
  }

  /** POST /v1/revoke (RFC 7009): 200 whether or not the token was valid. */
  void revokeToken(RoutingContext ctx) {
    // Only a token issued for the caller (RFC 7009 section 2.1): outside the key's audience, 403.
    Reply.when(ctx, engine.check(formToken(ctx), false, keyAudience(ctx)), d -> {
      switch (d.verdict()) {
        case WRONG_AUDIENCE -> reply.afterDurable(ctx, d.durable(), () -> Reply.problem(ctx, Problem.wrongAudience(d.detail())));
        case ALLOWED -> Reply.when(ctx, engine.revoke(d.status().sessionId(), ctx.get(ACTOR), "token revoked (RFC 7009)"),
            r -> {
              switch (r.verdict()) {
                case ALLOWED -> reply.afterDurable(ctx, r.durable(), () -> Reply.empty(ctx, 200));
                case UNAVAILABLE -> Reply.problem(ctx, Problem.unavailable(r.detail()));
                default -> Reply.empty(ctx, 200);
              }
            });
        case UNAVAILABLE -> Reply.problem(ctx, Problem.unavailable(d.detail()));
        default -> {
          Throttle.checked(ctx, d);
          Reply.empty(ctx, 200);
        }
      }
    });
  }

  /**
   * /v1/forward-auth: for nginx auth_request, Traefik ForwardAuth, Envoy ext_authz. 200 with the
   * session in headers, or 401 with the reason (also in {@code X-Curfew-Reason}, which nginx can
   * read where it cannot read a body). Activity unless {@code X-Curfew-Passive: 1}.
   */
  void forwardAuth(RoutingContext ctx) {
    Presented p = reply.sessionToken(ctx.request());
    if (p == null) {
      ctx.response().putHeader("X-Curfew-Reason", "unknown");
      Reply.problem(ctx, Problem.noToken());
      return;
    }
    String passiveHeader = ctx.request().getHeader("X-Curfew-Passive");
    boolean touch = !("1".equals(passiveHeader) || "true".equalsIgnoreCase(passiveHeader));
    Audience asked;
    try {
      String header = ctx.request().getHeader(AUDIENCE_HEADER);
      asked = header == null ? null : Audience.of(java.util.Arrays.stream(header.split(",")).map(String::trim).toList());
    } catch (IllegalArgumentException e) {
      throw new BadInput(AUDIENCE_HEADER + ": " + e.getMessage());
    }
    if (asked == null && ctx.get(ApiAccess.KEY) == null) {
      throw new BadInput("forward-auth needs the place it checks for: set " + AUDIENCE_HEADER
          + " in the proxy (e.g. app:<the key that opens the sessions>, see docs/forward-auth.md), or send a gateway key");
    }
    Audience usedAt = usedAt(ctx, asked);
    if (usedAt == null) return;
    Reply.when(ctx, engine.check(p.token(), touch, usedAt), d -> forwardAuthAnswer(ctx, p, touch, d));
  }

  /**
   * The header in which a proxy names the place forward-auth checks for (one or more audience
   * entries, comma-separated). The proxy must set it itself (nginx: {@code proxy_set_header}), so
   * that a client's own never passes.
   */
  static final String AUDIENCE_HEADER = "X-Curfew-Audience";

  private void forwardAuthAnswer(RoutingContext ctx, Presented p, boolean touch, Decision d) {
    if (d.verdict() == Decision.Verdict.ENDED) {
      ctx.response().putHeader("X-Curfew-Reason", d.reason().wire());
    } else if (d.verdict() == Decision.Verdict.WRONG_AUDIENCE) {
      ctx.response().putHeader("X-Curfew-Reason", Decision.WRONG_AUDIENCE_REASON);
    }
    reply.token(ctx, d, ok -> {
      SessionStatus s = ok.status();
      reply.rotated(ctx, p, ok, null);
      ctx.response()
          .putHeader("X-Curfew-Subject", headerSafe(s.subject()))
          .putHeader("X-Curfew-Session-Id", s.sessionId())
          .putHeader("X-Curfew-Expires-At", Times.format(s.expiresAtMs()));
      if (touch) HolderRoutes.announce(hub, s);
      Reply.empty(ctx, 200);
    });
  }

  /**
   * A subject as a header value: printable ASCII as is, everything else (and {@code %}) as UTF-8
   * percent-encoding (RFC 3986), so that no subject can split or corrupt a header.
   */
  static String headerSafe(String s) {
    StringBuilder b = null;
    byte[] utf8 = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c > 0x20 && c < 0x7f && c != '%') continue;
      utf8 = s.getBytes(StandardCharsets.UTF_8);
      b = new StringBuilder(utf8.length * 3);
      break;
    }
    if (b == null) return s;
    for (byte x : utf8) {
      int c = x & 0xff;
      if (c > 0x20 && c < 0x7f && c != '%') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  private void byId(RoutingContext ctx, String id, java.util.concurrent.CompletableFuture<Decision> answer,
      java.util.function.Consumer<Decision> onAllowed) {
    Reply.when(ctx, answer, d -> byId(ctx, id, d, onAllowed));
  }

  private void byId(RoutingContext ctx, String id, Decision d, java.util.function.Consumer<Decision> onAllowed) {
    switch (d.verdict()) {
      case ALLOWED -> reply.afterDurable(ctx, d.durable(), () -> onAllowed.accept(d));
      // the ended session's status (ended_reason, ended_at) as extension members: when and why it ended
      case ENDED -> Problem.sessionGone(id, d.reason()).send(ctx.response(),
          d.status() == null ? java.util.Map.of() : d.status().toMap());
      case NOT_FOUND -> Reply.problem(ctx, Problem.sessionNotFound(id));
      case REFUSED, WRONG_AUDIENCE, UNAVAILABLE -> Reply.problem(ctx, Problem.unavailable(d.detail()));
    }
  }

  /** The {@code token} form field (RFC 7662 / 7009); a JSON body {@code {"token"}} is accepted too. */
  private static String formToken(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    String token;
    if (contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      ObjectNode body = JsonBodies.object(JsonBodies.bytes(ctx), false);
      token = JsonBodies.text(body, "token", true, MAX_TOKEN_CHARS);
    } else {
      List<String> all = ctx.request().formAttributes().getAll("token");
      if (all.isEmpty() || all.get(0).isEmpty()) {
        throw new BadInput("form field \"token\" is required (application/x-www-form-urlencoded)");
      }
      if (all.size() > 1) throw new BadInput("form field \"token\" is given more than once");
      token = all.get(0);
    }
    if (token.length() > MAX_TOKEN_CHARS) throw new BadInput("\"token\" is longer than " + MAX_TOKEN_CHARS + " characters");
    return token;
  }

  /** The optional {@code audience} field: a place or a list of places; null when absent. */
  private static Audience audience(ObjectNode body) {
    com.fasterxml.jackson.databind.JsonNode n = body.get("audience");
    if (n == null || n.isNull()) return null;
    List<String> places = new java.util.ArrayList<>();
    if (n.isTextual()) {
      places.add(n.textValue());
    } else if (n.isArray()) {
      if (n.size() > Audience.MAX_ENTRIES) throw new BadInput("\"audience\" names more than " + Audience.MAX_ENTRIES + " places");
      for (com.fasterxml.jackson.databind.JsonNode e : n) {
        if (!e.isTextual()) throw new BadInput("\"audience\" must be a list of strings");
        places.add(e.textValue());
      }
    } else {
      throw new BadInput("\"audience\" must be a list of strings");
    }
    try {
      return Audience.of(places);
    } catch (IllegalArgumentException e) {
      throw new BadInput("\"audience\": " + e.getMessage());
    }
  }

  /** The audience of the calling key; null when no key came (forward-auth without one). */
  private static Audience keyAudience(RoutingContext ctx) {
    ApiKey key = ctx.get(ApiAccess.KEY);
    return key == null ? null : key.audience();
  }

  /**
   * Where a check counts as made: {@code asked} (which must lie inside the calling key's own
   * audience), else the key's audience. Null when refused (403 answered).
   */
  private static Audience usedAt(RoutingContext ctx, Audience asked) {
    ApiKey key = ctx.get(ApiAccess.KEY);
    if (key == null) return asked;
    if (asked == null) return key.audience();
    if (!key.audience().covers(asked)) {
      Reply.problem(ctx, Problem.audienceNotAllowed(key.name(), "may check sessions for "
          + String.join(", ", key.audience().entries()) + ", not for " + String.join(", ", asked.entries())));
      return null;
    }
    return asked;
  }

  private static String reasonText(RoutingContext ctx) {
    ObjectNode body = JsonBodies.object(JsonBodies.bytes(ctx), true);
    JsonBodies.onlyFields(body, Set.of("reason_text"));
    return JsonBodies.text(body, "reason_text", false, MAX_REASON_TEXT_CHARS);
  }

}

package dev.curfew.server.console;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionStatus;
import dev.curfew.server.http.ApiRoutes;
import dev.curfew.server.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Who may do what at the console, decided on every request.
 *
 * <p>Authentication: the console cookie ({@value #COOKIE}: {@code __Host-} prefix, {@code Secure},
 * {@code HttpOnly}, {@code SameSite=Strict}, {@code Path=/}, no {@code Domain}, no {@code
 * Max-Age}) holds a session token of a console session; the engine checks it like any other. A
 * request counts as the operator's activity unless it says {@code X-Curfew-Passive: 1} (the
 * console's background refreshes say so: polling must never keep a session alive) or comes from
 * another origin.
 *
 * <p>Cross-site request forgery: {@code SameSite=Strict} keeps the cookie off cross-site requests,
 * but another port or subdomain of the same site (an app behind the gateway) is same-site. So every
 * console API call must come from this origin ({@code Sec-Fetch-Site: same-origin} when the browser
 * sends it, and an {@code Origin} naming this host when present), and every change must also carry
 * {@value #CSRF_HEADER}: an HMAC of the console session's id under a key of this process, which
 * the page learns from {@code GET /console/api/me}. After a restart the key is new; the page asks
 * again and retries once.
 *
 * <p>Authorization: the scope of the key the session was opened with, asked of {@link
 * ConsoleScope.Resolver} on every request. Only a session of audience {@code console} is checked
 * here (inside the store's atomic check), and only console sign-in opens one: a session opened
 * through the API, whatever its attributes, is refused with {@code wrong_audience}.
 */
final class ConsoleGuard {
  static final String COOKIE = "__Host-curfew-console";
  static final String CSRF_HEADER = "X-Curfew-CSRF";
  static final String PASSIVE_HEADER = "X-Curfew-Passive";
  private static final String OPERATOR = "curfew.console.operator";
  private static final int MAX_RETURN_CHARS = 512;

  private final ConsoleSessions sessions;
  private final ConsoleScope.Resolver scopes;
  private final SecretKeySpec csrfKey;

  ConsoleGuard(ConsoleSessions sessions, ConsoleScope.Resolver scopes) {
    this.sessions = sessions;
    this.scopes = scopes;
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    this.csrfKey = new SecretKeySpec(key, "HmacSHA256");
  }

  /** The operator that a guard let through. */
  static Operator operator(RoutingContext ctx) {
    return ctx.get(OPERATOR);
  }

  /** The {@code Set-Cookie} value of a console session token. */
  static String cookie(String token) {
    return COOKIE + "=" + token + "; Path=/; Secure; HttpOnly; SameSite=Strict";
  }

  static String expiredCookie() {
    return COOKIE + "=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Strict";
  }

  // ---------------------------------------------------------------- guards

  /** Pages: a signed-in operator goes on; anyone else is sent to the sign-in page with a return path. */
  void page(RoutingContext ctx) {
    authenticate(ctx, touches(ctx.request())).onSuccess(o -> {
      if (o.operator() == null) {
        if (o.cookiePresented()) ctx.response().headers().add("Set-Cookie", expiredCookie());
        String back = ctx.request().uri();
        o.whenRecorded(ctx, () -> ctx.response().setStatusCode(303)
            .putHeader("Location", "/console/login?return=" + URLEncoder.encode(back, StandardCharsets.UTF_8)).end());
        return;
      }
      ctx.put(OPERATOR, o.operator());
      ctx.next();
    });
  }

  /** Console API calls: this origin only, a signed-in operator whose key allows {@code needed}, a CSRF token on changes. */
  Handler<RoutingContext> api(ConsoleScope needed) {
    return api(needed, false);
  }

  /**
   * As {@link #api(ConsoleScope)}; with {@code alwaysPassive} the request never counts as activity
   * (an event stream: EventSource cannot send {@value #PASSIVE_HEADER}, and it is never the operator's act).
   */
  Handler<RoutingContext> api(ConsoleScope needed, boolean alwaysPassive) {
    return ctx -> {
      HttpServerRequest req = ctx.request();
      boolean changes = req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD;
      if (!fromThisOrigin(req)) {
        Problem.of(403, "cross-origin", "Cross-origin request refused",
            "console calls must come from the console's own pages").send(ctx.response());
        return;
      }
      String passive = req.getHeader(PASSIVE_HEADER);
      boolean touch = !alwaysPassive && !("1".equals(passive) || "true".equalsIgnoreCase(passive));
      authenticate(ctx, touch).onSuccess(o -> {
        if (o.operator() == null) {
          if (o.cookiePresented()) ctx.response().headers().add("Set-Cookie", expiredCookie());
          o.whenRecorded(ctx, () -> o.problem().send(ctx.response()));
          return;
        }
        if (!o.operator().scope().allows(needed)) {
          Problem.of(403, "scope", "Not allowed", "this needs an API key of scope " + needed.label() + "; the key "
              + o.operator().keyName() + " has scope " + o.operator().scope().label()).send(ctx.response());
          return;
        }
        if (changes && !csrfMatches(req.getHeader(CSRF_HEADER), o.operator().session().sessionId())) {
          Problem.of(403, "csrf", "Request not confirmed",
              "send the header " + CSRF_HEADER + " with the token of GET /console/api/me").send(ctx.response());
          return;
        }
        ctx.put(OPERATOR, o.operator());
        ApiRoutes.actAs(ctx, o.operator().keyName());
        ctx.next();
      });
    };
  }

  /** The console session's own endpoints ({@code /console/session/...}): changes only from this origin. */
  void holder(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    boolean changes = req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD;
    if (changes && !fromThisOrigin(req)) {
      Problem.of(403, "cross-origin", "Cross-origin request refused",
          "a change to the console session must come from the console's own pages").send(ctx.response());
      return;
    }
    ctx.next();
  }

  // ---------------------------------------------------------------- authentication

  /**
   * What the cookie says: an operator, or why not.
   *
   * @param operator the signed-in operator, null when not signed in
   * @param problem why not (401 ended or missing, 403 key without the console, 503)
   * @param cookiePresented whether a console cookie came with the request
   */
  record Outcome(Operator operator, Problem problem, boolean cookiePresented, CompletableFuture<Void> refusalRecorded) {
    Outcome(Operator operator, Problem problem, boolean cookiePresented) {
      this(operator, problem, cookiePresented, NOTHING_TO_RECORD);
    }

    /**
     * Runs {@code answer} once the refusal's record (a {@code session.refused}, when the check wrote
     * one) is durable, on the request's context; a record that cannot be written is answered 503.
     */
    void whenRecorded(RoutingContext ctx, Runnable answer) {
      Future.fromCompletionStage(refusalRecorded, ctx.vertx().getOrCreateContext()).onComplete(ar -> {
        if (ar.succeeded()) {
          answer.run();
        } else {
          Problem.unavailable("the refusal could not be written durably to the audit log").send(ctx.response());
        }
      });
    }
  }

  /**
   * What the cookie says, on the request's context; never fails (a store that cannot answer is a
   * 503 outcome).
   */
  Future<Outcome> authenticate(RoutingContext ctx, boolean touch) {
    Cookie c = ctx.request().getCookie(COOKIE);
    if (c == null || c.getValue().isEmpty()) {
      return Future.succeededFuture(new Outcome(null, Problem.of(401, "console-sign-in", "Sign in required",
          "sign in to the console at /console/login"), false));
    }
    return Future.fromCompletionStage(sessions.check(c.getValue(), touch), ctx.vertx().getOrCreateContext())
        .map(d -> outcome(ctx, d))
        .otherwise(e -> new Outcome(null, Problem.unavailable("the session store cannot be reached"), true));
  }

  private Outcome outcome(RoutingContext ctx, Decision d) {
    switch (d.verdict()) {
      case ALLOWED -> { }
      case UNAVAILABLE -> {
        return new Outcome(null, Problem.unavailable(d.detail()), true);
      }
      case WRONG_AUDIENCE -> {
        // A session opened anywhere but console sign-in: refused (and recorded), never an operator.
        return new Outcome(null, Problem.wrongAudience(d.detail()), true, durable(d));
      }
      default -> {
        return new Outcome(null, Problem.sessionEnded(d.reason() == null ? EndReason.UNKNOWN : d.reason()), true,
            durable(d));
      }
    }
    if (d.token() != null) ctx.response().headers().add("Set-Cookie", cookie(d.token())); // a policy that rotates
    SessionStatus s = d.status();
    // Bound to the key that signed in by the subject of a console-audience session, never by attributes.
    Optional<String> key = ConsoleSessions.keyOf(s);
    if (key.isEmpty()) return new Outcome(null, Problem.sessionEnded(EndReason.UNKNOWN), true);
    String keyName = key.get();
    Optional<ConsoleScope> scope = scopes.scopeOf(keyName);
    if (scope.isEmpty()) {
      return new Outcome(null, Problem.of(403, "scope", "Not allowed",
          "the API key " + keyName + " may no longer use the console"), true);
    }
    return new Outcome(new Operator(keyName, scope.get(), s), null, true);
  }

  private static final CompletableFuture<Void> NOTHING_TO_RECORD = CompletableFuture.completedFuture(null);

  private static CompletableFuture<Void> durable(Decision d) {
    return d.durable() == null ? NOTHING_TO_RECORD : d.durable();
  }

  /** A navigation counts as activity when the operator made it here (typed, bookmarked, or from a console page). */
  private static boolean touches(HttpServerRequest req) {
    String site = req.getHeader("Sec-Fetch-Site");
    return site == null || site.equals("same-origin") || site.equals("none");
  }

  /**
   * Whether a request comes from this origin, as far as the browser says: {@code Sec-Fetch-Site}
   * same-origin when sent, and an {@code Origin} with this request's host and port when sent.
   * (Clients that send neither are not browsers, and cookies are not theirs to forge.)
   */
  static boolean fromThisOrigin(HttpServerRequest req) {
    String site = req.getHeader("Sec-Fetch-Site");
    if (site != null && !site.equals("same-origin")) return false;
    String origin = req.getHeader("Origin");
    if (origin == null) return true;
    String host = req.getHeader("Host");
    try {
      URI u = URI.create(origin);
      return host != null && u.getRawAuthority() != null
          && u.getRawAuthority().toLowerCase(Locale.ROOT).equals(host.toLowerCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- CSRF

  /** The CSRF token of a console session: base64url(HMAC-SHA256(key of this process, session id)). */
  String csrfToken(String sessionId) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(csrfKey);
      return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(sessionId.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private boolean csrfMatches(String presented, String sessionId) {
    if (presented == null || presented.length() > 128) return false;
    return MessageDigest.isEqual(presented.getBytes(StandardCharsets.US_ASCII),
        csrfToken(sessionId).getBytes(StandardCharsets.US_ASCII));
  }

  // ---------------------------------------------------------------- return paths

  /**
   * A path of the console to go back to after sign-in; anything else (another site, a protocol-
   * relative URL, the sign-in page itself, an API path) becomes {@code /console}.
   */
  static String safeReturn(String requested) {
    if (requested == null || requested.isEmpty() || requested.length() > MAX_RETURN_CHARS) return "/console";
    if (!requested.startsWith("/console") || requested.startsWith("//") || requested.indexOf('\\') >= 0) return "/console";
    if (requested.length() > 8 && "/?".indexOf(requested.charAt(8)) < 0) return "/console"; // /consolefoo
    for (int i = 0; i < requested.length(); i++) {
      char ch = requested.charAt(i);
      if (ch < 0x21 || ch > 0x7e) return "/console";
    }
    String path = requested.split("\\?", 2)[0];
    if (path.contains("/..") || path.contains("/.") || under(path, "/console/login") || under(path, "/console/api")
        || under(path, "/console/session") || under(path, "/console/static")) {
      return "/console";
    }
    return requested;
  }

  private static boolean under(String path, String prefix) {
    return path.equals(prefix) || path.startsWith(prefix + "/");
  }
}

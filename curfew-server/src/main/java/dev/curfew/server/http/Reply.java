package dev.curfew.server.http;

import dev.curfew.core.Decision;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * How handlers answer: JSON bodies, problems, and the durable rule (a change is acknowledged only
 * once {@link Decision#durable()} has completed; if it fails or takes longer than the durable
 * timeout, the answer is 503: fail closed).
 */
final class Reply {
  static final String JSON = "application/json; charset=utf-8";

  private final long durableTimeoutMs;
  private final String cookieName;

  Reply(long durableTimeoutMs, String cookieName) {
    this.durableTimeoutMs = durableTimeoutMs;
    this.cookieName = cookieName;
  }

  static void json(RoutingContext ctx, int status, Object body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", JSON).end(Buffer.buffer(JsonBodies.write(body)));
  }

  static void empty(RoutingContext ctx, int status) {
    ctx.response().setStatusCode(status).end();
  }

  static void problem(RoutingContext ctx, Problem p) {
    p.send(ctx.response());
  }

  /** Runs {@code then} once {@code durable} completed; answers 503 if it failed or timed out. */
  void afterDurable(RoutingContext ctx, CompletableFuture<Void> durable, Runnable then) {
    if (durable.isDone() && !durable.isCompletedExceptionally()) {
      then.run();
      return;
    }
    Future.fromCompletionStage(durable, ctx.vertx().getOrCreateContext())
        .timeout(durableTimeoutMs, TimeUnit.MILLISECONDS)
        .onComplete(ar -> {
          if (ar.failed()) {
            problem(ctx, Problem.unavailable("the change could not be written durably to the audit log"));
            return;
          }
          try {
            then.run();
          } catch (RuntimeException e) {
            ctx.fail(e);
          }
        });
  }

  /**
   * Answers a token operation: ALLOWED runs {@code onAllowed} once durable; ENDED is 401 with the
   * reason; REFUSED is 409 {@code extension_refused} (after its refusal record is durable);
   * UNAVAILABLE is 503.
   */
  void token(RoutingContext ctx, Decision d, Consumer<Decision> onAllowed) {
    switch (d.verdict()) {
      case ALLOWED -> afterDurable(ctx, d.durable(), () -> onAllowed.accept(d));
      case ENDED, NOT_FOUND -> problem(ctx, Problem.sessionEnded(d.reason()));
      case REFUSED -> afterDurable(ctx, d.durable(), () -> problem(ctx, Problem.extensionRefused(d.detail())));
      case UNAVAILABLE -> problem(ctx, Problem.unavailable(d.detail()));
    }
  }

  /** The session token a holder presents: {@code Authorization: Bearer} first, else the session cookie. */
  record Presented(String token, boolean fromCookie) {}

  Presented sessionToken(HttpServerRequest req) {
    String auth = req.getHeader("Authorization");
    if (auth != null) {
      String a = auth.trim();
      if (a.length() > 7 && a.regionMatches(true, 0, "Bearer ", 0, 7)) {
        return new Presented(a.substring(7).trim(), false);
      }
    }
    Cookie c = req.getCookie(cookieName);
    if (c != null && !c.getValue().isEmpty()) return new Presented(c.getValue(), true);
    return null;
  }

  /** A rotated token goes back the way the old one came: in the cookie, and in the body. */
  void rotated(RoutingContext ctx, Presented p, Decision d, Map<String, Object> body) {
    if (d.token() == null) return;
    if (body != null) body.put("token", d.token());
    if (p.fromCookie()) ctx.response().addCookie(sessionCookie(d.token()));
  }

  void clearCookie(RoutingContext ctx) {
    ctx.response().addCookie(sessionCookie("").setMaxAge(0));
  }

  private Cookie sessionCookie(String value) {
    // __Host- cookies must be Secure, Path=/ and carry no Domain.
    return Cookie.cookie(cookieName, value).setPath("/").setSecure(true).setHttpOnly(true)
        .setSameSite(CookieSameSite.LAX);
  }
}

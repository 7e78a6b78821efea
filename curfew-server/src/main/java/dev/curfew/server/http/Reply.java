package dev.curfew.server.http;

import dev.curfew.core.Decision;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
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
  private static final CharSequence CONTENT_TYPE = io.vertx.core.http.HttpHeaders.CONTENT_TYPE;
  private static final CharSequence JSON_TYPE = io.vertx.core.http.HttpHeaders.createOptimized(JSON);

  private final long durableTimeoutMs;
  private final List<String> cookieNames;
  private final boolean clearSiteData;

  Reply(long durableTimeoutMs, String cookieName) {
    this(durableTimeoutMs, List.of(cookieName), false);
  }

  /**
   * @param cookieNames the session cookies looked for, in order (a gateway's routes may name several)
   * @param clearSiteData whether an ended session presented in a cookie is answered with {@code
   *     Clear-Site-Data} and an expired cookie (the gateway's same-origin endpoints)
   */
  Reply(long durableTimeoutMs, List<String> cookieNames, boolean clearSiteData) {
    if (cookieNames.isEmpty()) throw new IllegalArgumentException("no session cookie name");
    this.durableTimeoutMs = durableTimeoutMs;
    this.cookieNames = List.copyOf(cookieNames);
    this.clearSiteData = clearSiteData;
  }

  static void json(RoutingContext ctx, int status, Object body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", JSON).end(Buffer.buffer(JsonBodies.write(body)));
  }

  /** A JSON body already written (e.g. by {@link StatusJson#buffer}). */
  static void jsonBody(RoutingContext ctx, int status, Buffer body) {
    ctx.response().setStatusCode(status).putHeader(CONTENT_TYPE, JSON_TYPE).end(body);
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
   * Runs {@code then} with the store's answer: at once when it is already there (the embedded
   * store), otherwise on this request's context when it arrives. A failed answer is a defect (a
   * store answers UNAVAILABLE when it cannot be reached) and fails the request.
   */
  static <T> void when(RoutingContext ctx, CompletableFuture<T> answer, Consumer<T> then) {
    if (answer.isDone() && !answer.isCompletedExceptionally()) {
      then.accept(answer.join());
      return;
    }
    Future.fromCompletionStage(answer, ctx.vertx().getOrCreateContext()).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      try {
        then.accept(ar.result());
      } catch (RuntimeException e) {
        ctx.fail(e);
      }
    });
  }

  /** As {@link #token(RoutingContext, Presented, Decision, Consumer)}, once the store has answered. */
  void token(RoutingContext ctx, Presented p, CompletableFuture<Decision> answer, Consumer<Decision> onAllowed) {
    when(ctx, answer, d -> token(ctx, p, d, onAllowed));
  }

  /**
   * Answers a token operation: ALLOWED runs {@code onAllowed} once durable; ENDED is 401 with the
   * reason; REFUSED is 409 {@code extension_refused} (after its refusal record is durable);
   * WRONG_AUDIENCE is 403 {@code wrong_audience}; UNAVAILABLE is 503.
   */
  void token(RoutingContext ctx, Decision d, Consumer<Decision> onAllowed) {
    token(ctx, null, d, onAllowed);
  }

  /** As {@link #token(RoutingContext, Decision, Consumer)}; an ended cookie session is also told to forget. */
  void token(RoutingContext ctx, Presented p, Decision d, Consumer<Decision> onAllowed) {
    switch (d.verdict()) {
      case ALLOWED -> afterDurable(ctx, d.durable(), () -> onAllowed.accept(d));
      case ENDED, NOT_FOUND -> {
        Throttle.checked(ctx, d);
        if (clearSiteData && p != null && p.fromCookie()) forget(ctx.response(), p.cookieName());
        problem(ctx, Problem.sessionEnded(d.reason()));
      }
      case REFUSED -> afterDurable(ctx, d.durable(), () -> problem(ctx, Problem.extensionRefused(d.detail())));
      // The session lives on: no Clear-Site-Data, no expired cookie.
      case WRONG_AUDIENCE -> afterDurable(ctx, d.durable(), () -> problem(ctx, Problem.wrongAudience(d.detail())));
      case UNAVAILABLE -> problem(ctx, Problem.unavailable(d.detail()));
    }
  }

  /** The session token a holder presents: {@code Authorization: Bearer} first, else the session cookie. */
  record Presented(String token, boolean fromCookie, String cookieName) {}

  Presented sessionToken(HttpServerRequest req) {
    String auth = req.getHeader("Authorization");
    if (auth != null) {
      String a = auth.trim();
      if (a.length() > 7 && a.regionMatches(true, 0, "Bearer ", 0, 7)) {
        return new Presented(a.substring(7).trim(), false, null);
      }
    }
    for (String name : cookieNames) {
      Cookie c = req.getCookie(name);
      if (c != null && !c.getValue().isEmpty()) return new Presented(c.getValue(), true, name);
    }
    return null;
  }

  /**
   * A rotated token goes back the way the old one came: in the body to a Bearer client; only in
   * the {@code HttpOnly} cookie to a cookie client, so that no script on the page (an XSS in the
   * app) can read a session token out of an answer.
   */
  void rotated(RoutingContext ctx, Presented p, Decision d, Map<String, Object> body) {
    if (d.token() == null) return;
    if (p.fromCookie()) {
      ctx.response().headers().add("Set-Cookie", SessionCookies.header(p.cookieName(), d.token()));
    } else if (body != null) {
      body.put("token", d.token());
    }
  }

  /** After a logout with the cookie: the cookie is expired, and with Clear-Site-Data the browser forgets the rest. */
  void clearCookie(RoutingContext ctx, Presented p) {
    if (clearSiteData) {
      forget(ctx.response(), p.cookieName());
    } else {
      ctx.response().headers().add("Set-Cookie", SessionCookies.expiredHeader(p.cookieName()));
    }
  }

  private static void forget(HttpServerResponse response, String cookieName) {
    SessionCookies.forget(response, cookieName);
  }

}

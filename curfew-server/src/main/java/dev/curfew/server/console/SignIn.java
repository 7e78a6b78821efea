package dev.curfew.server.console;

import dev.curfew.core.Decision;
import dev.curfew.core.Durations;
import dev.curfew.core.Policy;
import dev.curfew.server.http.ApiKeys;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The sign-in page ({@code GET /console/login}) and its form ({@code POST /console/login}): an API
 * key in, a console session out. The form is a plain HTML form, so signing in works before any
 * script runs. A session is opened only for a key that {@link ApiKeys} knows and whose scope
 * allows the console; it is then a session like any other, audited as {@code session.created}
 * with the key's name, under {@link ConsolePolicy}.
 */
final class SignIn {
  /** Longest API key looked at (the API's own limit). */
  private static final int MAX_KEY_CHARS = 4096;

  private final ApiKeys keys;
  private final ConsoleScope.Resolver scopes;
  private final ConsoleSessions sessions;
  private final ConsoleGuard guard;
  private final ConsoleAssets assets;
  private final Duration durableTimeout;

  SignIn(ApiKeys keys, ConsoleScope.Resolver scopes, ConsoleSessions sessions, ConsoleGuard guard, ConsoleAssets assets,
      Duration durableTimeout) {
    this.keys = keys;
    this.scopes = scopes;
    this.sessions = sessions;
    this.guard = guard;
    this.assets = assets;
    this.durableTimeout = durableTimeout;
  }

  /** GET /console/login: the form, or straight on when already signed in. */
  void page(RoutingContext ctx) {
    String back = ConsoleGuard.safeReturn(ctx.request().getParam("return"));
    guard.authenticate(ctx, false).onSuccess(o -> {
      if (o.operator() != null) {
        ctx.response().setStatusCode(303).putHeader("Location", back).end();
        return;
      }
      if (o.cookiePresented()) ctx.response().headers().add("Set-Cookie", ConsoleGuard.expiredCookie());
      o.whenRecorded(ctx, () -> render(ctx, 200, back, null));
    });
  }

  /** POST /console/login: form fields {@code api_key} and {@code return}. */
  void submit(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String back = ConsoleGuard.safeReturn(req.getFormAttribute("return"));
    if (!ConsoleGuard.fromThisOrigin(req)) {
      render(ctx, 403, back, "This sign-in did not come from the console's own sign-in page. Open /console/login and try again.");
      return;
    }
    String key = req.getFormAttribute("api_key");
    if (key == null || key.isBlank()) {
      render(ctx, 400, back, "Enter an API key.");
      return;
    }
    Optional<String> name = key.length() > MAX_KEY_CHARS ? Optional.empty() : keys.verify("Bearer " + key.strip());
    if (name.isEmpty()) {
      dev.curfew.server.http.Throttle.failedCheck(ctx);
      render(ctx, 401, back, "That API key is not valid here. Check that you copied all of it.");
      return;
    }
    Optional<ConsoleScope> scope = scopes.scopeOf(name.get());
    if (scope.isEmpty()) {
      render(ctx, 403, back, "The API key \"" + name.get() + "\" may not use the console: it needs the scope admin or auditor.");
      return;
    }
    io.vertx.core.Context context = ctx.vertx().getOrCreateContext();
    Future.fromCompletionStage(sessions.open(name.get(), scope.get()), context).onComplete(opened -> {
      Decision d = opened.succeeded() ? opened.result() : Decision.unavailable("the session store cannot be reached");
      if (!d.allowed()) {
        render(ctx, 503, back, "The console cannot open a session now: " + d.detail() + ".");
        return;
      }
      Future.fromCompletionStage(d.durable(), context)
          .timeout(durableTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .onComplete(ar -> {
            if (ar.failed()) {
              render(ctx, 503, back, "The console cannot open a session now: the audit log could not record it.");
              return;
            }
            ctx.response().setStatusCode(303)
                .putHeader("Set-Cookie", ConsoleGuard.cookie(d.token()))
                .putHeader("Location", back)
                .end();
          });
    });
  }

  private void render(RoutingContext ctx, int status, String back, String error) {
    Policy p = sessions.policy().orElse(ConsolePolicy.builtIn());
    String terms = "Your console session follows the policy " + p.name() + " v" + p.version() + ": it ends after "
        + words(p.idleTimeout()) + " without activity and after " + words(p.absoluteTimeout())
        + " at most, with a warning " + words(p.warnBefore()) + " before the end.";
    assets.page(ctx, status, "login.html", Map.of(
        "return", back,
        "error", error == null ? "" : error,
        "error_hidden", error == null ? "hidden" : "",
        "terms", terms,
        "insecure_hidden", insecureOrigin(ctx.request()) ? "" : "hidden"));
  }

  /**
   * Whether the browser will likely refuse the console cookie: {@code Secure} cookies are kept
   * over https, and over plain http only from localhost.
   */
  static boolean insecureOrigin(HttpServerRequest req) {
    String proto = req.getHeader("X-Forwarded-Proto");
    if ("https".equalsIgnoreCase(req.scheme()) || "https".equalsIgnoreCase(proto)) return false;
    String host = req.getHeader("Host");
    if (host == null) return false;
    String h = host.toLowerCase(java.util.Locale.ROOT);
    h = h.startsWith("[") ? h.substring(0, h.indexOf(']') + 1) : h.split(":", 2)[0];
    return !(List.of("localhost", "127.0.0.1", "[::1]").contains(h) || h.endsWith(".localhost"));
  }

  /** {@code 15m} as "15 minutes", {@code 8h} as "8 hours". */
  static String words(Duration d) {
    long s = d.toSeconds();
    if (s % 3600 == 0 && s >= 3600) return plural(s / 3600, "hour");
    if (s % 60 == 0 && s >= 60) return plural(s / 60, "minute");
    if (d.toMillis() % 1000 == 0) return plural(s, "second");
    return Durations.format(d);
  }

  private static String plural(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s");
  }
}

package dev.curfew.server.console;

import dev.curfew.core.Clock;
import dev.curfew.core.SessionStore;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiRoutes;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.Problem;
import dev.curfew.server.http.SessionChanges;
import dev.curfew.server.metrics.CurfewMetrics;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The admin console (docs/console.md), mounted on the API with {@code api.extend(console::mount)}.
 *
 * <pre>
 * GET  /console/login                     sign-in page; POST: the form (api_key, return)
 * GET  /console, /console/sessions, /console/sessions/{id}, /console/audit, /console/policies
 *                                         the page (signed in), else a redirect to the sign-in page
 * GET  /console/static/...                styles and scripts; /console/curfew.js the browser client
 * /console/session[/activity|/extend|/warning-ack|/events]
 *                                         the console session's own holder endpoints (cookie), for curfew.js
 * /console/api/...                        JSON, signed in: see {@link #mount}
 * </pre>
 */
public final class Console implements AutoCloseable {
  private static final Duration DURABLE_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration HEARTBEAT = Duration.ofSeconds(15);
  private static final String SECURITY_HEADERS = "curfew.console.headers";

  private final Vertx vertx;
  private final EventHub hub;
  private final ConsoleSessions sessions;
  private final ConsoleGuard guard;
  private final ConsoleAssets assets;
  private final SignIn signIn;
  private final ConsoleApi api;
  private final LogVerification verification;
  private final MetricsWindow metrics;
  private final long samplerTimer;

  /**
   * @param store the store of every session, the console's own too (its policies must include
   *     {@link ConsolePolicy}): the embedded one or Redis
   * @param clock the clock of the times the console shows and its metrics window
   * @param keys the API keys an operator may sign in with
   * @param scopes what each key may do in the console
   * @param audit the audit trail the console shows and verifies
   * @param metrics the meters the engine and the store report to
   */
  public Console(Vertx vertx, SessionStore store, Clock clock, EventHub hub, ApiKeys keys,
      ConsoleScope.Resolver scopes, AuditView audit, CurfewMetrics metrics) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.hub = Objects.requireNonNull(hub, "hub");
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(scopes, "scopes");
    Objects.requireNonNull(audit, "audit");
    Objects.requireNonNull(clock, "clock");
    if (store.policies().current(ConsolePolicy.NAME).isEmpty()) {
      throw new IllegalArgumentException("the store has no policy " + ConsolePolicy.NAME
          + ": build its policies with ConsolePolicy.withConsole(...)");
    }
    this.sessions = new ConsoleSessions(store, hub);
    this.guard = new ConsoleGuard(sessions, scopes);
    this.assets = new ConsoleAssets();
    this.signIn = new SignIn(keys, scopes, sessions, guard, assets, DURABLE_TIMEOUT);
    this.verification = new LogVerification(audit, clock);
    this.metrics = new MetricsWindow(metrics.registry(), clock);
    this.api = new ConsoleApi(sessions, guard, audit, verification, this.metrics, clock);
    this.metrics.sample();
    this.samplerTimer = vertx.setPeriodic(1000, id -> this.metrics.sample());
  }

  /** Adds the console's routes to one of the API's routers. */
  public void mount(ApiRoutes r) {
    r.router().routeWithRegex("^/console(/.*)?$").handler(Console::securityHeaders);

    r.route("/console/login", null, signIn::page, HttpMethod.GET);
    // A wrong key counts as a failed check of the address, as on the API (rate limits).
    r.route("/console/login", r.throttle().addressFailures(), signIn::submit, HttpMethod.POST);
    Handler<RoutingContext> shell = ctx -> assets.page(ctx, 200, "index.html", Map.of());
    // "/console" also answers "/console/": a route's trailing slash is optional in Vert.x Web.
    for (String page : new String[] {"/console", "/console/sessions", "/console/sessions/:session_id",
        "/console/audit", "/console/policies"}) {
      r.route(page, guard::page, shell, HttpMethod.GET);
    }
    r.route("/console/static/*", null, ctx -> assets.serveStatic(ctx, ctx.pathParam("*")), HttpMethod.GET);
    r.route("/console/curfew.js", null, assets::serveClient, HttpMethod.GET);

    // The console session's own endpoints, for curfew.js: changes only from this origin.
    r.route("/console/session*", guard::holder, RoutingContext::next);
    sessions.holderRoutes(ConsoleGuard.COOKIE, DURABLE_TIMEOUT, HEARTBEAT).mount(r.router(), "/console/session",
        r.throttle());

    Handler<RoutingContext> anyone = guard.api(ConsoleScope.AUDITOR);
    Handler<RoutingContext> admin = guard.api(ConsoleScope.ADMIN);
    r.route("/console/api/me", anyone, answer(api::me), HttpMethod.GET);
    r.route("/console/api/sessions", anyone, answer(api::sessions), HttpMethod.GET);
    // Every session's changes, pushed: the live list follows them without polling.
    r.route("/console/api/events", guard.api(ConsoleScope.AUDITOR, true),
        SessionChanges.handler(hub, ctx -> ConsoleGuard.operator(ctx).session().sessionId(), HEARTBEAT.toMillis()),
        HttpMethod.GET);
    r.route("/console/api/sessions/:session_id", anyone, r.session(), HttpMethod.GET);
    r.route("/console/api/sessions/:session_id", admin, r.revokeSession(), HttpMethod.DELETE);
    r.route("/console/api/sessions/:session_id/records", anyone, r.recordedRead("session_records", answer(api::records)),
        HttpMethod.GET);
    r.route("/console/api/subjects/:subject/revoke", admin, r.revokeSubject(), HttpMethod.POST);
    r.route("/console/api/subjects/:subject/sessions", anyone, answer(api::subjectSessions), HttpMethod.GET);
    r.route("/console/api/evidence", anyone, download(r.evidence(), "evidence"), HttpMethod.GET);
    r.route("/console/api/audit", anyone, answer(api::auditStatus), HttpMethod.GET);
    r.route("/console/api/audit/verify", anyone, r.recordedRead("verification", answer(api::verify)), HttpMethod.POST);
    r.route("/console/api/audit/records", anyone, r.auditQuery(), HttpMethod.GET);
    r.route("/console/api/audit/export", anyone, csv(r.auditCsv()), HttpMethod.GET);
    r.route("/console/api/audit/checkpoint", anyone, download(r.checkpoint(), "checkpoint"), HttpMethod.GET);
    r.route("/console/api/audit/public-key", anyone, answer(api::publicKey), HttpMethod.GET);
    r.route("/console/api/metrics", anyone, answer(api::metrics), HttpMethod.GET);
    r.route("/console/api/presets", anyone, answer(api::presets), HttpMethod.GET);
    r.route("/console/api/policies", anyone, r.policies(), HttpMethod.GET);
    r.route("/console/api/policies/check", anyone, r.checkPolicy(), HttpMethod.POST);
    r.route("/console/api/policies/explain", anyone, r.explainPolicy(), HttpMethod.POST);
    r.route("/console/api/policies/:name", anyone, r.policy(), HttpMethod.GET);
    r.route("/console/api/policies/:name", admin, r.putPolicy(), HttpMethod.PUT);

    // Last: any other page path a browser navigates to gets the page shell with a 404, so that
    // the console shows its own "Not found" page; API, static and session paths, and requests
    // that are not a page navigation, keep the problem answer.
    r.router().routeWithRegex(HttpMethod.GET, UNKNOWN_PAGE)
        .handler(ctx -> { if (isNavigation(ctx.request())) ctx.next(); else ctx.fail(404); })
        .handler(guard::page)
        .handler(ctx -> assets.page(ctx, 404, "index.html", Map.of()));
  }

  /** A path under /console that no page route took, outside the API, static files and the session endpoints. */
  static final String UNKNOWN_PAGE = "^/console/(?!(api|static|session|login)(/|$)|curfew\\.js$).+$";

  /** A browser's page navigation: Sec-Fetch-Mode says so, or, without it (an older browser), Accept asks for HTML. */
  static boolean isNavigation(io.vertx.core.http.HttpServerRequest req) {
    String mode = req.getHeader("Sec-Fetch-Mode");
    if (mode != null) return mode.equals("navigate");
    String accept = req.getHeader("Accept");
    return accept != null && accept.contains("text/html");
  }

  /** A console handler whose bad input is a 400 problem naming it. */
  private static Handler<RoutingContext> answer(Handler<RoutingContext> h) {
    return ctx -> {
      try {
        h.handle(ctx);
      } catch (ConsoleApi.BadRequest e) {
        Problem.badRequest(e.getMessage()).send(ctx.response());
      }
    };
  }

  /** An API handler whose answer the browser saves as a file ({@code ?download=1}) instead of showing it. */
  private static Handler<RoutingContext> download(Handler<RoutingContext> h, String what) {
    return ctx -> {
      if ("1".equals(ctx.request().getParam("download"))) {
        String id = ctx.request().getParam("session_id");
        String name = id != null && id.matches("[A-Za-z0-9_-]{1,64}") ? what + "-" + id + ".json"
            : what.equals("checkpoint") ? "curfew-checkpoint.txt" : what + ".json";
        ctx.response().putHeader("Content-Disposition", "attachment; filename=\"" + name + "\"");
      }
      h.handle(ctx);
    };
  }

  /** The CSV export, saved as a file named after what it holds. */
  private static Handler<RoutingContext> csv(Handler<RoutingContext> h) {
    return ctx -> {
      ctx.response().putHeader("Content-Disposition", "attachment; filename=\"curfew-audit.csv\"");
      h.handle(ctx);
    };
  }

  /** Every console answer stays out of frames and sends no referrer to other sites. */
  private static void securityHeaders(RoutingContext ctx) {
    if (ctx.get(SECURITY_HEADERS) == null) {
      ctx.put(SECURITY_HEADERS, Boolean.TRUE);
      ctx.response().putHeader("X-Frame-Options", "DENY")
          .putHeader("Referrer-Policy", "same-origin") // not no-referrer: a form POST would then carry "Origin: null"
          .putHeader("Cross-Origin-Opener-Policy", "same-origin")
          .putHeader("Cross-Origin-Resource-Policy", "same-origin");
    }
    ctx.next();
  }

  /** Waits for a running verification to finish (tests). */
  void awaitVerification(long timeoutMs) throws InterruptedException {
    verification.awaitIdle(timeoutMs);
  }

  @Override
  public void close() {
    vertx.cancelTimer(samplerTimer);
    verification.close();
  }
}

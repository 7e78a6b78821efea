package dev.curfew.server.gateway;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SessionStatus;
import dev.curfew.server.http.ConnectionDeadlines;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.HolderRoutes;
import dev.curfew.server.http.IdentityHeaders;
import dev.curfew.server.http.Problem;
import dev.curfew.server.http.SessionCookies;
import dev.curfew.server.http.Throttle;
import dev.curfew.server.security.ClientAddresses;
import dev.curfew.server.security.RateLimits;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import io.vertx.httpproxy.Body;
import io.vertx.httpproxy.HttpProxy;
import io.vertx.httpproxy.ProxyContext;
import io.vertx.httpproxy.ProxyInterceptor;
import io.vertx.httpproxy.ProxyOptions;
import io.vertx.httpproxy.ProxyResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What the gateway does with one request, on one event loop. In order:
 * <ol>
 *   <li>the route: the longest path prefix that matches;
 *   <li>the check: the route's login path passes without a session; everything else needs a valid
 *       session cookie, checked (and touched, unless the path is passive) at this instant. An ended
 *       session gets a 303 to the login path with a same-origin return URL (page navigations) or a
 *       401 problem with the reason (everything else), with {@code Clear-Site-Data} and an expired
 *       cookie when a cookie was sent;
 *   <li>the forward (vertx-http-proxy, bodies streamed both ways): the session cookie, every
 *       client-sent {@code X-Curfew-*} and {@code Curfew-Login} header removed; the verified
 *       identity added as {@code X-Curfew-Subject}, {@code -Session-Id}, {@code -Expires-At};
 *   <li>the answer: {@code Cache-Control: no-store}; the upstream's {@code Curfew-Login} removed,
 *       and honoured on a route with {@code login_handoff} (a session opened, its cookie set);
 *       upstream failures as 502, timeouts as 504 problems.
 * </ol>
 * The exchange stays registered with {@link LiveConnections} while in flight, so that the end of
 * its session cuts it.
 */
final class SessionGate implements ProxyInterceptor {
  private static final System.Logger LOG = System.getLogger(SessionGate.class.getName());
  static final String LOGIN_HEADER = "Curfew-Login";
  private static final String ADMITTED = "curfew.admitted";
  private static final String CLIENT_REQUEST = "curfew.clientRequest";
  private static final String GENERATED = "curfew.generated";
  private static final String EXCHANGE = "curfew.exchange";

  private final SessionStore engine;
  private final EventHub hub;
  private final LiveConnections live;
  private final ConnectionDeadlines deadlines;
  private final List<GatewayRoute> routes;
  private final Set<String> cookieNames = new LinkedHashSet<>();
  private final Map<GatewayRoute.Web, HttpProxy> proxies = new HashMap<>();
  private final long upstreamTimeoutMs;
  private final long durableTimeoutMs;
  private final RateLimits rateLimits;
  private final ForwardedHeaders forwarded;
  /** The relay of {@code kind: mcp} routes (bearer token, JSON-RPC): none of the cookie logic below applies there. */
  private final dev.curfew.gateway.mcp.McpGateway mcp;
  /** Handed from {@link #handle} to {@link #handleProxyRequest}, which the proxy calls synchronously. */
  private Admitted current;
  private LiveConnections.Exchange currentExchange;

  /** A request let through: its route, and the session it belongs to (null on a login path). */
  private record Admitted(HttpServerRequest request, GatewayRoute.Web route, SessionStatus status, String newToken,
      String presentedToken) {}

  SessionGate(SessionStore engine, EventHub hub, LiveConnections live, List<GatewayRoute> routes, HttpClient client,
      Gateway.Settings settings, ConnectionDeadlines deadlines, dev.curfew.gateway.mcp.McpGateway mcp) {
    this.mcp = mcp;
    this.engine = engine;
    this.hub = hub;
    this.live = live;
    this.deadlines = deadlines;
    this.routes = routes;
    this.upstreamTimeoutMs = settings.upstreamTimeout().toMillis();
    this.durableTimeoutMs = settings.durableTimeout().toMillis();
    this.rateLimits = settings.rateLimits();
    this.forwarded = new ForwardedHeaders(ClientAddresses.trusting(settings.trustedProxies()));
    for (GatewayRoute route : routes) {
      if (!(route instanceof GatewayRoute.Web r)) continue; // MCP routes go to the MCP gateway
      cookieNames.add(r.cookie());
      RequestOptions origin = new RequestOptions().setHost(r.upstreamHost()).setPort(r.upstreamPort())
          .setSsl(r.upstreamTls());
      HttpProxy proxy = HttpProxy.reverseProxy(new ProxyOptions().setSupportWebSocket(true), client)
          .origin(pc -> client.request(origin).onSuccess(req -> pc.set(CLIENT_REQUEST, req)))
          .addInterceptor(this, true);
      proxies.put(r, proxy);
    }
  }

  // ---------------------------------------------------------------- the check

  void handle(RoutingContext ctx) {
    HttpServerRequest req = ctx.request();
    String path = req.path();
    // Exceptions (login, passive) apply only to paths without dot segments or other non-normal forms,
    // so that "/login/../admin" cannot pass as the login path.
    boolean normal = path != null && path.equals(ctx.normalizedPath());
    GatewayRoute matched = GatewayRoute.match(routes, normal ? path : ctx.normalizedPath());
    if (matched == null) {
      Problem.of(404, "no-route", "Not found", "no gateway route serves this path").send(noStore(req.response()));
      return;
    }
    dev.curfew.server.tracing.HttpSpans.route(ctx, matched.path());
    if (matched instanceof GatewayRoute.Mcp m) {
      mcp.handle(req, m.route(), () -> Throttle.failedCheck(ctx));
      return;
    }
    GatewayRoute.Web route = (GatewayRoute.Web) matched;
    if (normal && route.isLoginPath(path)) {
      forward(req, new Admitted(req, route, null, null, cookie(req, route)));
      return;
    }
    String token = cookie(req, route);
    if (token == null) {
      refuse(ctx, route, EndReason.UNKNOWN, false);
      return;
    }
    boolean touch = !(normal && route.isPassive(path));
    // The route's own place: a session opened for another route, an app or the console does not pass.
    CompletableFuture<Decision> answer = engine.check(token, touch, route.audience());
    if (answer.isDone() && !answer.isCompletedExceptionally()) {
      decided(ctx, route, token, touch, answer.join());
      return;
    }
    // A store across the network: hold the request body until the answer arrives.
    req.pause();
    Future.fromCompletionStage(answer, ctx.vertx().getOrCreateContext()).onComplete(ar -> {
      req.resume();
      if (ar.succeeded()) {
        decided(ctx, route, token, touch, ar.result());
      } else {
        Problem.unavailable("the session store did not answer").send(noStore(req.response()));
      }
    });
  }

  /** The store's answer to a gateway request: forward it once durable, or refuse it. */
  private void decided(RoutingContext ctx, GatewayRoute.Web route, String token, boolean touch, Decision d) {
    HttpServerRequest req = ctx.request();
    switch (d.verdict()) {
      case ALLOWED -> {
        if (touch) HolderRoutes.announce(hub, d.status());
        Admitted a = new Admitted(req, route, d.status(), d.token(), token);
        if (d.durable().isDone() && !d.durable().isCompletedExceptionally()) {
          forward(req, a);
          return;
        }
        req.pause();
        Future.fromCompletionStage(d.durable(), ctx.vertx().getOrCreateContext())
            .timeout(durableTimeoutMs, TimeUnit.MILLISECONDS)
            .onComplete(ar -> {
              req.resume();
              if (ar.succeeded()) {
                forward(req, a);
              } else {
                Problem.unavailable("the change could not be written durably to the audit log").send(noStore(req.response()));
              }
            });
      }
      case ENDED, NOT_FOUND -> {
        if (d.reason() == EndReason.UNKNOWN) Throttle.failedCheck(ctx);
        refuse(ctx, route, d.reason(), true);
      }
      // The session lives on elsewhere: its cookie is kept, nothing is cleared, no redirect to log in again.
      case WRONG_AUDIENCE -> Problem.wrongAudience(d.detail()).send(noStore(req.response()));
      case REFUSED, UNAVAILABLE -> Problem.unavailable(d.detail()).send(noStore(req.response()));
    }
  }

  private String cookie(HttpServerRequest req, GatewayRoute.Web route) {
    Cookie c = req.getCookie(route.cookie());
    return c == null || c.getValue().isEmpty() ? null : c.getValue();
  }

  /** Page navigations go to the login path; everything else gets the 401 problem. */
  private void refuse(RoutingContext ctx, GatewayRoute.Web route, EndReason reason, boolean cookieSent) {
    HttpServerResponse resp = noStore(ctx.request().response());
    if (cookieSent) SessionCookies.forget(resp, route.cookie());
    if (route.loginPath() != null && isNavigation(ctx.request())) {
      resp.setStatusCode(303).putHeader("Location", loginLocation(route.loginPath(), ctx.request().uri())).end();
      return;
    }
    Problem.sessionEnded(reason).send(resp);
  }

  /**
   * A page navigation. A browser that sends Fetch Metadata says so itself: {@code Sec-Fetch-Mode:
   * navigate}, a form's POST included (the 303 then loads the login page with a GET), and any other
   * mode (a script's {@code fetch} asking for HTML, an image) is not one. Without the header (an
   * older browser, a tool): a GET or HEAD whose Accept names HTML.
   */
  static boolean isNavigation(HttpServerRequest req) {
    String mode = req.getHeader("Sec-Fetch-Mode");
    if (mode != null) return "navigate".equalsIgnoreCase(mode.trim());
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) return false;
    String accept = req.getHeader("Accept");
    return accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("text/html");
  }

  /** {@code loginPath?return=<path and query>}, where only a same-origin path is ever a return target. */
  static String loginLocation(String loginPath, String requestUri) {
    String target = requestUri != null && requestUri.startsWith("/") && !requestUri.startsWith("//")
        && !requestUri.startsWith("/\\") ? requestUri : "/";
    return loginPath + (loginPath.contains("?") ? "&" : "?") + "return="
        + URLEncoder.encode(target, StandardCharsets.UTF_8);
  }

  private void forward(HttpServerRequest req, Admitted a) {
    LiveConnections.Exchange exchange = null;
    if (a.status() != null) {
      boolean ws = req.canUpgradeToWebSocket();
      exchange = live.track(a.status().sessionId(), req, io.vertx.core.Vertx.currentContext(), ws, deadlines);
    }
    current = a;
    currentExchange = exchange;
    try {
      proxies.get(a.route()).handle(req);
    } finally {
      current = null;
      currentExchange = null;
    }
  }

  // ---------------------------------------------------------------- the forward

  @Override
  public Future<ProxyResponse> handleProxyRequest(ProxyContext pc) {
    Admitted a = current;
    LiveConnections.Exchange exchange = currentExchange;
    current = null;
    currentExchange = null;
    if (a == null || a.request() != pc.request().proxiedRequest()) {
      // Never forward a request that did not pass the check above.
      LOG.log(System.Logger.Level.ERROR, "a proxied request arrived without its check; refused");
      return Future.succeededFuture(generated(pc, Problem.forStatus(500)));
    }
    pc.set(ADMITTED, a);
    if (exchange != null) pc.set(EXCHANGE, exchange);
    MultiMap h = pc.request().headers();
    IdentityHeaders.removeClientSent(h);
    h.remove(LOGIN_HEADER);
    stripSessionCookies(h);
    forwarded.apply(h, pc.request().proxiedRequest());
    if (a.status() != null) IdentityHeaders.put(h, a.status());
    return pc.sendRequest()
        .timeout(upstreamTimeoutMs, TimeUnit.MILLISECONDS)
        .recover(e -> Future.succeededFuture(upstreamFailed(pc, e)));
  }

  private ProxyResponse upstreamFailed(ProxyContext pc, Throwable e) {
    HttpClientRequest sent = pc.get(CLIENT_REQUEST, HttpClientRequest.class);
    if (sent != null) sent.reset();
    boolean timeout = e instanceof java.util.concurrent.TimeoutException
        || e.getClass().getSimpleName().contains("Timeout");
    Problem p = timeout
        ? Problem.of(504, "upstream-timeout", "Gateway timeout", "the upstream did not answer in time")
        : Problem.of(502, "upstream-unavailable", "Bad gateway", "the upstream could not be reached");
    return generated(pc, p);
  }

  /** Removes the gateway's session cookies from the Cookie header(s), keeping every other cookie. */
  void stripSessionCookies(MultiMap h) {
    List<String> values = h.getAll("Cookie");
    if (values.isEmpty()) return;
    List<String> kept = new ArrayList<>();
    for (String v : values) {
      for (String pair : v.split(";")) {
        String p = pair.trim();
        if (p.isEmpty()) continue;
        int eq = p.indexOf('=');
        String name = (eq < 0 ? p : p.substring(0, eq)).trim();
        if (!cookieNames.contains(name)) kept.add(p);
      }
    }
    h.remove("Cookie");
    if (!kept.isEmpty()) h.set("Cookie", String.join("; ", kept));
  }

  // ---------------------------------------------------------------- the answer

  @Override
  public Future<Void> handleProxyResponse(ProxyContext pc) {
    ProxyResponse resp = pc.response();
    Admitted a = pc.get(ADMITTED, Admitted.class);
    if (a == null || Boolean.TRUE.equals(pc.get(GENERATED, Boolean.class))) return pc.sendResponse();
    String login = resp.headers().get(LOGIN_HEADER);
    resp.headers().remove(LOGIN_HEADER);
    resp.headers().set("Cache-Control", "no-store");
    if (login != null && a.route().loginHandoff() && !pc.isWebSocket()) return handoff(pc, a, login);
    if (login != null) {
      LOG.log(System.Logger.Level.WARNING, "the upstream of " + a.route().path() + " sent Curfew-Login on a route"
          + " without login_handoff; removed and ignored");
    }
    keepRotatedToken(pc, a);
    if (pc.isWebSocket()) return sendLongLived(pc, a);
    if (a.status() != null && resp.headers().get("Content-Length") == null) return sendLongLived(pc, a);
    return pc.sendResponse();
  }

  /** The token this request's check rotated to goes back in the cookie, whatever the answer is. */
  private static void keepRotatedToken(ProxyContext pc, Admitted a) {
    if (a.newToken() != null) {
      pc.response().headers().add("Set-Cookie", SessionCookies.header(a.route().cookie(), a.newToken()));
    }
  }

  /**
   * A WebSocket or a streamed body may outlive the check: the session is checked again (passively)
   * now that the exchange is registered, so that an ending published in between is not missed.
   */
  private Future<Void> sendLongLived(ProxyContext pc, Admitted a) {
    if (a.status() == null) return pc.sendResponse();
    String token = a.newToken() != null ? a.newToken() : a.presentedToken();
    return Future.fromCompletionStage(engine.check(token, false, a.route().audience()),
        io.vertx.core.Vertx.currentContext()).compose(d -> {
      if (!d.allowed()) {
        pc.response().release();
        pc.request().proxiedRequest().connection().close();
        return Future.succeededFuture();
      }
      return pc.sendResponse();
    });
  }

  /**
   * {@code Curfew-Login: subject=<id>[; policy=<name>]} from the upstream: open the session, set its
   * cookie. On the login path or on any other path of the route (an app that switches the signed-in
   * user, or signs in again, from a page of its own): a new login replaces the session the request
   * came with, which is logged out first; this exchange is no longer one of that session's, so its
   * ending does not cut the answer that carries the new cookie.
   */
  private Future<Void> handoff(ProxyContext pc, Admitted a, String header) {
    LoginHandoff login = LoginHandoff.parse(header);
    String policy = login == null ? null : login.policy() != null ? login.policy() : a.route().policy();
    if (login == null || (policy != null && engine.policies().current(policy).isEmpty())) {
      LOG.log(System.Logger.Level.WARNING, "upstream of " + a.route().path() + " sent a malformed Curfew-Login header");
      replace(pc, Problem.of(502, "bad-login-handoff", "Bad gateway",
          "the upstream's Curfew-Login header names no valid subject or an unknown policy"));
      keepRotatedToken(pc, a);
      return pc.sendResponse();
    }
    io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
    return Future.fromCompletionStage(rateLimits.open(null, login.subject()), context).compose(limited -> {
      if (limited == null) return handoffAdmitted(pc, a, login, policy, context);
      replace(pc, Problem.tooManyRequests(limited.detail()), Map.of("limit", limited.limit()));
      pc.response().putHeader("Retry-After", Long.toString(limited.retryAfterSeconds()));
      keepRotatedToken(pc, a);
      return pc.sendResponse();
    });
  }

  /** A login handoff within the rate limits: the old session logged out, the new one opened. */
  private Future<Void> handoffAdmitted(ProxyContext pc, Admitted a, LoginHandoff login, String policy,
      io.vertx.core.Context context) {
    LiveConnections.Exchange exchange = pc.get(EXCHANGE, LiveConnections.Exchange.class);
    if (exchange != null) exchange.done();
    // The newest token of the old session: if this very request rotated it, the presented one is
    // only the previous token, which after its grace would be a replay rather than a logout.
    String oldToken = a.newToken() != null ? a.newToken() : a.presentedToken();
    CompletableFuture<Decision> replaced = oldToken == null ? CompletableFuture.completedFuture(null)
        : engine.logout(oldToken);
    return Future.fromCompletionStage(replaced, context).transform(ignored -> {
      CompletableFuture<Decision> opened;
      try {
        // Opened by this route, for this route only: its actor and audience are Curfew's own fields.
        opened = engine.open(login.subject(), policy, login.attributes(a.route().path()),
            a.route().audience(), "gateway:" + a.route().path());
      } catch (IllegalArgumentException e) {
        replace(pc, Problem.of(502, "bad-login-handoff", "Bad gateway", "the upstream's login handoff was refused: "
            + e.getMessage()));
        return pc.sendResponse();
      }
      return Future.fromCompletionStage(opened, context).compose(d -> opened(pc, a, d, context));
    });
  }

  private Future<Void> opened(ProxyContext pc, Admitted a, Decision d, io.vertx.core.Context context) {
    if (d.verdict() == Decision.Verdict.REFUSED) {
      // The subject holds as many sessions as its policy allows (refuse_new): no cookie, a 409 once
      // the refusal's record is durable.
      return Future.fromCompletionStage(d.durable(), context)
          .timeout(durableTimeoutMs, TimeUnit.MILLISECONDS)
          .transform(ar -> {
            replace(pc, ar.succeeded() ? Problem.concurrencyLimit(d.detail())
                : Problem.unavailable("the refusal could not be written durably to the audit log"));
            return pc.sendResponse();
          });
    }
    if (!d.allowed()) {
      replace(pc, Problem.unavailable(d.detail()));
      return pc.sendResponse();
    }
    return Future.fromCompletionStage(d.durable(), context)
        .timeout(durableTimeoutMs, TimeUnit.MILLISECONDS)
        .transform(ar -> {
          if (!ar.succeeded()) {
            replace(pc, Problem.unavailable("the new session could not be written durably to the audit log"));
            return pc.sendResponse();
          }
          pc.response().headers().add("Set-Cookie", SessionCookies.header(a.route().cookie(), d.token()));
          // A session whose cookie never reached the browser would be live and unusable: end it.
          return pc.sendResponse().onFailure(e -> engine.logout(d.token()));
        });
  }

  // ---------------------------------------------------------------- generated answers

  private ProxyResponse generated(ProxyContext pc, Problem p) {
    pc.set(GENERATED, Boolean.TRUE);
    ProxyResponse r = pc.request().release().response();
    fill(r, p);
    return r;
  }

  private static void replace(ProxyContext pc, Problem p) {
    replace(pc, p, Map.of());
  }

  private static void replace(ProxyContext pc, Problem p, Map<String, Object> extensions) {
    pc.set(GENERATED, Boolean.TRUE);
    fill(pc.response().release(), p, extensions);
  }

  private static void fill(ProxyResponse r, Problem p) {
    fill(r, p, Map.of());
  }

  private static void fill(ProxyResponse r, Problem p, Map<String, Object> extensions) {
    Buffer body = Buffer.buffer(io.vertx.core.json.Json.encode(p.toMap(extensions)));
    r.headers().clear();
    r.setStatusCode(p.status())
        .setStatusMessage(HttpResponseStatus.valueOf(p.status()).reasonPhrase())
        .putHeader("Content-Type", Problem.CONTENT_TYPE)
        .putHeader("Cache-Control", "no-store")
        .setBody(Body.body(body, io.vertx.httpproxy.MediaType.parse(Problem.CONTENT_TYPE)));
  }

  private static HttpServerResponse noStore(HttpServerResponse r) {
    return r.putHeader("Cache-Control", "no-store");
  }
}

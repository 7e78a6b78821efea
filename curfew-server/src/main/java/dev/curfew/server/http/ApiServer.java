package dev.curfew.server.http;


import dev.curfew.core.AuditLogReader;
import dev.curfew.core.AuditProofs;
import dev.curfew.core.SessionStore;
import dev.curfew.core.StoreUnavailable;
import dev.curfew.gateway.net.ServerInstances;
import dev.curfew.server.http.JsonBodies.BadInput;
import dev.curfew.server.metrics.CurfewMetrics;
import dev.curfew.server.security.RateLimits;
import dev.curfew.server.security.SecurityHeaders;
import dev.curfew.server.security.Tls;
import dev.curfew.server.tracing.HttpSpans;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The HTTP API of spec/http-api.md (v1), on Vert.x, over any {@link SessionStore}. Construct the
 * pieces in this order, since the store needs the event hub and the metrics at its own construction:
 * <pre>{@code
 * var metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
 * var hub = new EventHub(vertx);
 * SessionStore sessions = embeddedStore.serve(policies, sink, hub, metrics, maxLive, retention, grace).sessions();
 * var api = new ApiServer(vertx, sessions, hub, apiKeys, auditLogReader, metrics, ApiServer.Settings.defaults());
 * int port = api.listen("0.0.0.0", 8080).await();
 * }</pre>
 *
 * <p>Every response carries {@code Cache-Control: no-store}; every error is an RFC 9457 problem.
 * Changes are acknowledged only after their audit records are durable. The policy endpoints are
 * not served here. The audit proofs ({@code /v1/audit/checkpoint}, {@code /v1/audit/evidence}) are served by
 * {@link AuditProofRoutes} when an {@link AuditProofs} is given.
 */
public final class ApiServer {
  private static final System.Logger LOG = System.getLogger(ApiServer.class.getName());
  private static final String ROUTE = "curfew.route";
  private static final String BODY_READ = "curfew.bodyRead";

  private final Vertx vertx;
  private final SessionStore store;
  private final EventHub hub;
  private final ApiAccess access;
  private final Throttle throttle;
  private final CurfewMetrics metrics;
  private final Settings settings;
  private final HolderRoutes holder;
  private final BackendRoutes backend;
  private final PolicyRoutes policies;
  private final AuditQuery audit;
  private final AuditProofRoutes auditProofs;
  private final AuditReads auditReads;
  private final ServerInstances instances;
  /** Route template → its methods, for the Allow header of a 405. */
  private volatile Readiness readiness;
  private final Map<String, String> allowedMethods = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * What the API may be configured with.
   *
   * @param cookieName the session cookie (default {@code __Host-curfew})
   * @param metricsRequireApiKey whether {@code /metrics} needs an API key (default no)
   * @param maxBodyBytes largest request body; larger ones get 413 (default 64 KiB)
   * @param heartbeat interval of SSE comment heartbeats (default 15 s)
   * @param durableTimeout longest wait for an audit record to be durable before answering 503 (default 10 s)
   * @param instances HTTP server instances (event loops) sharing the port (default: the processor count)
   * @param rateLimits the limits on opens, extensions and failed checks (default: none; {@code curfew
   *     serve} gives the configured ones, shared with the gateway)
   * @param tls the certificate and key to serve HTTPS with (default null: plain HTTP)
   */
  public record Settings(String cookieName, boolean metricsRequireApiKey, int maxBodyBytes, Duration heartbeat,
      Duration durableTimeout, int instances, RateLimits rateLimits, Tls tls) {
    public static final String DEFAULT_COOKIE_NAME = "__Host-curfew";
    public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;

    public Settings {
      Objects.requireNonNull(cookieName, "cookieName");
      if (!cookieName.matches("[!#$%&'*+\\-.^_`|~0-9A-Za-z]{1,128}")) {
        throw new IllegalArgumentException("cookie name is not an RFC 6265 token: \"" + cookieName + "\"");
      }
      if (maxBodyBytes < 1024) throw new IllegalArgumentException("maxBodyBytes < 1024: " + maxBodyBytes);
      if (heartbeat.toMillis() < 1) throw new IllegalArgumentException("heartbeat < 1ms: " + heartbeat);
      if (durableTimeout.toMillis() < 1) throw new IllegalArgumentException("durableTimeout < 1ms: " + durableTimeout);
      if (instances < 1) throw new IllegalArgumentException("instances < 1: " + instances);
      Objects.requireNonNull(rateLimits, "rateLimits");
    }

    public static Settings defaults() {
      return new Settings(DEFAULT_COOKIE_NAME, false, DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(15),
          Duration.ofSeconds(10), Math.max(1, Runtime.getRuntime().availableProcessors()), RateLimits.unlimited(), null);
    }

    public Settings withCookieName(String name) {
      return new Settings(name, metricsRequireApiKey, maxBodyBytes, heartbeat, durableTimeout, instances, rateLimits,
          tls);
    }

    public Settings withMetricsRequireApiKey(boolean required) {
      return new Settings(cookieName, required, maxBodyBytes, heartbeat, durableTimeout, instances, rateLimits, tls);
    }

    public Settings withHeartbeat(Duration interval) {
      return new Settings(cookieName, metricsRequireApiKey, maxBodyBytes, interval, durableTimeout, instances,
          rateLimits, tls);
    }

    public Settings withDurableTimeout(Duration timeout) {
      return new Settings(cookieName, metricsRequireApiKey, maxBodyBytes, heartbeat, timeout, instances, rateLimits,
          tls);
    }

    public Settings withRateLimits(RateLimits limits) {
      return new Settings(cookieName, metricsRequireApiKey, maxBodyBytes, heartbeat, durableTimeout, instances,
          limits, tls);
    }

    public Settings withTls(Tls t) {
      return new Settings(cookieName, metricsRequireApiKey, maxBodyBytes, heartbeat, durableTimeout, instances,
          rateLimits, t);
    }

    public Settings withInstances(int n) {
      return new Settings(cookieName, metricsRequireApiKey, maxBodyBytes, heartbeat, durableTimeout, n, rateLimits,
          tls);
    }
  }

  /**
   * @param auditLog the log behind {@code GET /v1/audit}; null: that endpoint answers 503
   * @param metrics the same instance given to the store; its live-session gauge is bound to {@code store} here
   */
  public ApiServer(Vertx vertx, SessionStore store, EventHub events, ApiKeys apiKeys, AuditLogReader auditLog,
      CurfewMetrics metrics, Settings settings) {
    this(vertx, store, events, apiKeys, auditLog, metrics, settings, null);
  }

  /**
   * A server over any session store (embedded or distributed).
   *
   * @param proofs what {@code GET /v1/audit/checkpoint} and {@code GET /v1/audit/evidence} serve;
   *     null: they answer 503
   */
  public ApiServer(Vertx vertx, SessionStore store, EventHub events, ApiKeys apiKeys, AuditLogReader auditLog,
      CurfewMetrics metrics, Settings settings, AuditProofs proofs) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.instances = new ServerInstances(vertx);
    this.store = Objects.requireNonNull(store, "store");
    this.hub = Objects.requireNonNull(events, "events");
    this.access = new ApiAccess(apiKeys);
    this.throttle = new Throttle(settings.rateLimits(), List.of(settings.cookieName()));
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.settings = Objects.requireNonNull(settings, "settings");
    metrics.bindLiveSessions(() -> (int) Math.min(Integer.MAX_VALUE, store.liveSessions()));
    Reply reply = new Reply(settings.durableTimeout().toMillis(), settings.cookieName());
    this.holder = new HolderRoutes(store, hub, reply, settings.heartbeat().toMillis());
    this.backend = new BackendRoutes(store, hub, reply);
    this.audit = new AuditQuery(auditLog);
    this.auditProofs = new AuditProofRoutes(proofs);
    this.auditReads = new AuditReads(store, reply);
    this.policies = new PolicyRoutes(store, reply);
  }

  /**
   * Answers {@code GET /v1/audit} (and its CSV export) from the trail of every node once it spans
   * several ({@code audit: postgres}); this node's own log answers before that. Call before {@link #listen}.
   */
  public void auditCluster(dev.curfew.core.ClusterAuditReader trail) {
    audit.cluster(Objects.requireNonNull(trail, "trail"));
  }

  private volatile dev.curfew.server.oidc.JwksSource jwks;
  private volatile Map<String, Object> discovery;
  private volatile BackchannelLogoutRoutes backchannelLogout;
  private volatile java.util.function.Consumer<ApiRoutes> extension;

  /**
   * Publishes a JSON Web Key Set at {@code /.well-known/jwks.json} (the keys that verify Curfew's
   * back-channel logout tokens). Call before {@link #listen}.
   */
  public void publishJwks(java.util.function.Supplier<Map<String, Object>> keySet) {
    publishJwks(dev.curfew.server.oidc.JwksSource.of(Objects.requireNonNull(keySet, "keySet")));
  }

  /** As {@link #publishJwks(java.util.function.Supplier)}, from a source read asynchronously (Redis). */
  public void publishJwks(dev.curfew.server.oidc.JwksSource keySet) {
    this.jwks = Objects.requireNonNull(keySet, "keySet");
  }

  /**
   * Publishes OpenID provider metadata at {@code /.well-known/openid-configuration}
   * ({@link dev.curfew.server.oidc.DiscoveryDocument}). Call before {@link #listen}.
   */
  public void publishDiscovery(Map<String, Object> metadata) {
    this.discovery = Map.copyOf(metadata);
  }

  /** Serves {@code POST /v1/backchannel-logout/{provider}} with {@code routes}. Call before {@link #listen}. */
  public void backchannelLogout(BackchannelLogoutRoutes routes) {
    this.backchannelLogout = Objects.requireNonNull(routes, "routes");
  }

  /**
   * Adds an extension's routes (the admin console) to the API, through {@link ApiRoutes}. Call
   * before {@link #listen}; {@code mount} runs once for each server instance's router.
   */
  public void extend(java.util.function.Consumer<ApiRoutes> mount) {
    this.extension = Objects.requireNonNull(mount, "mount");
  }

  /** Traces every request ({@link HttpSpans}); call before {@link #listen}. Without it, none is traced. */
  public void tracing(dev.curfew.server.tracing.Tracing t) {
    this.spans = new HttpSpans(t, "api");
  }

  private volatile HttpSpans spans = new HttpSpans(dev.curfew.server.tracing.Tracing.OFF, "api");

  /** Serves {@code GET /readyz} from {@code r}; call before {@link #listen}. Without it, there is no such route. */
  public void readiness(Readiness r) {
    this.readiness = Objects.requireNonNull(r, "readiness");
  }

  /** The SSE hub, which the engine publishes to. */
  public EventHub events() {
    return hub;
  }

  /** Where sessions live. */
  public SessionStore store() {
    return store;
  }

  /** A new connection's first request head must arrive within this ({@link ConnectionDeadlines}). */
  static final Duration HEADER_TIMEOUT = Duration.ofSeconds(10);
  /** No bytes for this long, or no request head this long after the last answer: the connection is closed. */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(120);
  /**
   * A request's body must have arrived this long after its head: a client that sends less than its
   * {@code Content-Length} gets 408 and the connection is closed, instead of waiting for the idle
   * timeout with no answer. At most 64 KiB in 10 s: 6.5 KB/s.
   */
  static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);

  /** Starts listening; port 0 picks a free port. Completes with the actual port. */
  public Future<Integer> listen(String host, int port) {
    return instances.deploy(port, settings.instances(), p -> new HttpVerticle(host, p));
  }

  /** One HTTP server instance with its own router, on the event loop of its deployment. */
  private final class HttpVerticle extends VerticleBase {
    private final String host;
    private final int port;

    HttpVerticle(String host, int port) {
      this.host = host;
      this.port = port;
    }

    @Override
    public Future<?> start() {
      HttpServerOptions options = new HttpServerOptions()
          .setIdleTimeout((int) IDLE_TIMEOUT.toSeconds()) // SSE heartbeats keep live streams well inside it
          .setMaxInitialLineLength(8192)
          .setMaxHeaderSize(16 * 1024)
          .setMaxFormAttributeSize(8192)
          .setCompressionSupported(false)
          // Cleartext HTTP/2 (h2c) detection holds a new connection back from the connection handler
          // until it has read enough, and ConnectionDeadlines could then neither see nor close a
          // half-sent request head; nothing here speaks h2c (HTTP/2 comes only over TLS, by ALPN).
          .setHttp2ClearTextEnabled(false);
      if (settings.tls() != null) settings.tls().apply(options);
      ConnectionDeadlines deadlines = new ConnectionDeadlines(vertx, HEADER_TIMEOUT, IDLE_TIMEOUT);
      Router router = router();
      return deadlines.install(vertx.createHttpServer(options))
          .requestHandler(req -> {
            deadlines.track(req);
            // The router matches only the literal path: one that it would normalise is refused first.
            if (RequestTarget.answeredIfAmbiguous(req, RequestTarget.Port.ROUTING, h -> SecurityHeaders.api(h, hsts()))) {
              metrics.httpRequest("ambiguous", 400);
              return;
            }
            router.handle(req);
          })
          .invalidRequestHandler(InvalidRequests.handler(h -> SecurityHeaders.api(h, hsts()),
              status -> metrics.httpRequest("invalid", status)))
          .listen(port, host);
    }
  }

  /** Ends the event streams, then stops listening. */
  public Future<Void> close() {
    hub.closeAll();
    return instances.undeploy();
  }

  /** Answers 408 and closes the connection when the request's body is not all there {@link #BODY_TIMEOUT} after its head. */
  private void bodyDeadline(RoutingContext ctx) {
    if (!ctx.request().isEnded()) {
      long timer = vertx.setTimer(BODY_TIMEOUT.toMillis(), t -> {
        io.vertx.core.http.HttpServerResponse resp = ctx.response();
        if (ctx.request().isEnded() || resp.ended() || resp.headWritten()) return;
        // the rest of the body may still come: the connection cannot carry another request
        resp.putHeader("Connection", "close").endHandler(v -> ctx.request().connection().close());
        Problem.of(408, "request-timeout", "Request timeout", "the request body did not arrive within "
            + BODY_TIMEOUT.toSeconds() + " s of its head (fewer bytes than its Content-Length?)").send(resp);
      });
      ctx.addEndHandler(v -> vertx.cancelTimer(timer));
    }
    ctx.next();
  }

  // ---------------------------------------------------------------- routes

  Router router() {
    Router r = Router.router(vertx);
    r.route().handler(spans::start);
    r.route().handler(this::everyResponse);
    r.route().handler(RequestQuery.decodable()); // before the body handler, which decodes it where a failure is lost
    r.route().handler(this::bodyDeadline);
    r.route().handler(BodyHandler.create(false).setBodyLimit(settings.maxBodyBytes()));
    r.route().handler(ctx -> {
      ctx.put(BODY_READ, Boolean.TRUE);
      ctx.next();
    });
    r.route().handler(throttle.credentials());

    // The route table: who may call what. Holder routes take the session token; every backend
    // route names the one scope it needs (admin holds them all); docs/security.md has this table.
    route(r, "/v1/session", holder::status, HttpMethod.GET);
    route(r, "/v1/session", holder::logout, HttpMethod.DELETE);
    route(r, "/v1/session/activity", holder::activity, HttpMethod.POST);
    route(r, "/v1/session/extend", holder.extendLimit(throttle), holder::extend, HttpMethod.POST);
    route(r, "/v1/session/warning-ack", holder::warningAck, HttpMethod.POST);
    route(r, "/v1/session/end-others", holder::endOthers, HttpMethod.POST);
    route(r, "/v1/session/events", holder::events, HttpMethod.GET);

    Handler<RoutingContext> app = access.require(Scope.APP);
    Handler<RoutingContext> gateway = access.require(Scope.GATEWAY);
    Handler<RoutingContext> auditor = access.require(Scope.AUDITOR);
    Handler<RoutingContext> admin = access.require(Scope.ADMIN);
    Handler<RoutingContext> keyFailures = throttle.keyFailures();
    route(r, "/v1/sessions", List.of(app, throttle.open()), backend::create, HttpMethod.POST);
    route(r, "/v1/introspect", List.of(app, keyFailures), backend::introspect, HttpMethod.POST);
    route(r, "/v1/revoke", List.of(app, keyFailures), backend::revokeToken, HttpMethod.POST);
    route(r, "/v1/check", List.of(gateway, keyFailures), backend::check, HttpMethod.POST);
    route(r, "/v1/sessions", admin, backend::list, HttpMethod.GET);
    route(r, "/v1/sessions/:session_id", admin, backend::get, HttpMethod.GET);
    route(r, "/v1/sessions/:session_id", admin, backend::revoke, HttpMethod.DELETE);
    route(r, "/v1/subjects/:subject/revoke", admin, backend::revokeSubject, HttpMethod.POST);
    route(r, "/v1/subjects/:subject/sessions", app, backend::subjectSessions, HttpMethod.GET);
    route(r, "/v1/policies", admin, policies::list, HttpMethod.GET);
    route(r, "/v1/policies/check", admin, policies::check, HttpMethod.POST);
    route(r, "/v1/policies/explain", admin, policies::explain, HttpMethod.POST);
    route(r, "/v1/policies/:name", admin, policies::get, HttpMethod.GET);
    route(r, "/v1/policies/:name", admin, policies::put, HttpMethod.PUT);
    route(r, "/v1/audit", auditor, auditReads.recorded("records", audit::handle), HttpMethod.GET);
    route(r, "/v1/audit/checkpoint", auditor, auditReads.recorded("checkpoint", auditProofs::checkpoint), HttpMethod.GET);
    route(r, "/v1/audit/evidence", auditor, auditReads.recorded("evidence", auditProofs::evidence), HttpMethod.GET);
    route(r, "/v1/audit/consistency", auditor, auditReads.recorded("consistency", auditProofs::consistency),
        HttpMethod.GET);
    // Needs no key (the contract): it answers what the token's holder can read at GET /v1/session.
    // A key in Authorization is taken (scope gateway), and the token then comes from the cookie.
    // Gateways may forward the original method, and Envoy appends the original path.
    List<Handler<RoutingContext>> forwardAuthKey = List.of(access.optional(Scope.GATEWAY), keyFailures);
    route(r, "/v1/forward-auth", forwardAuthKey, backend::forwardAuth);
    route(r, "/v1/forward-auth/*", forwardAuthKey, backend::forwardAuth);

    dev.curfew.server.oidc.JwksSource keySet = jwks;
    if (keySet != null) {
      // Read on every request: a rotated key appears at once (RFC 7517 §8.5.1 media type).
      route(r, "/.well-known/jwks.json", ctx -> keySet.jwks().onComplete(ar -> {
        if (ar.failed()) {
          Reply.problem(ctx, Problem.unavailable("the key set could not be read"));
          return;
        }
        ctx.response().putHeader("Content-Type", "application/jwk-set+json")
            .end(Buffer.buffer(JsonBodies.write(ar.result())));
      }), HttpMethod.GET, HttpMethod.HEAD);
    }
    Map<String, Object> metadata = discovery;
    if (metadata != null) {
      route(r, "/.well-known/openid-configuration", ctx -> Reply.json(ctx, 200, metadata), HttpMethod.GET, HttpMethod.HEAD);
    }
    BackchannelLogoutRoutes idp = backchannelLogout;
    if (idp != null) {
      // No API key: the logout token's signature authenticates the provider.
      route(r, "/v1/backchannel-logout/:provider", idp::handle, HttpMethod.POST);
    }
    route(r, "/healthz", ctx -> Reply.json(ctx, 200, Map.of("status", "ok")), HttpMethod.GET, HttpMethod.HEAD);
    // The document of every route here, the gateway's and the console's (OpenApiDocument); no key.
    route(r, "/openapi.json", ctx -> ctx.response().setStatusCode(200).putHeader("Content-Type", Reply.JSON)
        .end(Buffer.buffer(OpenApiDocument.json())), HttpMethod.GET, HttpMethod.HEAD);
    Readiness ready = readiness;
    if (ready != null) {
      route(r, "/readyz", ctx -> Reply.json(ctx, ready.ready() ? 200 : 503, ready.toMap()), HttpMethod.GET, HttpMethod.HEAD);
    }
    if (settings.metricsRequireApiKey()) {
      route(r, "/metrics", access.anyKey(), this::metrics, HttpMethod.GET);
    } else {
      route(r, "/metrics", this::metrics, HttpMethod.GET);
    }

    if (extension != null) {
      extension.accept(new ApiRoutes(r, (path, guard, handler, methods) -> route(r, path, guard, handler, methods),
          backend, audit, auditProofs, policies, throttle, auditReads));
    }

    r.route().failureHandler(this::failure);
    for (int status : new int[] {400, 401, 403, 404, 405, 406, 413, 414, 415, 429, 431, 500, 501, 503}) {
      r.errorHandler(status, ctx -> failure(ctx, status));
    }
    return r;
  }

  private void route(Router r, String path, Handler<RoutingContext> handler, HttpMethod... methods) {
    route(r, path, List.of(), handler, methods);
  }

  private void route(Router r, String path, Handler<RoutingContext> guard, Handler<RoutingContext> handler,
      HttpMethod... methods) {
    route(r, path, guard == null ? List.of() : List.of(guard), handler, methods);
  }

  /** A route: its path and methods, the guards that run first in order, then its handler. */
  private void route(Router r, String path, List<Handler<RoutingContext>> guards, Handler<RoutingContext> handler,
      HttpMethod... methods) {
    allowedMethods.merge(path, Arrays.stream(methods).map(HttpMethod::name).collect(Collectors.joining(", ")),
        (a, b) -> a.contains(b) ? a : a + ", " + b);
    Route route = r.route(path);
    for (HttpMethod m : methods) route.method(m);
    route.handler(ctx -> {
      ctx.put(ROUTE, path);
      HttpSpans.route(ctx, path);
      HttpSpans.current(ctx); // the body is read: the store calls below are the request span's children
    });
    for (Handler<RoutingContext> guard : guards) route.handler(guard);
    route.handler(handler);
  }

  private static final CharSequence CACHE_CONTROL = io.vertx.core.http.HttpHeaders.CACHE_CONTROL;
  private static final CharSequence NO_STORE = io.vertx.core.http.HttpHeaders.createOptimized("no-store");

  /** Headers that every response carries, and the request count once the status is known. */
  private void everyResponse(RoutingContext ctx) {
    ctx.addHeadersEndHandler(v -> {
      ctx.response().headers().set(CACHE_CONTROL, NO_STORE);
      SecurityHeaders.api(ctx.response().headers(), hsts());
      String route = ctx.get(ROUTE);
      metrics.httpRequest(route == null ? "unmatched" : route, ctx.response().getStatusCode());
    });
    ctx.next();
  }

  private SecurityHeaders.Hsts hsts() {
    return settings.tls() == null ? null : settings.tls().hsts();
  }

  private void metrics(RoutingContext ctx) {
    ctx.response().setStatusCode(200)
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape());
  }

  // ---------------------------------------------------------------- errors

  private void failure(RoutingContext ctx) {
    failure(ctx, ctx.statusCode());
  }

  private void failure(RoutingContext ctx, int statusCode) {
    Throwable f = ctx.failure();
    if (f instanceof HttpClosedException || ctx.response().closed()) {
      return; // the client left; there is no one to answer
    }
    Problem p;
    StoreUnavailable unavailable = StoreUnavailable.in(f);
    if (unavailable != null) {
      // The store's typed failure (Redis down or slow): the 503 every other operation answers, not a defect.
      p = Problem.unavailable(unavailable.getMessage());
    } else if (f instanceof BadInput) {
      p = Problem.badRequest(f.getMessage());
    } else if (f instanceof HttpException he) {
      p = Problem.forStatus(he.getStatusCode());
    } else if (statusCode >= 400 && statusCode < 500) {
      p = Problem.forStatus(statusCode);
    } else if (f != null && ctx.get(BODY_READ) == null) {
      // Failed while the request was still being read: a malformed body (bad chunking, bad form).
      p = Problem.badRequest("the request body could not be read: " + f.getClass().getSimpleName());
    } else if (f == null && statusCode >= 500) {
      p = Problem.forStatus(statusCode);
    } else {
      LOG.log(System.Logger.Level.ERROR, "unexpected failure on " + ctx.request().method() + " " + ctx.get(ROUTE), f);
      p = Problem.forStatus(500);
    }
    if (p.status() == 413) {
      p = Problem.of(413, "payload-too-large", "Payload too large",
          "request bodies are limited to " + settings.maxBodyBytes() + " bytes");
    }
    if (p.status() == 405) {
      ctx.response().putHeader("Allow", allowed(ctx));
    }
    p.send(ctx.response());
  }

  /** The methods of the route templates that match the request's path (the router does not say). */
  private String allowed(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    for (Map.Entry<String, String> e : allowedMethods.entrySet()) {
      String regex = Pattern.quote(e.getKey()).replaceAll(":[a-z_]+", "\\\\E[^/]+\\\\Q");
      if (path.matches(regex + "/?")) return e.getValue();
    }
    return "GET, POST, DELETE";
  }
}

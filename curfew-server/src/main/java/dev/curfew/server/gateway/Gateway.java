package dev.curfew.server.gateway;

import dev.curfew.server.http.ConnectionDeadlines;
import dev.curfew.server.http.RequestQuery;
import dev.curfew.server.http.RequestTarget;
import dev.curfew.gateway.net.ServerInstances;

import dev.curfew.core.SessionEvents;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.gateway.mcp.McpGateway;
import dev.curfew.core.SessionStore;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.http.HolderRoutes;
import dev.curfew.server.http.InvalidRequests;
import dev.curfew.server.http.Problem;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.http.Throttle;
import dev.curfew.server.security.ClientAddresses;
import dev.curfew.server.security.RateLimits;
import dev.curfew.server.security.SecurityHeaders;
import dev.curfew.server.security.Tls;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.Router;
import dev.curfew.server.tracing.HttpSpans;
import dev.curfew.server.tracing.Tracing;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * The gateway of spec/cli-and-config.md: a reverse proxy on its own port that enforces the session
 * cookie on every request before it reaches the upstream, and serves, same-origin for the browser,
 * {@code /_curfew/curfew.js} and the session-holder endpoints under {@code /_curfew/session}.
 *
 * <pre>{@code
 * var fanOut = new SessionEventFanOut(hub);           // the store publishes to fanOut
 * var gateway = new Gateway(vertx, sessions, hub, routes, Gateway.Settings.defaults()); // any SessionStore
 * fanOut.addEndingListener(gateway.endings());        // long-lived connections end with the session
 * int port = gateway.listen("0.0.0.0", 8081).await();
 * }</pre>
 *
 * <p>What happens to one request is {@link SessionGate}'s to decide; this class wires the pieces:
 * one router, HTTP client and set of proxies per event loop.
 */
public final class Gateway {
  /** The classpath resource of the browser client (module curfew-web). */
  static final String SCRIPT_RESOURCE = "/curfew-web/curfew.js";

  private final Vertx vertx;
  private final SessionStore engine;
  private final EventHub hub;
  private final List<GatewayRoute> routes;
  private final Settings settings;
  private final LiveConnections live = new LiveConnections();
  private final HolderRoutes holder;
  private final Throttle throttle;
  private final Buffer script;
  private final ServerInstances instances;
  /** The relay of the {@code kind: mcp} routes; null when there are none. */
  private final McpGateway mcp;

  /**
   * @param upstreamTimeout longest wait for the upstream's response head; then 504 (default 30 s)
   * @param connectTimeout longest wait to connect to the upstream; then 504 (default 5 s)
   * @param durableTimeout longest wait for an audit record to be durable; then 503 (default 10 s)
   * @param heartbeat SSE heartbeat interval of {@code /_curfew/session/events} (default 15 s)
   * @param instances event loops serving the port (default: the processor count)
   * @param upstreamConnections most pooled connections to each upstream, per event loop (default 256)
   * @param rateLimits the limits on extensions, handoff opens and failed checks (default: none;
   *     {@code curfew serve} gives the configured ones, shared with the API)
   * @param tls the certificate and key to serve HTTPS with, and its HSTS policy (default null: plain HTTP)
   * @param securityHeaders whether responses that lack them get the usual security headers (default
   *     true; see {@link SecurityHeaders#gateway})
   * @param headerTimeout longest wait for the first request head on a new connection; then it is
   *     closed (default 10 s; {@link ConnectionDeadlines})
   * @param idleTimeout longest wait for the next request head on a kept-alive connection with no
   *     request in flight; then it is closed (default 60 s). A request in flight (a stream, a
   *     WebSocket) is never cut by either: its session ends it
   */
  public record Settings(Duration upstreamTimeout, Duration connectTimeout, Duration durableTimeout,
      Duration heartbeat, int instances, int upstreamConnections, RateLimits rateLimits, Tls tls,
      boolean securityHeaders, Duration headerTimeout, Duration idleTimeout, List<String> trustedProxies) {
    public Settings {
      if (upstreamTimeout.toMillis() < 1) throw new IllegalArgumentException("upstreamTimeout < 1ms: " + upstreamTimeout);
      if (connectTimeout.toMillis() < 1) throw new IllegalArgumentException("connectTimeout < 1ms: " + connectTimeout);
      if (durableTimeout.toMillis() < 1) throw new IllegalArgumentException("durableTimeout < 1ms: " + durableTimeout);
      if (heartbeat.toMillis() < 1) throw new IllegalArgumentException("heartbeat < 1ms: " + heartbeat);
      if (instances < 1) throw new IllegalArgumentException("instances < 1: " + instances);
      if (upstreamConnections < 1) throw new IllegalArgumentException("upstreamConnections < 1: " + upstreamConnections);
      Objects.requireNonNull(rateLimits, "rateLimits");
      if (headerTimeout.toMillis() < 1) throw new IllegalArgumentException("headerTimeout < 1ms: " + headerTimeout);
      if (idleTimeout.toMillis() < 1) throw new IllegalArgumentException("idleTimeout < 1ms: " + idleTimeout);
      trustedProxies = List.copyOf(trustedProxies);
      ClientAddresses.trusting(trustedProxies); // validates: a malformed entry is an IllegalArgumentException
    }

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(10),
          Duration.ofSeconds(15), Math.max(1, Runtime.getRuntime().availableProcessors()), 256, RateLimits.unlimited(),
          null, true, Duration.ofSeconds(10), Duration.ofSeconds(60), List.of());
    }

    public Settings withUpstreamTimeout(Duration d) {
      return new Settings(d, connectTimeout, durableTimeout, heartbeat, instances, upstreamConnections, rateLimits,
          tls, securityHeaders, headerTimeout, idleTimeout, trustedProxies);
    }

    public Settings withHeartbeat(Duration d) {
      return new Settings(upstreamTimeout, connectTimeout, durableTimeout, d, instances, upstreamConnections,
          rateLimits, tls, securityHeaders, headerTimeout, idleTimeout, trustedProxies);
    }

    public Settings withInstances(int n) {
      return new Settings(upstreamTimeout, connectTimeout, durableTimeout, heartbeat, n, upstreamConnections,
          rateLimits, tls, securityHeaders, headerTimeout, idleTimeout, trustedProxies);
    }

    public Settings withTls(Tls t) {
      return new Settings(upstreamTimeout, connectTimeout, durableTimeout, heartbeat, instances, upstreamConnections,
          rateLimits, t, securityHeaders, headerTimeout, idleTimeout, trustedProxies);
    }

    public Settings withSecurityHeaders(boolean on) {
      return new Settings(upstreamTimeout, connectTimeout, durableTimeout, heartbeat, instances, upstreamConnections,
          rateLimits, tls, on, headerTimeout, idleTimeout, trustedProxies);
    }

    /** The deadlines of {@link ConnectionDeadlines}: a request head must arrive within each. */
    public Settings withConnectionDeadlines(Duration header, Duration idle) {
      return new Settings(upstreamTimeout, connectTimeout, durableTimeout, heartbeat, instances, upstreamConnections,
          rateLimits, tls, securityHeaders, header, idle, trustedProxies);
    }

    /**
     * The proxies in front of the gateway (IP addresses or CIDR networks): their forwarding headers are
     * kept and appended to, and their {@code X-Forwarded-For} names the client for the per-address
     * limit; anyone else's are replaced by what the gateway saw ({@link ForwardedHeaders}).
     */
    public Settings withTrustedProxies(List<String> proxies) {
      return new Settings(upstreamTimeout, connectTimeout, durableTimeout, heartbeat, instances, upstreamConnections,
          rateLimits, tls, securityHeaders, headerTimeout, idleTimeout, proxies);
    }

    public Settings withRateLimits(RateLimits limits) {
      return new Settings(upstreamTimeout, connectTimeout, durableTimeout, heartbeat, instances, upstreamConnections,
          limits, tls, securityHeaders, headerTimeout, idleTimeout, trustedProxies);
    }
  }

  public Gateway(Vertx vertx, SessionStore engine, EventHub hub, List<GatewayRoute> routes, Settings settings) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.instances = new ServerInstances(vertx);
    this.engine = Objects.requireNonNull(engine, "engine");
    this.hub = Objects.requireNonNull(hub, "hub");
    this.routes = List.copyOf(routes);
    if (this.routes.isEmpty()) throw new IllegalArgumentException("a gateway needs at least one route");
    this.settings = Objects.requireNonNull(settings, "settings");
    LinkedHashSet<String> cookies = new LinkedHashSet<>();
    // An MCP route's agents hold their session as a bearer token; its place in this list is the
    // default cookie's name, as it always was.
    for (GatewayRoute r : this.routes) {
      cookies.add(r instanceof GatewayRoute.Web web ? web.cookie() : GatewayRoute.DEFAULT_COOKIE);
    }
    this.holder = HolderRoutes.forGateway(engine, hub, new ArrayList<>(cookies), settings.durableTimeout(),
        settings.heartbeat());
    this.throttle = new Throttle(settings.rateLimits(), new ArrayList<>(cookies),
        ClientAddresses.trusting(settings.trustedProxies()));
    this.script = loadScript();
    this.mcp = this.routes.stream().anyMatch(r -> r instanceof GatewayRoute.Mcp)
        ? new McpGateway(vertx, engine, new McpProblems(), GatewaySettings.defaults(), MCP_MAX_MESSAGE_BYTES) : null;
  }

  private volatile List<dev.curfew.server.http.ConnectRoutes.Target> connectTargets = List.of();

  /**
   * The targets a person signed in here can get a child session for at {@code POST /_curfew/connect}
   * (databases, SSH targets, MCP routes), with the ports they listen on; none: the endpoint answers 404.
   */
  public void connectTargets(List<dev.curfew.server.http.ConnectRoutes.Target> targets) {
    this.connectTargets = List.copyOf(targets);
  }

  /** The routes, in the configuration's order. */
  public List<GatewayRoute> routes() {
    return routes;
  }

  /** The largest JSON-RPC message an MCP client may POST (4 MiB); larger ones get 413. */
  static final int MCP_MAX_MESSAGE_BYTES = 4 << 20;

  /**
   * What the engine's fan-out must tell the MCP routes: every event of every session (warnings go
   * into the agent's stream, endings answer its calls in flight); nothing when there are none.
   */
  public SessionEvents mcpEvents() {
    return mcp == null ? SessionEvents.NONE : mcp.events();
  }

  /** What the engine's fan-out must tell the gateway: a session ended, so its connections end too. */
  public SessionEventFanOut.EndingListener endings() {
    return live;
  }

  /** Starts listening; port 0 picks a free port. Completes with the actual port. */
  public Future<Integer> listen(String host, int port) {
    return instances.deploy(port, settings.instances(), p -> new GatewayVerticle(host, p));
  }

  public Future<Void> close() {
    Future<Void> undeployed = instances.undeploy();
    return mcp == null ? undeployed : undeployed.eventually(() -> mcp.close());
  }

  /** One server instance on one event loop: its router, its upstream client, its proxies. */
  private final class GatewayVerticle extends VerticleBase {
    private final String host;
    private final int port;
    private HttpClient client;

    GatewayVerticle(String host, int port) {
      this.host = host;
      this.port = port;
    }

    @Override
    public Future<?> start() {
      client = vertx.createHttpClient(new HttpClientOptions()
              .setConnectTimeout((int) settings.connectTimeout().toMillis())
              .setKeepAlive(true)
              .setTcpNoDelay(true),
          new PoolOptions().setHttp1MaxSize(settings.upstreamConnections()));
      HttpServerOptions options = new HttpServerOptions()
          // No byte-level idle timeout: proxied streams and WebSockets may be quiet for long, and
          // their sessions end them. Between requests, ConnectionDeadlines closes idle and half-sent ones.
          .setIdleTimeout(0)
          .setMaxInitialLineLength(8192)
          .setMaxHeaderSize(32 * 1024)
          .setTcpNoDelay(true)
          .setCompressionSupported(false)
          // Cleartext HTTP/2 (h2c) detection holds a new connection back from the connection handler
          // until it has read enough, and ConnectionDeadlines could then neither see nor close a
          // half-sent request head; nothing here speaks h2c (HTTP/2 comes only over TLS, by ALPN).
          .setHttp2ClearTextEnabled(false);
      if (settings.tls() != null) settings.tls().apply(options);
      ConnectionDeadlines deadlines = new ConnectionDeadlines(vertx, settings.headerTimeout(), settings.idleTimeout());
      Router router = router(client, deadlines);
      return deadlines.install(vertx.createHttpServer(options))
          .requestHandler(req -> {
            deadlines.track(req);
            // Before anything reads the path: the routes, the login exemption, the passive paths, the forward.
            if (RequestTarget.answeredIfAmbiguous(req, RequestTarget.Port.FORWARDING,
                h -> SecurityHeaders.gateway(h, hsts(), settings.securityHeaders()))) {
              return;
            }
            router.handle(req);
          })
          .invalidRequestHandler(InvalidRequests.handler(
              h -> SecurityHeaders.gateway(h, hsts(), settings.securityHeaders()), status -> { }))
          .listen(port, host);
    }

    @Override
    public Future<?> stop() {
      return client == null ? Future.succeededFuture() : client.close();
    }
  }

  /**
   * One event loop's router, proxying through {@code client}: the gateway's own endpoints under
   * {@code /_curfew/}, then every other request through the session gate to its route's upstream.
   */
  Router router(HttpClient client) {
    return router(client, new ConnectionDeadlines(vertx, settings.headerTimeout(), settings.idleTimeout()));
  }

  /** As {@link #router(HttpClient)}, the WebSockets' ends heard through {@code deadlines}, the server's. */
  Router router(HttpClient client, ConnectionDeadlines deadlines) {
    Router r = Router.router(vertx);
    SecurityHeaders.Hsts hsts = hsts();
    r.route().handler(spans::start);
    r.route().handler(ctx -> {
      ctx.addHeadersEndHandler(v -> SecurityHeaders.gateway(ctx.response().headers(), hsts, settings.securityHeaders()));
      ctx.next();
    });
    r.route().handler(RequestQuery.decodable());
    r.route().handler(throttle.credentials());
    r.route("/_curfew/*").handler(ctx -> {
      HttpSpans.route(ctx, "/_curfew/*");
      ctx.addHeadersEndHandler(v -> ctx.response().headers()
          .set("Cache-Control", "no-store").set("X-Content-Type-Options", "nosniff"));
      ctx.next();
    });
    r.route("/_curfew/curfew.js").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::script);
    r.routeWithRegex("/_curfew/session(/.*)?").handler(Gateway::noBodyOverTheApisLimit);
    holder.mount(r, "/_curfew/session", throttle);
    java.util.Set<String> places = new java.util.HashSet<>();
    // A person signed in on a web route holds route:<path>; an agent's session at an MCP route mints nothing.
    for (GatewayRoute route : routes) {
      if (route instanceof GatewayRoute.Web web) places.addAll(web.audience().entries());
    }
    holder.mountConnect(r, "/_curfew/connect", settings.rateLimits(), () -> connectTargets, places);
    r.route("/_curfew/*").handler(ctx -> Problem.forStatus(404).send(ctx.response()));
    SessionGate gate = new SessionGate(engine, hub, live, routes, client, settings, deadlines, mcp);
    r.route().handler(gate::handle);
    r.route().failureHandler(ctx -> {
      if (ctx.response().closed()) return;
      Problem p = Problem.forStatus(ctx.statusCode() >= 400 ? ctx.statusCode() : 500);
      if (ctx.statusCode() == 400 && ctx.failure() != null) p = Problem.badRequest(ctx.failure().getMessage());
      dev.curfew.core.StoreUnavailable unavailable = dev.curfew.core.StoreUnavailable.in(ctx.failure());
      if (unavailable != null) p = Problem.unavailable(unavailable.getMessage());
      p.send(ctx.response());
    });
    return r;
  }

  /**
   * The session endpoints take no body, but refuse one over the API's limit as the API does (413),
   * before anything is changed. The body is counted and dropped, never decoded (a form's bad escape
   * is nothing to them).
   */
  private static void noBodyOverTheApisLimit(io.vertx.ext.web.RoutingContext ctx) {
    io.vertx.core.http.HttpServerRequest req = ctx.request();
    if (req.isEnded()) {
      ctx.next();
      return;
    }
    long max = ApiServer.Settings.DEFAULT_MAX_BODY_BYTES;
    String length = req.getHeader("Content-Length");
    if (length != null && length.trim().matches("[0-9]{1,18}") && Long.parseLong(length.trim()) > max) {
      ctx.fail(413);
      return;
    }
    long[] read = {0};
    req.handler(chunk -> {
      read[0] += chunk.length();
      if (read[0] > max && !ctx.failed()) ctx.fail(413);
    });
    req.endHandler(v -> {
      if (!ctx.failed()) ctx.next();
    });
  }

  private volatile HttpSpans spans = new HttpSpans(Tracing.OFF, "gateway");

  /** Traces every request ({@link HttpSpans}); call before {@link #listen}. Without it, none is traced. */
  public void tracing(Tracing t) {
    this.spans = new HttpSpans(t, "gateway");
  }

  private SecurityHeaders.Hsts hsts() {
    return settings.tls() == null ? null : settings.tls().hsts();
  }

  private void script(RoutingContext ctx) {
    if (script == null) {
      Problem.of(404, "not-found", "Not found",
          "the browser client is not part of this build (classpath " + SCRIPT_RESOURCE + ")").send(ctx.response());
      return;
    }
    ctx.response().setStatusCode(200).putHeader("Content-Type", "text/javascript; charset=utf-8");
    if (ctx.request().method() == HttpMethod.HEAD) {
      ctx.response().putHeader("Content-Length", Integer.toString(script.length())).end();
    } else {
      ctx.response().end(script);
    }
  }

  private static Buffer loadScript() {
    try (InputStream in = Gateway.class.getResourceAsStream(SCRIPT_RESOURCE)) {
      return in == null ? null : Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + SCRIPT_RESOURCE, e);
    }
  }
}

package dev.curfew.server.gateway;

import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.SessionEventFanOut;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real upstream app (a Vert.x server that records what it received) behind a real gateway, over
 * an engine on a manual clock. Requests cross real sockets through java.net.http.
 */
final class GatewayFixture implements AutoCloseable {
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final String COOKIE = "__Host-curfew";

  final Vertx vertx = Vertx.vertx();
  final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T22:00:00.000Z"));
  final MemoryAuditSink sink = new MemoryAuditSink();
  final EventHub hub = new EventHub(vertx);
  final SessionEventFanOut fanOut = new SessionEventFanOut(hub);
  final SessionEngine engine;
  final Gateway gateway;
  final HttpServer upstream;
  final int upstreamPort;
  final int port;
  /** What the upstream received, in order. */
  final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();

  record Received(String method, String uri, MultiMap headers) {}

  GatewayFixture() {
    this(Gateway.Settings.defaults().withInstances(2).withUpstreamTimeout(Duration.ofSeconds(3)));
  }

  GatewayFixture(Gateway.Settings settings) {
    this(settings, false);
  }

  /** @param withMcp also a {@code kind: mcp} route {@code /mcp} in front of the same upstream (audience {@code mcp:/mcp}) */
  GatewayFixture(Gateway.Settings settings, boolean withMcp) {
    Policies policies = new Policies(List.of(
        Policy.of("default", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 2),
        Policy.of("strict", Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofMinutes(1), 0)), "default");
    engine = new SessionEngine(clock, "node-1", policies, sink, fanOut, null, SessionEngine.Limits.defaults());
    upstream = await(vertx.createHttpServer().requestHandler(this::upstream).listen(0, "127.0.0.1"));
    upstreamPort = upstream.actualPort();
    String up = "http://127.0.0.1:" + upstreamPort;
    List<GatewayRoute> routes = new java.util.ArrayList<>(List.of(
        route("/", up, null, "/login", true, List.of("/api/poll")),
        route("/strict", up, "strict", "/login", false, List.of()),
        route("/down", "http://127.0.0.1:" + freePort(), null, "/login", false, List.of())));
    if (withMcp) {
      routes.add(0, new GatewayRoute.Mcp(dev.curfew.gateway.mcp.McpRoute.of("/mcp", up + "/mcp", null), null));
    }
    gateway = new Gateway(vertx, dev.curfew.core.SessionStore.of(engine), hub, routes, settings);
    fanOut.addEndingListener(gateway.endings());
    port = await(gateway.listen("127.0.0.1", 0));
  }

  void advance(Duration d) {
    clock.advance(d);
    engine.advanceTimers();
  }

  static GatewayRoute.Web route(String path, String upstream, String policy, String login,
      boolean handoff, List<String> passive) {
    return new GatewayRoute.Web(path, java.net.URI.create(upstream), policy, login, handoff, passive, COOKIE);
  }

  static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The upstream app: a login that hands off, a slow path, a stream, a WebSocket, and an echo of all else. */
  private void upstream(HttpServerRequest req) {
    if (req.path().equals("/ws") && req.canUpgradeToWebSocket()) {
      received.add(new Received("WS", req.uri(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers())));
      req.toWebSocket().onSuccess(ws -> ws.textMessageHandler(ws::writeTextMessage));
      return;
    }
    received.add(new Received(req.method().name(), req.uri(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers())));
    switch (req.path()) {
      case "/login" -> {
        String subject = req.getParam("as", "alice");
        req.response().putHeader("Curfew-Login", "subject=" + subject).putHeader("Content-Type", "text/html")
            .end("<p>welcome</p>");
      }
      case "/strict/login-other" -> req.response().putHeader("Curfew-Login", "subject=mallory").end("no handoff here");
      // A login handoff outside the login path: the app switches the signed-in user (issue 12, item 8).
      // Its body streams in two parts, so that an exchange cut on the way would show.
      case "/account/switch" -> {
        req.response().setChunked(true).putHeader("Curfew-Login", "subject=" + req.getParam("as", "bob"))
            .putHeader("Content-Type", "text/plain").write("swi");
        vertx.setTimer(200, t -> req.response().end("tched"));
      }
      case "/slow" -> { } // never answers
      case "/own-headers" -> req.response().putHeader("X-Frame-Options", "DENY")
          .putHeader("Content-Security-Policy", "default-src 'self'").putHeader("Referrer-Policy", "no-referrer")
          .putHeader("X-Content-Type-Options", "nosniff").putHeader("Strict-Transport-Security", "max-age=5")
          .end("the app's own security headers");
      case "/stream" -> {
        req.response().setChunked(true).putHeader("Content-Type", "text/plain");
        req.response().write("first\n");
        long id = vertx.setPeriodic(50, t -> req.response().write("tick\n"));
        req.response().closeHandler(v -> vertx.cancelTimer(id));
      }
      default -> {
        JsonObject echo = new JsonObject().put("uri", req.uri());
        req.response().putHeader("Content-Type", "application/json")
            .putHeader("Cache-Control", "public, max-age=3600")
            .end(echo.encode());
      }
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  HttpResponse<String> get(String path, String... headers) {
    return send("GET", path, headers);
  }

  HttpResponse<String> send(String method, String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT)
        .method(method, HttpRequest.BodyPublishers.noBody());
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A session opened by the engine for every route of the fixture (as an app opening sessions for its site would): its token. */
  String login(String subject) {
    return engine.open(subject, null, java.util.Map.of(),
        dev.curfew.core.Audience.of("route:/", "route:/strict", "route:/down"), "app-backend").token();
  }

  /** A session opened for one route only, as that route's login handoff would: its token. */
  String login(String subject, String routePath) {
    return engine.open(subject, null, java.util.Map.of(), dev.curfew.core.Audience.route(routePath),
        "gateway:" + routePath).token();
  }

  static String cookie(String token) {
    return COOKIE + "=" + token;
  }

  Received lastReceived() throws InterruptedException {
    Received r = received.poll(30, TimeUnit.SECONDS);
    if (r == null) throw new AssertionError("the upstream received nothing");
    return r;
  }

  static <T> T await(io.vertx.core.Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    await(gateway.close());
    await(vertx.close());
  }
}

package dev.curfew.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import dev.curfew.server.http.ApiKey;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.gateway.Gateway;
import dev.curfew.server.gateway.GatewayRoute;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.metrics.CurfewMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Curfew as a browser meets it: a real engine on the system clock with its deadline driver, the
 * real gateway in front of the test app (login handoff on {@code /login/as}, {@code /beacon}
 * passive), reached as {@code http://localhost:<port>} so that Chromium accepts the {@code __Host-}
 * cookie without TLS, and the API on the same engine for the tests' own checks.
 *
 * <p>Policies are short so that the tests are: {@code fast} warns 5 s before an 8 s idle timeout
 * (production policies must give at least 20 s: WCAG 2.2 SC 2.2.1), {@code fixed} allows no
 * extension and warns as soon, but 37 s before its 40 s idle timeout: its test never waits for the
 * end, and a loaded machine must not reach it while the test still checks the session is live;
 * {@code single} allows one session per subject; {@code resumable} is {@code fast} with a
 * {@code resume_within} of one minute.
 */
final class Fixture implements AutoCloseable {
  static final String KEY = "browser-test-key-0123456789";
  static final ObjectMapper JSON = new ObjectMapper();
  static final String COOKIE = "__Host-curfew";
  static final String LOGIN_PATH = "/login";
  /** The second route: its own login page ({@code /other/signin}); its pages' curfew.js names no login path. */
  static final String OTHER = "/other";

  final Vertx vertx = Vertx.vertx();
  final MemoryAuditSink sink = new MemoryAuditSink();
  final EventHub hub = new EventHub(vertx);
  final SessionEventFanOut events = new SessionEventFanOut(hub);
  final SessionEngine engine;
  final DeadlineDriver deadlines;
  final ApiServer api;
  final int apiPort;
  final TestApp app;
  final Gateway gateway;
  final int gatewayPort;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  Fixture() {
    Policies policies = new Policies(List.of(
        Policy.of("fast", Duration.ofSeconds(8), Duration.ofMinutes(10), Duration.ofSeconds(5), 5),
        Policy.of("fixed", Duration.ofSeconds(40), Duration.ofMinutes(10), Duration.ofSeconds(37), 0),
        // One session per subject: a newer one displaces the older (max_sessions_per_subject, end_oldest).
        Policy.of("single", Duration.ofMinutes(1), Duration.ofMinutes(10), Duration.ofSeconds(5), 5)
            .withConcurrency(dev.curfew.core.ConcurrencyLimit.of(1, "end_oldest", null)),
        // As fast, and a sign-in within a minute of an idle expiry resumes the session (resume_within).
        Policy.of("resumable", Duration.ofSeconds(8), Duration.ofMinutes(10), Duration.ofSeconds(5), 5)
            .withResumeWithin(Duration.ofMinutes(1))), "fast");
    CurfewMetrics metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    engine = new SessionEngine(new SystemClock(), "web-test", policies, sink, events, metrics,
        SessionEngine.Limits.defaults());
    deadlines = new DeadlineDriver(engine).start();
    api = new ApiServer(vertx, dev.curfew.core.SessionStore.of(engine), hub, ApiKeys.of(List.of(ApiKey.ofSecret("app", KEY))), null, metrics,
        ApiServer.Settings.defaults().withInstances(1).withHeartbeat(Duration.ofSeconds(5)));
    // An explicit port: ApiServer and Gateway both map port 0 to Vert.x's shared random port (-1),
    // so in one Vert.x instance two listeners on 0 would become one server with two routers.
    apiPort = await(api.listen("127.0.0.1", freePort()));
    app = new TestApp(vertx);
    GatewayRoute route = new GatewayRoute.Web("/", URI.create("http://127.0.0.1:" + app.port), null, LOGIN_PATH, true,
        List.of("/beacon"), COOKIE);
    // A second app under /other, whose login page is its own and whose pages name none (TestApp).
    GatewayRoute other = new GatewayRoute.Web(OTHER, URI.create("http://127.0.0.1:" + app.port), null,
        OTHER + "/signin", true, List.of(OTHER + "/beacon"), COOKIE);
    gateway = new Gateway(vertx, dev.curfew.core.SessionStore.of(engine), hub, List.of(route, other),
        Gateway.Settings.defaults().withInstances(1).withHeartbeat(Duration.ofSeconds(5)));
    events.addEndingListener(gateway.endings());
    gatewayPort = await(gateway.listen("127.0.0.1", 0));
  }

  /** A URL on the gateway, as the browser sees it. */
  String url(String pathAndQuery) {
    return "http://localhost:" + gatewayPort + pathAndQuery;
  }

  /** The login handoff URL: the app signs {@code subject} in under {@code policy}, then shows {@code page}. */
  String login(String subject, String policy, String page) {
    return url("/login/as?subject=" + subject + "&policy=" + policy + "&return="
        + java.net.URLEncoder.encode(page, java.nio.charset.StandardCharsets.UTF_8));
  }

  /** GET /v1/session with the token as bearer: the status body, or the 401 problem. */
  Answer holderStatus(String token) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/v1/session"))
        .header("Authorization", "Bearer " + token));
  }

  /** DELETE /v1/sessions/{id} with the API key: an admin revokes the session. */
  Answer revoke(String sessionId) {
    return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/v1/sessions/" + sessionId))
        .header("Authorization", "Bearer " + KEY).DELETE());
  }

  record Answer(int status, JsonNode body) {}

  private Answer send(HttpRequest.Builder b) {
    try {
      HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
      return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    await(gateway.close());
    app.close();
    await(api.close());
    deadlines.close();
    await(vertx.close());
  }
}

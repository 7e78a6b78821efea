package dev.curfew.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.AuditLogReader;
import dev.curfew.core.AuditSink;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.server.metrics.CurfewMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real server on an ephemeral port, over an engine on a manual clock with an in-memory audit
 * sink. Requests go through java.net.http, so they cross a real socket.
 */
final class ApiFixture implements AutoCloseable {
  static final String KEY = "k3y-for-tests-0123456789";
  /** Where the sessions of the key "app-backend" (KEY) are used: what the forward-auth proxy and the gateway key name. */
  static final dev.curfew.core.Audience BACKEND_PLACES = dev.curfew.core.Audience.of("app:app-backend");
  static final String OTHER_KEY = "second-key-abcdef";
  /** Keys with one scope each (and one with two), named after what they hold. */
  static final String APP_KEY = "scoped-app-key-0001";
  static final String GATEWAY_KEY = "scoped-gateway-key-0002";
  static final String AUDITOR_KEY = "scoped-auditor-key-0003";
  static final String APP_AUDITOR_KEY = "scoped-app-auditor-key-0004";
  static final ObjectMapper JSON = new ObjectMapper();
  // A bound on a hang, not on speed: on a shared 2-core machine at load 20+ a first request took
  // more than 5 s (ApiExtremeValuesTest's start timed out), so 5 s failed by chance.
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  final Vertx vertx = Vertx.vertx();
  final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T22:00:00.000Z"));
  final MemoryAuditSink sink = new MemoryAuditSink();
  final ControlledSink durability = new ControlledSink(sink);
  final CurfewMetrics metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  final EventHub hub;
  final SessionEngine engine;
  final ApiServer server;
  final int port;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();

  ApiFixture() {
    this(ApiServer.Settings.defaults().withInstances(2), 3);
  }

  ApiFixture(ApiServer.Settings settings, int maxStreamsPerSession) {
    this(settings, maxStreamsPerSession, true);
  }

  ApiFixture(ApiServer.Settings settings, int maxStreamsPerSession, boolean withAuditLog) {
    this(settings, maxStreamsPerSession, withAuditLog, true);
  }

  /** @param publishing false: the engine's session events reach no stream (an ending whose event is lost) */
  ApiFixture(ApiServer.Settings settings, int maxStreamsPerSession, boolean withAuditLog, boolean publishing) {
    hub = new EventHub(vertx, maxStreamsPerSession, 1000);
    Policies policies = new Policies(List.of(
        Policy.of("default", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 2),
        Policy.of("strict", Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofMinutes(1), 0)), "default");
    engine = new SessionEngine(clock, "node-1", policies, durability,
        publishing ? hub : dev.curfew.core.SessionEvents.NONE, metrics, SessionEngine.Limits.defaults());
    server = new ApiServer(vertx, dev.curfew.core.SessionStore.of(engine), hub,
        ApiKeys.of(List.of(ApiKey.ofSecret("app-backend", KEY), ApiKey.ofSecret("admin", OTHER_KEY),
            // The app and the gateway serve the place of the app-backend's sessions.
            ApiKey.ofSecret("app", APP_KEY, Set.of(Scope.APP)).withAudience(BACKEND_PLACES),
            ApiKey.ofSecret("gateway", GATEWAY_KEY, Set.of(Scope.GATEWAY)).withAudience(BACKEND_PLACES),
            ApiKey.ofSecret("auditor", AUDITOR_KEY, Set.of(Scope.AUDITOR)),
            ApiKey.ofSecret("app-auditor", APP_AUDITOR_KEY, Set.of(Scope.APP, Scope.AUDITOR)))),
        withAuditLog ? new MemoryAuditLog(sink) : null, metrics, settings);
    try {
      port = server.listen("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("server did not start", e);
    }
  }

  /** Writes to the memory sink, but the durability of what it writes can be made to fail or never come. */
  static final class ControlledSink implements AuditSink {
    enum Mode { DURABLE, FAIL, NEVER }

    private final MemoryAuditSink sink;
    volatile Mode mode = Mode.DURABLE;

    ControlledSink(MemoryAuditSink sink) {
      this.sink = sink;
    }

    @Override
    public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
      CompletableFuture<Void> written = sink.append(records, bindings);
      return switch (mode) {
        case DURABLE -> written;
        case FAIL -> CompletableFuture.supplyAsync(() -> {
          throw new IllegalStateException("fsync failed");
        });
        case NEVER -> new CompletableFuture<>();
      };
    }

    @Override
    public boolean writable() {
      return sink.writable();
    }
  }

  /** The tiny adapter the brief asks for: an AuditLogReader over MemoryAuditSink.lines(). */
  static final class MemoryAuditLog implements AuditLogReader {
    private final MemoryAuditSink sink;

    MemoryAuditLog(MemoryAuditSink sink) {
      this.sink = sink;
    }

    @Override
    public long size() {
      return sink.lines().size();
    }

    @Override
    public void scan(long fromSeq, Predicate<String> visitor) {
      List<String> lines = sink.lines();
      for (long i = Math.max(0, fromSeq); i < lines.size(); i++) {
        if (!visitor.test(lines.get((int) i))) return;
      }
    }
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(uri(path)).timeout(TIMEOUT);
  }

  HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A request with an arbitrary method and optional JSON body; headers as name, value pairs. */
  HttpResponse<String> call(String method, String path, String body, String... headers) {
    HttpRequest.Builder b = request(path).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "application/json");
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b);
  }

  /** A backend call with the API key. */
  HttpResponse<String> backend(String method, String path, String body) {
    return call(method, path, body, "Authorization", "Bearer " + KEY);
  }

  /** A form-encoded backend POST (RFC 7662 / 7009 style). */
  HttpResponse<String> form(String path, String form) {
    return send(request(path).POST(HttpRequest.BodyPublishers.ofString(form))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Authorization", "Bearer " + KEY));
  }

  /** A holder call with the session token as bearer. */
  HttpResponse<String> holder(String method, String path, String token) {
    return call(method, path, null, "Authorization", "Bearer " + token);
  }

  record Created(String token, String sessionId, JsonNode body) {}

  Created open(String subject) {
    HttpResponse<String> r = backend("POST", "/v1/sessions", "{\"subject\":\"" + subject + "\"}");
    if (r.statusCode() != 201) throw new AssertionError("create: " + r.statusCode() + " " + r.body());
    JsonNode n = json(r);
    return new Created(n.get("token").asText(), n.get("session_id").asText(), n);
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  void advance(Duration d) {
    clock.advance(d);
    engine.advanceTimers();
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}

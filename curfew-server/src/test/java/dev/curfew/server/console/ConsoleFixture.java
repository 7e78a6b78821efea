package dev.curfew.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.server.http.ApiKey;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.metrics.CurfewMetrics;
import dev.curfew.store.embedded.EmbeddedStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The console as {@code curfew serve} wires it: an engine on a manual clock over a real embedded
 * store (audit files, Merkle tree, checkpoints, session index) in a temporary directory, the API
 * with the console mounted, reached over a real socket.
 */
final class ConsoleFixture implements AutoCloseable {
  static final String KEY = "console-test-key-0123456789abcdef";
  static final String AUDITOR_KEY = "auditor-test-key-0123456789abcdef";
  /** A key of scope app only (named "shop"): it opens sessions, and must reach no admin power. */
  static final String SHOP_KEY = "shop-app-key-0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();

  final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T22:00:00.000Z"));
  final Vertx vertx = Vertx.vertx();
  final CurfewMetrics metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  final EmbeddedStore store;
  final EventHub hub = new EventHub(vertx);
  final SessionEngine engine;
  final ApiServer api;
  final Console console;
  final int port;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  ConsoleFixture(Path dir) throws Exception {
    store = EmbeddedStore.open(dir, EmbeddedStore.Options.defaults().withClock(clock)
        .withLogMetrics((nanos, records) -> metrics.auditRecords(records)), "node-1");
    Policies policies = new Policies(ConsolePolicy.withConsole(List.of(
        Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3))), "standard");
    engine = new SessionEngine(clock, "node-1", policies, store.log(), hub, metrics, SessionEngine.Limits.defaults());
    store.recover(engine);
    ApiKeys keys = ApiKeys.of(List.of(ApiKey.ofSecret("app", KEY), ApiKey.ofSecret("auditor", AUDITOR_KEY),
        ApiKey.ofSecret("shop", SHOP_KEY, java.util.Set.of(dev.curfew.server.http.Scope.APP))));
    ConsoleScope.Resolver scopes = name -> switch (name) {
      case "app" -> Optional.of(ConsoleScope.ADMIN);
      case "auditor" -> Optional.of(ConsoleScope.AUDITOR);
      default -> Optional.empty();
    };
    api = new ApiServer(vertx, dev.curfew.core.SessionStore.of(engine), hub, keys, store.log(), metrics, ApiServer.Settings.defaults().withInstances(1),
        store.auditTrail());
    console = new Console(vertx, dev.curfew.core.SessionStore.of(engine), engine.clock(), hub, keys, scopes, AuditView.embedded(store), metrics);
    api.extend(console::mount);
    port = api.listen("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** A signed-in operator: the console cookie's token and the CSRF token. */
  record Operator(String token, String csrf, String sessionId) {}

  Operator signIn(String key) {
    HttpResponse<String> r = form("/console/login", "api_key=" + enc(key) + "&return=" + enc("/console/sessions"),
        "Sec-Fetch-Site", "same-origin", "Origin", "http://127.0.0.1:" + port);
    if (r.statusCode() != 303) throw new AssertionError("sign-in answered " + r.statusCode() + ": " + r.body());
    String cookie = r.headers().firstValue("Set-Cookie").orElseThrow();
    String token = cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
    JsonNode me = json(get("/console/api/me", token));
    return new Operator(token, me.get("csrf").asText(), me.get("session").get("session_id").asText());
  }

  /** The app opens a session for {@code subject} through the API. */
  JsonNode open(String subject) {
    return json(send(HttpRequest.newBuilder(uri("/v1/sessions")).header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"" + subject + "\",\"policy\":\"standard\"}"))));
  }

  HttpResponse<String> get(String path, String token, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
    if (token != null) b.header("Cookie", ConsoleGuard.COOKIE + "=" + token);
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b);
  }

  /** A console change, as the page makes it: same origin, the cookie, the CSRF token. */
  HttpResponse<String> change(String method, String path, Operator op, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Cookie", ConsoleGuard.COOKIE + "=" + op.token())
        .header("Sec-Fetch-Site", "same-origin")
        .header("X-Curfew-CSRF", op.csrf());
    if (body != null) b.header("Content-Type", "application/json");
    for (int i = 0; i < headers.length; i += 2) b.setHeader(headers[i], headers[i + 1]);
    return send(b);
  }

  HttpResponse<String> form(String path, String body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return send(b);
  }

  /** The audit log's records, parsed, in seq order. */
  List<Map<String, Object>> records() throws IOException {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    store.log().scan(0, line -> out.add(dev.curfew.core.audit.Json.parseObject(line)) || true);
    return out;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  HttpResponse<String> send(HttpRequest.Builder b) {
    try {
      return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static JsonNode json(HttpResponse<String> r) {
    try {
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new AssertionError("not JSON (" + r.statusCode() + "): " + r.body(), e);
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws Exception {
    console.close();
    api.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    store.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}

package dev.curfew.web;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import dev.curfew.server.console.AuditView;
import dev.curfew.server.console.Console;
import dev.curfew.server.console.ConsolePolicy;
import dev.curfew.server.console.ConsoleScope;
import dev.curfew.server.http.ApiKey;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.metrics.CurfewMetrics;
import dev.curfew.store.embedded.EmbeddedStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The admin console as {@code curfew serve} runs it: the engine on the system clock with its
 * deadline driver, the embedded store (audit files, Merkle tree, checkpoints, session index) in a
 * temporary directory, the API with the console mounted, at {@code http://localhost:<port>} (so
 * that Chromium keeps the {@code __Host-} cookie without TLS).
 *
 * <p>Keys: {@code admin} (scope admin) and {@code auditor} (scope auditor). Policies: {@code
 * standard} (production-like), and {@code demo} (idle 6 s, warned 3 s before) so that a session
 * lives a whole life within a test. {@code consolePolicy}, when given, replaces the console's own.
 */
final class ConsoleServer implements AutoCloseable {
  static final String ADMIN_KEY = "console-admin-key-0123456789abcdef";
  static final String AUDITOR_KEY = "console-auditor-key-0123456789abcdef";

  final Path dir;
  final Vertx vertx = Vertx.vertx();
  final EmbeddedStore store;
  final SessionEngine engine;
  final DeadlineDriver deadlines;
  final ApiServer api;
  final Console console;
  final int port;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  ConsoleServer(Policy consolePolicy) throws Exception {
    dir = Files.createTempDirectory("curfew-console-test-");
    CurfewMetrics metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    SystemClock clock = new SystemClock();
    store = EmbeddedStore.open(dir, EmbeddedStore.Options.defaults().withClock(clock).withLogMetrics((nanos, records) -> {
      metrics.auditFsync(nanos);
      metrics.auditRecords(records);
    }), "node-1");
    EventHub hub = new EventHub(vertx);
    SessionEventFanOut events = new SessionEventFanOut(hub);
    List<Policy> configured = new ArrayList<>(List.of(
        Policy.builder("standard").idleTimeout(Duration.ofMinutes(15)).absoluteTimeout(Duration.ofHours(12))
            .warnBefore(Duration.ofMinutes(2)).maxExtensions(10)
            .complyWith(List.of("pci-dss-4.0", "nist-800-63b-aal2", "wcag-2.2")).build(),
        Policy.of("demo", Duration.ofSeconds(6), Duration.ofMinutes(1), Duration.ofSeconds(3), 3)));
    if (consolePolicy != null) configured.add(consolePolicy);
    engine = new SessionEngine(clock, "node-1", new Policies(ConsolePolicy.withConsole(configured), "standard"),
        store.log(), events, metrics, SessionEngine.Limits.defaults());
    store.recover(engine);
    deadlines = new DeadlineDriver(engine).start();
    ApiKeys keys = ApiKeys.of(List.of(ApiKey.ofSecret("admin", ADMIN_KEY), ApiKey.ofSecret("auditor", AUDITOR_KEY)));
    api = new ApiServer(vertx, dev.curfew.core.SessionStore.of(engine), hub, keys, store.log(), metrics,
        ApiServer.Settings.defaults().withInstances(1).withHeartbeat(Duration.ofSeconds(5)), store.auditTrail());
    api.readiness(new dev.curfew.server.http.Readiness(store.log(), store::outages)); // as serve wires it: the overview reads it
    console = new Console(vertx, dev.curfew.core.SessionStore.of(engine), engine.clock(), hub, keys,
        name -> name.equals("admin") ? Optional.of(ConsoleScope.ADMIN)
            : name.equals("auditor") ? Optional.of(ConsoleScope.AUDITOR) : Optional.empty(),
        AuditView.embedded(store), metrics);
    api.extend(console::mount);
    port = Fixture.await(api.listen("127.0.0.1", Fixture.freePort()));
  }

  String url(String path) {
    return "http://localhost:" + port + path;
  }

  /** The app opens a session through the API: its body, with the token. */
  JsonNode open(String subject, String policy) {
    return send("POST", "/v1/sessions", "{\"subject\":\"" + subject + "\",\"policy\":\"" + policy + "\"}", ADMIN_KEY).body();
  }

  /** A backend call with an API key (null: none); a session token may stand in for it on holder endpoints. */
  Fixture.Answer send(String method, String path, String body, String bearer) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .timeout(Duration.ofSeconds(10));
    if (body != null) b.header("Content-Type", "application/json");
    if (bearer != null) b.header("Authorization", "Bearer " + bearer);
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Fixture.Answer(r.statusCode(), r.body().isEmpty() ? null : Fixture.JSON.readTree(r.body()));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The audit log's lines. */
  List<String> lines() {
    List<String> out = new ArrayList<>();
    try {
      store.log().scan(0, out::add);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    console.close();
    Fixture.await(api.close());
    deadlines.close();
    store.close();
    Fixture.await(vertx.close());
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}

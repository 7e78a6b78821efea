package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.tracing.HttpSpans;
import dev.curfew.server.tracing.TracedSessionStore;
import dev.curfew.server.tracing.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tracing:} in {@code curfew serve}: API requests, gateway requests and the store calls they
 * make are spans (route, status, session outcome; never a token or a key), exported over OTLP/HTTP
 * when enabled, and nothing is sent when it is not.
 */
class ServeTracingTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  /** A tiny OTLP/HTTP receiver: what was posted to /v1/traces (the gateway's upstream too, never reached). */
  private HttpServer receiver;
  private final List<byte[]> exports = new CopyOnWriteArrayList<>();
  private final List<String> exportTypes = new CopyOnWriteArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private ServeCommand.Running running;

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/v1/traces", ex -> {
      exports.add(ex.getRequestBody().readAllBytes());
      exportTypes.add(String.valueOf(ex.getRequestHeaders().getFirst("Content-Type")));
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    receiver.start();
  }

  @AfterEach
  void stop() {
    if (running != null) running.stop(quiet());
    receiver.stop(0);
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  private CurfewConfig config(boolean enabled) {
    String upstream = "http://127.0.0.1:" + receiver.getAddress().getPort();
    return CurfewConfig.parse("server: {host: 127.0.0.1}\n"
        + "gateway:\n  port: 0\n  routes:\n    - {path: /app, upstream: \"" + upstream + "\", login_path: /app/login}\n"
        + "tracing:\n  enabled: " + enabled + "\n  endpoint: \"" + upstream + "/v1/traces\"\n  service_name: curfew-test\n")
        .withOverrides(0, dir.resolve("data"));
  }

  /**
   * Opens a session, reads it passively, is refused with a made-up token, and takes the session to
   * the gateway, where it is refused too: it was opened for the app's key, not for the route.
   */
  private String exercise() throws Exception {
    String key = Files.readString(dir.resolve("data").resolve(KeyBootstrap.KEY_FILE)).trim();
    String api = "http://127.0.0.1:" + running.port;
    HttpResponse<String> opened = http.send(HttpRequest.newBuilder(URI.create(api + "/v1/sessions"))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"alice\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);
    String token = JSON.readTree(opened.body()).get("token").asText();
    assertThat(get(api + "/v1/session", "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);
    assertThat(get(api + "/v1/session", "Authorization", "Bearer cft_notatoken").statusCode()).isEqualTo(401);
    HttpResponse<String> app = get("http://127.0.0.1:" + running.gatewayPort + "/app/page", "Cookie", "__Host-curfew=" + token);
    assertThat(app.statusCode()).as(app.body()).isEqualTo(403);
    return token + "\n" + key;
  }

  private HttpResponse<String> get(String url, String header, String value) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).header(header, value).timeout(WAIT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void requestsAndTheirStoreCallsAreSpansWithRouteStatusAndOutcome_neverTheToken() throws Exception {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    running = ServeCommand.start(config(false), quiet(), Tracing.exportingTo(spans, "curfew-test"));
    String[] secrets = exercise().split("\n");

    Awaitility.await("the gateway's span").atMost(WAIT).until(() -> spans.getFinishedSpanItems().stream()
        .anyMatch(s -> "gateway".equals(s.getAttributes().get(HttpSpans.SERVER))));
    List<SpanData> all = spans.getFinishedSpanItems();
    SpanData open = server(all, "POST /v1/sessions", 201);
    SpanData status = server(all, "GET /v1/session", 200);
    SpanData refused = server(all, "GET /v1/session", 401);
    SpanData gateway = server(all, "GET /app", 403);
    assertThat(open.getAttributes().get(TracedSessionStore.OUTCOME)).isEqualTo("allowed");
    assertThat(refused.getAttributes().get(TracedSessionStore.OUTCOME)).isEqualTo("ended");
    assertThat(refused.getAttributes().get(TracedSessionStore.REASON)).isEqualTo("unknown");
    assertThat(gateway.getAttributes().get(HttpSpans.ROUTE)).isEqualTo("/app");
    assertThat(gateway.getAttributes().get(TracedSessionStore.OUTCOME)).isEqualTo("wrong_audience");

    // Each request's store call is its child, with the operation and the outcome.
    assertThat(child(all, open).getName()).isEqualTo("curfew.store open");
    assertThat(child(all, status).getAttributes().get(TracedSessionStore.OPERATION)).isEqualTo("check_passive");
    assertThat(child(all, refused).getAttributes().get(TracedSessionStore.OUTCOME)).isEqualTo("ended");
    SpanData gatewayCheck = child(all, gateway);
    assertThat(gatewayCheck.getAttributes().get(TracedSessionStore.OPERATION)).isEqualTo("check");
    assertThat(gatewayCheck.getAttributes().get(TracedSessionStore.STORE)).isEqualTo("embedded");
    assertThat(gatewayCheck.getResource().getAttribute(AttributeKey.stringKey("service.name"))).isEqualTo("curfew-test");

    for (SpanData s : all) {
      assertThat(s.getName() + " " + s.getAttributes()).as("span %s", s.getName())
          .doesNotContain(secrets[0]).doesNotContain(secrets[1]).doesNotContain("cft_notatoken").doesNotContain("alice");
    }
  }

  private static SpanData server(List<SpanData> all, String name, long statusCode) {
    return all.stream().filter(s -> s.getKind() == SpanKind.SERVER && s.getName().equals(name)
        && Long.valueOf(statusCode).equals(s.getAttributes().get(HttpSpans.STATUS))).findFirst()
        .orElseThrow(() -> new AssertionError("no span " + name + " " + statusCode + " among " + all));
  }

  private static SpanData child(List<SpanData> all, SpanData parent) {
    return all.stream().filter(s -> s.getParentSpanId().equals(parent.getSpanId())
        && s.getTraceId().equals(parent.getTraceId())).findFirst()
        .orElseThrow(() -> new AssertionError("no child of " + parent.getName() + " among " + all));
  }

  @Test
  void enabledInTheConfiguration_spansReachAnOtlpHttpReceiver() throws Exception {
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    running = ServeCommand.start(config(true), new PrintStream(log, true, StandardCharsets.UTF_8));
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("traces exported over OTLP/HTTP to http://127.0.0.1:");
    String[] secrets = exercise().split("\n");

    // OTLP/HTTP bodies are protobuf, whose strings are their UTF-8 bytes: the names can be read in them.
    Awaitility.await("spans at the receiver").atMost(WAIT).until(() -> exported().contains("GET /app")
        && exported().contains("POST /v1/sessions") && exported().contains("curfew.store check"));
    assertThat(exportTypes).allMatch(t -> t.startsWith("application/x-protobuf"));
    assertThat(exported()).contains("curfew-test", "http.route", "http.response.status_code", "curfew.session.outcome")
        .doesNotContain(secrets[0]).doesNotContain(secrets[1]);
  }

  private String exported() {
    StringBuilder all = new StringBuilder();
    for (byte[] b : exports) all.append(new String(b, StandardCharsets.ISO_8859_1));
    return all.toString();
  }

  @Test
  void offByDefault_nothingIsSent() throws Exception {
    assertThat(CurfewConfig.defaults().tracing().enabled()).isFalse();
    assertThat(Tracing.fromConfig(CurfewConfig.defaults().tracing()).enabled()).isFalse();
    running = ServeCommand.start(config(false), quiet());
    exercise();
    // A stop sends whatever spans are waiting (Tracing.close); with tracing off there are none.
    running.stop(quiet());
    running = null;
    assertThat(exports).isEmpty();
  }
}

package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.security.LeakScanner;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code curfew serve} process through a whole scenario: sessions opened, checked,
 * touched, extended, rotated (and the old token replayed), logged out, revoked (by id, by RFC 7009,
 * by subject), expired; the gateway's login handoff, pages, passive polls and same-origin endpoints;
 * failed checks of every kind; rate-limit refusals; audit queries and evidence; webhooks; a clean
 * stop. Every token any answer carried is collected. Then every file in the data directory, the
 * process's stdout and stderr (with every logger at its most verbose), everything the app behind
 * the gateway and the webhook receiver were sent, and what the audit and metrics endpoints serve,
 * are searched for each token in every form {@link LeakScanner} knows, and for the API keys and
 * the webhook secret. One hit fails the test.
 */
class TokenLeakTest {
  private static final Pattern TOKEN = Pattern.compile("cft_[A-Za-z0-9_-]{43}");
  private static final Pattern LISTENING = Pattern.compile("API listening on http://[^:]+:(\\d+)");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** Every token seen in any answer, in order. */
  private final Set<String> tokens = new LinkedHashSet<>();
  /** Every API answer body that is not the one issuing a token (audit, metrics, evidence). */
  private final List<String> served = new ArrayList<>();
  /** What the apps (upstream, webhook receiver) were sent. */
  private final List<String> sentToApps = new CopyOnWriteArrayList<>();
  private final Map<String, String> keys = new LinkedHashMap<>();
  private int api;
  private int gateway;

  @Test
  void aFullScenarioLeavesNoTokenInAnyFileLogOrMessage() throws Exception {
    for (String k : List.of("admin", "app", "gateway", "auditor")) keys.put(k, secret("key_" + k + "_"));
    String webhookSecret = secret("whsec_");
    Vertx vertx = Vertx.vertx();
    int upstream = listen(vertx, this::upstream);
    int hooks = listen(vertx, req -> req.body().onSuccess(b -> {
      sentToApps.add("webhook " + req.headers() + "\n" + b);
      req.response().setStatusCode(204).end();
    }));
    gateway = freePort();
    Path data = dir.resolve("data");
    Path config = Files.writeString(dir.resolve("curfew.yaml"), String.join("\n",
        "server: {host: 127.0.0.1}",
        "api_keys:",
        "  - {name: admin, key_env: LEAK_ADMIN_KEY}",
        "  - {name: app, key_env: LEAK_APP_KEY, scopes: [app]}",
        "  - {name: edge, key_env: LEAK_GATEWAY_KEY, scopes: [gateway], audience: [\"app:app\"]}",
        "  - {name: auditor, key_env: LEAK_AUDITOR_KEY, scopes: [auditor]}",
        "default_policy: standard",
        "policies:",
        "  standard: {idle_timeout: 10m, absolute_timeout: 1h, warn_before: 1m, max_extensions: 3}",
        "  rotating: {idle_timeout: 10m, absolute_timeout: 1h, warn_before: 1m, max_extensions: 3, renew_every: 1s}",
        "  short: {idle_timeout: 1500ms, absolute_timeout: 1h, warn_before: 500ms}",
        "snapshot_interval: 1s",
        "notify: {max_attempts: 1, webhooks: [{url: \"http://127.0.0.1:" + hooks + "/ended\", secret_env: LEAK_WEBHOOK_SECRET}]}",
        "gateway:",
        "  port: " + gateway,
        "  routes:",
        "    - {path: /, upstream: \"http://127.0.0.1:" + upstream + "\", login_path: /login, login_handoff: true,"
            + " passive_paths: [/api/poll]}",
        ""));
    Path logging = Files.writeString(dir.resolve("logging.properties"),
        "handlers=java.util.logging.ConsoleHandler\n.level=ALL\njava.util.logging.ConsoleHandler.level=ALL\n");
    Path stdout = dir.resolve("stdout.log");
    Path stderr = dir.resolve("stderr.log");
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-Djava.util.logging.config.file=" + logging, "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "serve", "--config", config.toString(), "--port", "0", "--data", data.toString())
        .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    pb.environment().remove("CURFEW_API_KEY");
    pb.environment().put("LEAK_ADMIN_KEY", keys.get("admin"));
    pb.environment().put("LEAK_APP_KEY", keys.get("app"));
    pb.environment().put("LEAK_GATEWAY_KEY", keys.get("gateway"));
    pb.environment().put("LEAK_AUDITOR_KEY", keys.get("auditor"));
    pb.environment().put("LEAK_WEBHOOK_SECRET", webhookSecret);
    Process process = pb.start();
    try {
      api = awaitPort(process, stdout);
      scenario();
    } finally {
      process.destroy(); // SIGTERM: a clean stop, with its final snapshot and checkpoint
      if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    assertThat(Files.readString(stdout)).contains("stopped (final snapshot written");
    assertThat(Files.size(stderr)).as("the loggers wrote something to scan").isPositive();
    assertThat(tokens).as("tokens issued in the scenario").hasSizeGreaterThan(25);

    Map<String, String> secrets = new LinkedHashMap<>();
    int n = 0;
    for (String t : tokens) secrets.put("token #" + n++, t);
    keys.forEach((name, k) -> secrets.put("API key " + name, k));
    secrets.put("webhook secret", webhookSecret);
    LeakScanner plain = LeakScanner.of(secrets, false);
    LeakScanner hashed = LeakScanner.withHashes(secrets);
    List<LeakScanner.Hit> hits = new ArrayList<>(plain.scanTree(data));
    hits.addAll(hashed.scanTree(data.resolve("audit")));
    hits.addAll(hashed.scan("stdout", Files.readAllBytes(stdout)));
    hits.addAll(hashed.scan("stderr", Files.readAllBytes(stderr)));
    for (String s : sentToApps) hits.addAll(hashed.scan("sent to an app", s.getBytes(StandardCharsets.UTF_8)));
    for (String s : served) hits.addAll(hashed.scan("served by the API", s.getBytes(StandardCharsets.UTF_8)));
    assertThat(hits).as("secrets found").isEmpty();

    // The scan reaches where hashes are meant to be (the token journal, snapshots), so it reads those files.
    List<LeakScanner.Hit> hashes = hashed.scanTree(data);
    assertThat(hashes).as("token hashes kept for recovery").isNotEmpty()
        .allSatisfy(h -> assertThat(h.form()).startsWith("SHA-256"))
        .allSatisfy(h -> assertThat(h.where()).doesNotStartWith("audit"));
    assertThat(sentToApps).anyMatch(s -> s.startsWith("webhook")).anyMatch(s -> s.startsWith("GET /home"));
  }

  private void scenario() throws Exception {
    String base = "http://127.0.0.1:" + api;
    // open: a session each, one that rotates, one that expires at once, and a subject over its open limit
    String alice = open("alice", null);
    String bob = open("bob", null);
    String carol = open("carol", "rotating");
    String dave = open("dave", "short");
    Instant daveOpened = Instant.now();
    int limited = 0;
    for (int i = 0; i < 22; i++) {
      HttpResponse<String> r = call("POST", base + "/v1/sessions", "{\"subject\":\"frank\"}", key("app"));
      if (r.statusCode() == 429) limited++;
    }
    assertThat(limited).as("frank's opens beyond the per-subject limit").isPositive();
    // the holder: status, activity, extension, warning acknowledged, the event stream
    expect(200, call("GET", base + "/v1/session", null, bearer(alice)));
    expect(200, call("POST", base + "/v1/session/activity", null, bearer(alice)));
    expect(200, call("POST", base + "/v1/session/extend", null, bearer(alice)));
    // no warning was sent yet: nothing to acknowledge
    expect(409, call("POST", base + "/v1/session/warning-ack", null, bearer(alice)));
    HttpResponse<InputStream> events = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/session/events"))
        .header("Authorization", "Bearer " + alice).build(), HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = events.body()) {
      assertThat(new String(in.readNBytes(13), StandardCharsets.UTF_8)).isEqualTo("event: status");
    }
    // backends and proxies: check, introspect, forward-auth three ways
    expect(200, call("POST", base + "/v1/check", "{\"token\":\"" + alice + "\",\"touch\":true}", key("gateway")));
    expect(200, form(base + "/v1/introspect", "token=" + alice, key("app")));
    expect(200, call("GET", base + "/v1/forward-auth", null, "X-Curfew-Audience", "app:app", "Cookie", "__Host-curfew=" + alice));
    expect(200, call("GET", base + "/v1/forward-auth/some/page", null, with(bearer(alice), "X-Curfew-Audience", "app:app")));
    expect(200, call("GET", base + "/v1/forward-auth", null, with(key("gateway"), "Cookie", "__Host-curfew=" + alice)));
    // rotation, then the rotated-out token replayed: the session ends
    Thread.sleep(1100);
    String carolNext = tokenIn(expect(200, call("POST", base + "/v1/session/activity", null, bearer(carol))));
    assertThat(carolNext).isNotEqualTo(carol);
    Thread.sleep(1100); // past the rotation grace (at most renew_every, 1 s here)
    expect(401, call("GET", base + "/v1/session", null, bearer(carol)));
    expect(401, call("GET", base + "/v1/session", null, bearer(carolNext)));
    // logout, revocation by id, RFC 7009, by subject
    expect(204, call("DELETE", base + "/v1/session", null, bearer(bob)));
    expect(401, call("GET", base + "/v1/session", null, bearer(bob)));
    String aliceId = sessionId(call("GET", base + "/v1/session", null, bearer(alice)));
    expect(204, call("DELETE", base + "/v1/sessions/" + aliceId, "{\"reason_text\":\"leak test\"}", key("admin")));
    String grace = open("grace", null);
    String heidi = open("heidi", null);
    expect(200, form(base + "/v1/revoke", "token=" + heidi, key("app")));
    expect(200, call("POST", base + "/v1/subjects/frank/revoke", null, key("admin")));
    // failed checks: unknown, malformed, a near miss of a live token, wrong keys, a token as a key
    String nearMiss = grace.substring(0, grace.length() - 1) + (grace.endsWith("A") ? "B" : "A");
    expect(401, call("GET", base + "/v1/session", null, bearer("cft_" + "Z".repeat(43))));
    expect(401, call("GET", base + "/v1/session", null, bearer(grace.substring(0, 20))));
    expect(401, call("GET", base + "/v1/session", null, bearer(nearMiss)));
    expect(401, call("POST", base + "/v1/check", "{\"token\":\"" + nearMiss + "\"}", key("gateway")));
    expect(200, form(base + "/v1/introspect", "token=" + nearMiss, key("app")));
    expect(401, call("GET", base + "/v1/forward-auth", null, "X-Curfew-Audience", "app:app", "Cookie", "__Host-curfew=" + nearMiss));
    expect(401, call("GET", base + "/v1/audit", null, "Authorization", "Bearer " + keys.get("auditor") + "x"));
    expect(401, call("POST", base + "/v1/sessions", "{\"subject\":\"x\"}", bearer(grace)));
    expect(403, call("GET", base + "/v1/audit", null, key("app")));
    expect(400, call("POST", base + "/v1/check", "{\"token\":\"" + grace + "\",\"touch\":\"yes\"}", key("gateway")));
    expect(400, call("POST", base + "/v1/check", "{\"token\":\"" + grace + "\"", key("gateway")));
    // the gateway: login handoff, pages, a passive poll, the same-origin endpoints, an unknown cookie, logout
    String gw = "http://127.0.0.1:" + gateway;
    HttpResponse<String> login = call("GET", gw + "/login", null);
    String erin = tokenIn(expect(200, login));
    String cookie = "__Host-curfew=" + erin;
    expect(200, call("GET", gw + "/home", null, "Cookie", cookie, "X-Curfew-Subject", "mallory"));
    expect(200, call("GET", gw + "/api/poll", null, "Cookie", cookie));
    expect(200, call("GET", gw + "/_curfew/session", null, "Cookie", cookie));
    expect(200, call("POST", gw + "/_curfew/session/extend", null, "Cookie", cookie));
    expect(401, call("GET", gw + "/home", null, "Cookie", "__Host-curfew=" + nearMiss));
    expect(204, call("DELETE", gw + "/_curfew/session", null, "Cookie", cookie));
    expect(303, call("GET", gw + "/home", null, "Cookie", cookie, "Accept", "text/html"));
    // expiry: found by a request, and by the timer for the rest
    long wait = Duration.between(Instant.now(), daveOpened.plusMillis(1800)).toMillis();
    if (wait > 0) Thread.sleep(wait);
    expect(401, call("GET", base + "/v1/session", null, bearer(dave)));
    // the auditor's view, and what the server exposes to everyone
    served.add(expect(200, call("GET", base + "/v1/audit?limit=1000", null, key("auditor"))).body());
    served.add(expect(200, call("GET", base + "/v1/audit/evidence?session_id=" + aliceId, null, key("auditor"))).body());
    served.add(expect(200, call("GET", base + "/metrics", null)).body());
    served.add(expect(200, call("GET", base + "/v1/sessions?subject=grace", null, key("admin"))).body());
    assertThat(served.get(0)).contains("\"session.rotated\"", "\"replayed\"", "\"session.logged_out\"",
        "\"session.extended\"", "\"no_warning_sent\"", "\"session.revoked\"");
    // ended sessions are told to the webhook receiver
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (sentToApps.stream().filter(s -> s.startsWith("webhook")).count() < 5 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    Thread.sleep(1200); // one more snapshot and checkpoint with all of it (if the machine is slow, fewer files: weaker, never flaky)
  }

  // ---------------------------------------------------------------- the apps

  private void upstream(HttpServerRequest req) {
    req.body().onSuccess(b -> {
      sentToApps.add(req.method() + " " + req.uri() + "\n" + req.headers() + "\n" + b);
      if (req.path().equals("/login")) req.response().putHeader("Curfew-Login", "subject=erin");
      req.response().end("page " + req.path());
    });
  }

  private static int listen(Vertx vertx, io.vertx.core.Handler<HttpServerRequest> handler) throws Exception {
    HttpServer s = vertx.createHttpServer().requestHandler(handler).listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
    return s.actualPort();
  }

  // ---------------------------------------------------------------- HTTP, collecting every token

  private String open(String subject, String policy) throws Exception {
    String body = "{\"subject\":\"" + subject + "\"" + (policy == null ? "" : ",\"policy\":\"" + policy + "\"") + "}";
    return tokenIn(expect(201, call("POST", "http://127.0.0.1:" + api + "/v1/sessions", body, key("app"))));
  }

  private HttpResponse<String> call(String method, String url, String body, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "application/json");
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return collect(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }

  private HttpResponse<String> form(String url, String form, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString(form)).header("Content-Type", "application/x-www-form-urlencoded");
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return collect(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
  }

  private HttpResponse<String> collect(HttpResponse<String> r) {
    Matcher m = TOKEN.matcher(r.body() + "\n" + r.headers().map());
    while (m.find()) tokens.add(m.group());
    return r;
  }

  private static HttpResponse<String> expect(int status, HttpResponse<String> r) {
    assertThat(r.statusCode()).as("%s %s: %s", r.request().method(), r.uri(), r.body()).isEqualTo(status);
    return r;
  }

  private static String tokenIn(HttpResponse<String> r) {
    Matcher m = TOKEN.matcher(r.body() + "\n" + r.headers().map());
    assertThat(m.find()).as("a token in %s", r.body()).isTrue();
    return m.group();
  }

  private static String sessionId(HttpResponse<String> r) {
    Matcher m = Pattern.compile("\"session_id\":\"(s_[A-Za-z0-9_-]+)\"").matcher(r.body());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private String[] key(String name) {
    return new String[] {"Authorization", "Bearer " + keys.get(name)};
  }

  private static String[] bearer(String token) {
    return new String[] {"Authorization", "Bearer " + token};
  }

  private static String[] with(String[] first, String... more) {
    String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, all, first.length, more.length);
    return all;
  }

  // ---------------------------------------------------------------- the process

  private static int awaitPort(Process p, Path stdout) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && p.isAlive()) {
      Matcher m = LISTENING.matcher(Files.readString(stdout));
      if (m.find()) return Integer.parseInt(m.group(1));
      Thread.sleep(50);
    }
    throw new AssertionError("server did not start: " + Files.readString(stdout));
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static String secret(String prefix) {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}

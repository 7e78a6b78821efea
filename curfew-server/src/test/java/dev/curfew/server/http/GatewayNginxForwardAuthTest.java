package dev.curfew.server.http;

import dev.curfew.core.testing.RequiredTool;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServer;
import java.io.File;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real nginx (Debian's package, started here) with the {@code auth_request} example of
 * docs/forward-auth.md, verbatim but for the ports, in front of a real app and Curfew's API.
 */
class GatewayNginxForwardAuthTest {
  static final Path DOC = Path.of("..", "docs", "forward-auth.md");
  static ApiFixture f;
  static HttpServer app;
  static Process nginx;
  static int nginxPort;
  static final BlockingQueue<MultiMap> received = new LinkedBlockingQueue<>();
  @TempDir static Path dir;

  static String nginxBinary() {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(d, "nginx"))) return Path.of(d, "nginx").toString();
    }
    for (String p : new String[] {"/usr/sbin/nginx", "/usr/local/sbin/nginx"}) {
      if (Files.isExecutable(Path.of(p))) return p;
    }
    return null;
  }

  @BeforeAll
  static void start() throws Exception {
    String bin = nginxBinary();
    RequiredTool.require(bin != null, "nginx (apt-get install nginx-light)");
    f = new ApiFixture();
    app = f.vertx.createHttpServer().requestHandler(req -> {
      received.add(MultiMap.caseInsensitiveMultiMap().addAll(req.headers()));
      req.response().putHeader("Cache-Control", "public, max-age=600").end("app:" + req.path());
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    nginxPort = freePort();
    String server = documentedServerBlock()
        .replace("127.0.0.1:8080", "127.0.0.1:" + f.port)
        .replace("127.0.0.1:3000", "127.0.0.1:" + app.actualPort())
        .replace("127.0.0.1:8000", "127.0.0.1:" + nginxPort);
    boolean root = "root".equals(System.getProperty("user.name"));
    String conf = (root ? "user root;\n" : "") + "daemon off;\nworker_processes 1;\n"
        + "pid " + dir.resolve("nginx.pid") + ";\nerror_log " + dir.resolve("error.log") + " warn;\n"
        + "events { worker_connections 128; }\nhttp {\n  access_log off;\n"
        + "  client_body_temp_path " + dir.resolve("body") + ";\n  proxy_temp_path " + dir.resolve("proxy") + ";\n"
        + "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";\n  uwsgi_temp_path " + dir.resolve("uwsgi") + ";\n"
        + "  scgi_temp_path " + dir.resolve("scgi") + ";\n" + server + "\n}\n";
    Path confFile = dir.resolve("nginx.conf");
    Files.writeString(confFile, conf);
    nginx = new ProcessBuilder(bin, "-p", dir.toString(), "-e", dir.resolve("error.log").toString(),
        "-c", confFile.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (Socket s = new Socket("127.0.0.1", nginxPort)) {
        break;
      } catch (java.io.IOException notYet) {
        if (!nginx.isAlive() || System.nanoTime() > deadline) {
          throw new AssertionError("nginx did not start: " + Files.readString(dir.resolve("stdout.log"))
              + (Files.exists(dir.resolve("error.log")) ? Files.readString(dir.resolve("error.log")) : ""));
        }
        Thread.sleep(50);
      }
    }
  }

  /** The first {@code ```nginx} block of docs/forward-auth.md. */
  static String documentedServerBlock() throws Exception {
    Matcher m = Pattern.compile("```nginx\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(DOC));
    assertThat(m.find()).as("an nginx example in " + DOC).isTrue();
    return m.group(1);
  }

  static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (nginx != null) {
      nginx.destroy();
      if (!nginx.waitFor(5, TimeUnit.SECONDS)) nginx.destroyForcibly();
    }
    if (f != null) f.close();
  }

  HttpResponse<String> get(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + nginxPort + path))
        .timeout(Duration.ofSeconds(5)).GET();
    for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
    return f.send(b);
  }

  @Test
  void validSessionReachesTheAppWithTheVerifiedIdentity() throws Exception {
    ApiFixture.Created s = f.open("alice");
    received.clear();
    HttpResponse<String> r = get("/orders", "Cookie", "__Host-curfew=" + s.token(), "X-Curfew-Subject", "mallory");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("app:/orders");
    assertThat(r.headers().allValues("Cache-Control")).containsExactly("no-store");
    MultiMap h = received.poll(30, TimeUnit.SECONDS);
    assertThat(h.getAll("X-Curfew-Subject")).containsExactly("alice");
    assertThat(h.get("X-Curfew-Session-Id")).isEqualTo(s.sessionId());
    assertThat(h.get("X-Curfew-Expires-At")).isNotBlank();
  }

  @Test
  void noSessionIsRefusedWith401AndNeverReachesTheApp() {
    received.clear();
    HttpResponse<String> r = get("/orders");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("X-Curfew-Reason")).hasValue("unknown");
    assertThat(r.headers().firstValue("Clear-Site-Data")).hasValue("\"cache\", \"cookies\", \"storage\"");
    assertThat(received).isEmpty();
    assertThat(get("/login").statusCode()).isEqualTo(200);
  }

  @Test
  void endedSessionIsRefusedWithItsReason() {
    ApiFixture.Created s = f.open("bob");
    f.backend("DELETE", "/v1/sessions/" + s.sessionId(), null);
    received.clear();
    HttpResponse<String> r = get("/orders", "Cookie", "__Host-curfew=" + s.token());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("X-Curfew-Reason")).hasValue("revoked");
    assertThat(received).isEmpty();
  }

  /** A session under a policy that rotates its token every minute (the class's engine is shared: a policy of its own). */
  static String openRotating(String subject) {
    f.engine.changePolicy(dev.curfew.core.Policy.builder("rotating").renewEvery(Duration.ofMinutes(1)).build(), false,
        "test");
    HttpResponse<String> r = f.backend("POST", "/v1/sessions",
        "{\"subject\":\"" + subject + "\",\"policy\":\"rotating\"}");
    assertThat(r.statusCode()).isEqualTo(201);
    return ApiFixture.json(r).get("token").asText();
  }

  /** The session token of the cookie a response sets, or null. */
  static String rotatedToken(HttpResponse<String> r) {
    return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("__Host-curfew=cft_"))
        .map(c -> c.substring("__Host-curfew=".length(), c.indexOf(';'))).findFirst().orElse(null);
  }

  java.util.concurrent.CompletableFuture<HttpResponse<String>> async(String path, String token) {
    HttpRequest req = HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + nginxPort + path))
        .timeout(Duration.ofSeconds(30)).header("Cookie", "__Host-curfew=" + token).GET().build();
    return f.http.sendAsync(req, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void burstsAcrossRotationsBehindNginxGetTheRotatedCookieAndNoneIsLoggedOut() throws Exception {
    String token = openRotating("dora");
    int rotations = 4;
    int burst = 6;
    for (int round = 0; round < rotations; round++) {
      f.clock.advance(Duration.ofMinutes(1));
      java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> answers = new java.util.ArrayList<>();
      for (int i = 0; i < burst; i++) answers.add(async(i % 3 == 2 ? "/api/poll" : "/orders/" + i, token));
      java.util.Set<String> handedOut = new java.util.HashSet<>();
      for (int i = 0; i < burst; i++) {
        HttpResponse<String> r = answers.get(i).get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as("round %d request %d: %s", round, i, r.headers().map()).isEqualTo(200);
        assertThat(r.body()).startsWith("app:/");
        String next = rotatedToken(r);
        if (next != null) handedOut.add(next);
      }
      assertThat(handedOut).as("round %d: nginx relays the one rotated cookie", round).hasSize(1);
      token = handedOut.iterator().next();
      assertThat(async("/orders/after", token).get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    long replays = f.sink.records().stream().filter(r -> r.type().equals("session.revoked")
        && "replayed".equals(r.data().get("reason"))).count();
    assertThat(replays).isZero();
  }

  @Test
  void theOldCookieAfterTheGraceIsAReplayBehindNginxToo() throws Exception {
    String t1 = openRotating("eve");
    f.clock.advance(Duration.ofMinutes(1));
    HttpResponse<String> r = async("/orders", t1).get(30, TimeUnit.SECONDS);
    String t2 = rotatedToken(r);
    assertThat(t2).as("the rotated cookie is relayed: %s", r.headers().map()).isNotNull();
    f.clock.advance(dev.curfew.core.RotationGrace.DEFAULT.duration());
    HttpResponse<String> replay = async("/orders", t1).get(30, TimeUnit.SECONDS);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(replay.headers().firstValue("X-Curfew-Reason")).hasValue("replayed");
    assertThat(async("/orders", t2).get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(401);
  }

  @Test
  void passiveLocationDoesNotCountAsActivityButOthersDo() {
    ApiFixture.Created s = f.open("carol");
    long idle0 = f.engine.get(s.sessionId()).status().idleExpiresAtMs();
    f.clock.advance(Duration.ofMinutes(1));
    assertThat(get("/api/poll", "Cookie", "__Host-curfew=" + s.token()).statusCode()).isEqualTo(200);
    assertThat(f.engine.get(s.sessionId()).status().idleExpiresAtMs()).isEqualTo(idle0);
    // a client cannot make an active location passive
    assertThat(get("/orders", "Cookie", "__Host-curfew=" + s.token(), "X-Curfew-Passive", "1").statusCode()).isEqualTo(200);
    assertThat(f.engine.get(s.sessionId()).status().idleExpiresAtMs()).isEqualTo(idle0 + 60_000);
  }
}

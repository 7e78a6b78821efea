package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin console of a {@code curfew serve} node with {@code store: redis}: an operator signs in
 * on node b as the console's own form does, follows the live list, finds a session opened on node
 * a, opens its page, and revokes it; node a refuses the session's token next.
 */
class ServeRedisConsoleTest {
  private static final String KEY = "console-key-" + UUID.randomUUID();
  private static final String COOKIE = "__Host-curfew-console";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);

  @AfterEach
  void removeKeys() throws Exception {
    // The machine's Redis outlives the test: leave none of this test's keys behind.
    new ProcessBuilder("sh", "-c", "redis-cli --scan --pattern '{" + prefix + "*' | xargs -r redis-cli del >/dev/null")
        .inheritIO().start().waitFor(20, TimeUnit.SECONDS);
  }

  private Path config() throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(KEY.getBytes(StandardCharsets.UTF_8)));
    Path config = dir.resolve("curfew.yaml");
    Files.writeString(config, "store: redis\nredis:\n  uri: redis://127.0.0.1:6379\n  key_prefix: " + prefix + "\n"
        + "api_keys:\n  - name: ops\n    key_sha256: \"" + sha + "\"\n    scopes: [app, admin]\n"
        + "policies:\n  default:\n    idle_timeout: 10m\n    absolute_timeout: 1h\n"
        + "rate_limits:\n  enabled: false\n");
    return config;
  }

  private ServeCommand.Running node(Path config, String name) throws Exception {
    var cfg = dev.curfew.server.config.CurfewConfig.load(config).withOverrides(0, dir.resolve(name));
    return ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  @Test
  void signInListOpenAndRevoke_aSessionOpenedOnAnotherNode_withLiveUpdates() throws Exception {
    Path config = config();
    ServeCommand.Running a = node(config, "a");
    ServeCommand.Running b = node(config, "b");
    try {
      // Sign in on b as the sign-in form does: the console cookie holds a console session's token.
      HttpResponse<String> signIn = send(b.port, HttpRequest.newBuilder(uri(b.port, "/console/login"))
          .header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString("api_key=" + URLEncoder.encode(KEY, StandardCharsets.UTF_8)
              + "&return=%2Fconsole%2Fsessions")));
      assertThat(signIn.statusCode()).as(signIn.body()).isEqualTo(303);
      assertThat(signIn.headers().firstValue("Location")).hasValue("/console/sessions");
      String cookie = signIn.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(COOKIE + "="))
          .findFirst().orElseThrow().split(";", 2)[0];
      assertThat(send(b.port, console(b.port, "/console/sessions", cookie).GET()).statusCode()).isEqualTo(200);
      JsonNode me = JSON.readTree(send(b.port, console(b.port, "/console/api/me", cookie).GET()).body());
      assertThat(me.path("scope").asText()).isEqualTo("admin");
      String csrf = me.path("csrf").asText();

      // The live list on b: told of a session opened on a.
      List<String> lines = new CopyOnWriteArrayList<>();
      var stream = http.sendAsync(console(b.port, "/console/api/events", cookie).header("Accept", "text/event-stream")
          .GET().build(), HttpResponse.BodyHandlers.fromLineSubscriber(new Flow.Subscriber<String>() {
            @Override public void onSubscribe(Flow.Subscription s) { s.request(Long.MAX_VALUE); }
            @Override public void onNext(String line) { lines.add(line); }
            @Override public void onError(Throwable t) { }
            @Override public void onComplete() { }
          }));
      await().atMost(Duration.ofSeconds(30)).alias("the stream so far: " + lines).until(() -> lines.contains("event: ready"));

      HttpResponse<String> opened = send(a.port, HttpRequest.newBuilder(uri(a.port, "/v1/sessions"))
          .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"alice@example.com\",\"attributes\":{\"team\":\"blue\"}}")));
      assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);
      String token = JSON.readTree(opened.body()).path("token").asText();
      String id = JSON.readTree(opened.body()).path("session_id").asText();
      await().atMost(Duration.ofSeconds(30)).alias("the stream so far: " + lines)
          .until(() -> lines.stream().anyMatch(l -> l.startsWith("data: ")
              && l.contains("\"session_id\":\"" + id + "\",\"event\":\"status\"")));

      // The list on b finds it by part of its subject; the console's own session is listed too.
      JsonNode list = JSON.readTree(send(b.port, console(b.port, "/console/api/sessions?q=ALICE", cookie).GET()).body());
      assertThat(list.path("matched").asLong()).isEqualTo(1);
      assertThat(list.path("sessions").get(0).path("session_id").asText()).isEqualTo(id);
      assertThat(list.path("sessions").get(0).path("attributes").path("team").asText()).isEqualTo("blue");
      JsonNode all = JSON.readTree(send(b.port, console(b.port, "/console/api/sessions", cookie).GET()).body());
      assertThat(all.path("matched").asLong()).isEqualTo(2);
      assertThat(all.findValuesAsText("subject")).containsExactly("alice@example.com", "console:ops");

      // Its page on b.
      assertThat(send(b.port, console(b.port, "/console/sessions/" + id, cookie).GET()).statusCode()).isEqualTo(200);
      HttpResponse<String> page = send(b.port, console(b.port, "/console/api/sessions/" + id, cookie).GET());
      assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
      assertThat(JSON.readTree(page.body()).path("subject").asText()).isEqualTo("alice@example.com");

      // Revoked from b: a refuses the token at once, and the list follows.
      HttpResponse<String> revoked = send(b.port, console(b.port, "/console/api/sessions/" + id, cookie)
          .header("X-Curfew-CSRF", csrf).header("Content-Type", "application/json")
          .method("DELETE", HttpRequest.BodyPublishers.ofString("{\"reason_text\":\"left the company\"}")));
      assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);
      HttpResponse<String> check = send(a.port, HttpRequest.newBuilder(uri(a.port, "/v1/check"))
          .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token + "\"}")));
      assertThat(check.statusCode()).isEqualTo(401);
      assertThat(check.body()).contains("\"reason\":\"revoked\"");
      await().atMost(Duration.ofSeconds(30)).until(() -> lines.stream().anyMatch(l -> l.startsWith("data: ")
          && l.contains("\"session_id\":\"" + id + "\",\"event\":\"revoked\"")));
      JsonNode after = JSON.readTree(send(b.port, console(b.port, "/console/api/sessions?q=alice", cookie).GET()).body());
      assertThat(after.path("sessions")).isEmpty();
      stream.cancel(true);
    } finally {
      a.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      b.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** A console request: the cookie, from the console's own origin. */
  private static HttpRequest.Builder console(int port, String path, String cookie) {
    return HttpRequest.newBuilder(uri(port, path)).header("Cookie", cookie)
        .header("Origin", "http://127.0.0.1:" + port).header("Sec-Fetch-Site", "same-origin");
  }

  private HttpResponse<String> send(int port, HttpRequest.Builder b) throws Exception {
    return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }
}

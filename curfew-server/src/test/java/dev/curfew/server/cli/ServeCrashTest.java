package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a real {@code curfew serve} process with SIGKILL under load and restarts it: every change
 * the API acknowledged (a created session, a logout) survives, and nothing that ended comes back.
 */
class ServeCrashTest {
  private static final Pattern TOKEN = Pattern.compile("\"token\":\"(cft_[A-Za-z0-9_-]+)\"");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void killNineUnderLoad_losesNoAcknowledgedChange() throws Exception {
    Path config = dir.resolve("curfew.yaml");
    Files.writeString(config, "policies:\n  default:\n    idle_timeout: 10m\n    absolute_timeout: 1h\n"
        + "    warn_before: 1m\n    max_extensions: 3\n");
    ServerProcess first = ServerProcess.start(config, dir.resolve("data"));
    String key = Files.readString(dir.resolve("data/api-key")).trim();
    Map<String, String> live = new ConcurrentHashMap<>();
    Map<String, String> loggedOut = new ConcurrentHashMap<>();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int id = w;
      Thread t = new Thread(() -> {
        int i = 0;
        while (running.get()) {
          try {
            HttpResponse<String> r = post(first.port(), "/v1/sessions", key, "{\"subject\":\"u" + id + "-" + i++ + "\"}");
            if (r.statusCode() != 201) continue;
            Matcher m = TOKEN.matcher(r.body());
            if (!m.find()) continue;
            String token = m.group(1);
            if (i % 3 == 0) {
              HttpResponse<String> out = http.send(HttpRequest.newBuilder(uri(first.port(), "/v1/session"))
                  .header("Authorization", "Bearer " + token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
              if (out.statusCode() == 204) loggedOut.put(token, "");
              else live.put(token, "");
            } else {
              live.put(token, "");
            }
          } catch (Exception e) {
            return; // the server died under us
          }
        }
      });
      t.start();
      workers.add(t);
    }
    // Kill once enough changes were acknowledged, however slow the machine is (a fixed sleep
    // measured the machine's load, not the store).
    org.awaitility.Awaitility.await("more than 50 acknowledged changes").atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(50)).until(() -> live.size() + loggedOut.size() > 50);
    first.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL
    running.set(false);
    for (Thread t : workers) t.join(10_000);
    assertThat(live.size() + loggedOut.size()).as("acknowledged changes before the kill").isGreaterThan(50);

    ServerProcess second = ServerProcess.start(config, dir.resolve("data"));
    try {
      for (String token : live.keySet()) {
        HttpResponse<String> r = get(second.port(), "/v1/session", token);
        assertThat(r.statusCode()).as("acknowledged session lost: " + r.body()).isEqualTo(200);
      }
      for (String token : loggedOut.keySet()) {
        HttpResponse<String> r = get(second.port(), "/v1/session", token);
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("\"reason\":\"logged_out\"");
      }
      assertThat(second.output()).anyMatch(l -> l.contains("did not stop cleanly"));
    } finally {
      second.process().destroy();
      second.process().waitFor(20, TimeUnit.SECONDS);
    }
    // a clean stop after the recovery: the last record is node.stopped
    List<Path> segments;
    try (var s = Files.list(dir.resolve("data/audit"))) {
      segments = s.filter(p -> p.getFileName().toString().matches("audit-\\d{20}\\.jsonl")).sorted().toList();
    }
    List<String> lines = Files.readAllLines(segments.get(segments.size() - 1));
    assertThat(lines.get(lines.size() - 1)).contains("\"type\":\"node.stopped\"");
  }

  private HttpResponse<String> post(int port, String path, String key, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(int port, String path, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }
}

package dev.curfew.server.cli;

import dev.curfew.core.testing.RequiredTool;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.audit.Times;
import java.io.BufferedReader;
import java.io.InputStreamReader;
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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wall-clock steps of a real {@code curfew serve} process, black-box: libfaketime moves the
 * process's wall clock (CLOCK_REALTIME) by an offset read from a file, and leaves its monotonic
 * clock alone (FAKETIME_DONT_FAKE_MONOTONIC). Sessions still live exactly as long as their policy
 * allows in real time, each step is in the audit trail, and a restart with the wall clock behind
 * continues from the log. Skipped where libfaketime is not installed (.ci/run installs it).
 */
class ClockStepEndToEndTest {
  private static final Pattern LISTENING = Pattern.compile("API listening on http://localhost:(\\d+)");
  private static final List<Path> LIBFAKETIME = List.of(
      Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"),
      Path.of("/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1"),
      Path.of("/usr/lib/faketime/libfaketimeMT.so.1"));
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Path offsetFile;
  private String key;

  /** Sets the process's wall clock to real time plus {@code seconds} (libfaketime reads it at most once a second). */
  private void wallOffset(long seconds) throws Exception {
    Files.writeString(offsetFile, (seconds >= 0 ? "+" : "") + seconds + "\n");
  }

  @Test
  void wallClockStepsBackAndForward_sessionsKeepRealTime_stepsAreRecorded_restartContinuesFromTheLog() throws Exception {
    Path lib = LIBFAKETIME.stream().filter(Files::exists).findFirst().orElse(null);
    RequiredTool.require(lib != null, "libfaketime (apt-get install libfaketime)");
    offsetFile = dir.resolve("wall-offset");
    wallOffset(0);
    Path config = dir.resolve("curfew.yaml");
    Files.writeString(config, "default_policy: long\npolicies:\n  long:\n    idle_timeout: 10m\n    absolute_timeout: 1h\n"
        + "    warn_before: 1m\n    max_extensions: 3\n  short:\n    idle_timeout: 4s\n    absolute_timeout: 1m\n"
        + "    warn_before: 1s\n    max_extensions: 0\n");
    Server server = Server.start(lib, offsetFile, config, dir.resolve("data"));
    try {
      key = Files.readString(dir.resolve("data/api-key")).trim();
      long longOpenedNanos = System.nanoTime();
      String longToken = open(server.port, "long").path("token").asText();

      // Back an hour: the short session still ends 4 s of real time after it opened.
      long openedNanos = System.nanoTime();
      String shortToken = open(server.port, "short").path("token").asText();
      wallOffset(-3600);
      JsonNode back = awaitStep(server.port, 1);
      assertThat(back.path("data").path("direction").asText()).isEqualTo("backward");
      assertThat(back.path("data").path("step_ms").asLong()).isBetween(3_599_000L, 3_601_000L);
      assertThat(back.path("data").path("detected_by").asText()).isEqualTo("watch");
      while (get(server.port, "/v1/session", shortToken).statusCode() == 200) {
        // an hour's step would keep it for an hour; 30 s leaves a loaded machine room to answer slowly
        assertThat(System.nanoTime() - openedNanos).as("still valid after 30 s of real time")
            .isLessThan(TimeUnit.SECONDS.toNanos(30));
        Thread.sleep(50);
      }
      long endedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedNanos);
      assertThat(endedAfterMs).as("ended after 4 s of real time").isGreaterThanOrEqualTo(3_900);
      assertThat(get(server.port, "/v1/session", shortToken).body()).contains("\"reason\":\"idle_timeout\"");

      // Forward two hours: nothing ends early either.
      wallOffset(3600);
      JsonNode forward = awaitStep(server.port, 2);
      assertThat(forward.path("data").path("direction").asText()).isEqualTo("forward");
      assertThat(forward.path("data").path("step_ms").asLong()).isBetween(7_199_000L, 7_201_000L);
      HttpResponse<String> status = get(server.port, "/v1/session", longToken);
      assertThat(status.statusCode()).isEqualTo(200);
      JsonNode s = JSON.readTree(status.body());
      long expires = Times.parse(s.path("expires_at").asText());
      long serverTime = Times.parse(s.path("server_time").asText());
      // 10 min idle less the real time since the session opened (however slow the machine), never
      // an hour or two off as the stepped wall clock would make it.
      long realElapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - longOpenedNanos);
      assertThat(expires - serverTime).as("time left on the node's clock, not the stepped wall clock")
          .isBetween(600_000L - realElapsedMs - 1_000L, 600_000L);

      // A crash, and a start with the wall clock two hours behind the log.
      long lastRecordMs = Times.parse(forward.path("time").asText());
      server.process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      wallOffset(-7200);
      server = Server.start(lib, offsetFile, config, dir.resolve("data"));
      JsonNode atStart = awaitStep(server.port, 3);
      assertThat(atStart.path("data").path("detected_by").asText()).isEqualTo("start");
      assertThat(atStart.path("data").path("direction").asText()).isEqualTo("backward");
      // The node's clock never followed the steps: its records are on real time, and the wall clock
      // is now 2 h behind real time, so about 2 h (less the downtime) behind the last record.
      assertThat(atStart.path("data").path("step_ms").asLong()).as("the wall clock is ~2 h behind the log")
          .isBetween(7_000_000L, 7_201_000L);
      s = JSON.readTree(get(server.port, "/v1/session", longToken).body());
      assertThat(Times.parse(s.path("server_time").asText())).as("the node's clock continues from the log")
          .isGreaterThanOrEqualTo(lastRecordMs);
      assertThat(Times.parse(s.path("expires_at").asText()) - Times.parse(s.path("server_time").asText()))
          .as("no time handed back to the session").isBetween(480_000L, 600_000L);
    } finally {
      server.process.destroy();
      server.process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private JsonNode open(int port, String policy) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri(port, "/v1/sessions"))
        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"alice\",\"policy\":\"" + policy + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  /** Waits (up to 60 s) until the log holds {@code n} clock.stepped records; returns the last. */
  private JsonNode awaitStep(int port, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      HttpResponse<String> r = get(port, "/v1/audit?type=clock.stepped", key);
      JsonNode records = JSON.readTree(r.body()).path("records");
      if (records.size() >= n) return records.get(n - 1);
      assertThat(System.nanoTime()).as("clock.stepped record %d", n).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  private HttpResponse<String> get(int port, String path, String bearer) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + bearer).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /** {@code curfew serve} in a child JVM whose wall clock libfaketime offsets. */
  private record Server(Process process, int port) {
    static Server start(Path lib, Path offsetFile, Path config, Path data) throws Exception {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-Xshare:off", "-cp", System.getProperty("java.class.path"),
          Main.class.getName(), "serve", "--config", config.toString(), "--port", "0", "--data", data.toString());
      pb.redirectErrorStream(true);
      pb.environment().remove("CURFEW_API_KEY");
      pb.environment().put("LD_PRELOAD", lib.toString());
      pb.environment().put("FAKETIME_TIMESTAMP_FILE", offsetFile.toString());
      pb.environment().put("FAKETIME_CACHE_DURATION", "1");
      pb.environment().put("FAKETIME_DONT_FAKE_MONOTONIC", "1");
      pb.environment().put("NO_FAKE_STAT", "1"); // file times stay real (class loading compares them)
      Process p = pb.start();
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      List<String> lines = new CopyOnWriteArrayList<>();
      for (String line; (line = out.readLine()) != null; ) {
        lines.add(line);
        Matcher m = LISTENING.matcher(line);
        if (m.find()) {
          Thread drain = new Thread(() -> out.lines().forEach(lines::add));
          drain.setDaemon(true);
          drain.start();
          return new Server(p, Integer.parseInt(m.group(1)));
        }
      }
      throw new AssertionError("server did not start: " + lines);
    }
  }
}

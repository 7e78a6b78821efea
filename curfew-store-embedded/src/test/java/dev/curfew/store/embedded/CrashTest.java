package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Decision;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SystemClock;
import dev.curfew.core.Tokens;
import dev.curfew.core.audit.Json;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Kills a real server process (SIGKILL) while it acknowledges sessions, then recovers its data. */
class CrashTest {
  @TempDir Path dir;

  @Test
  void everyAcknowledgedSessionSurvivesSigkill() throws Exception {
    Path data = dir.resolve("data");
    Path stderr = dir.resolve("child.err");
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), data.toString())
        .redirectError(stderr.toFile())
        .start();
    Map<String, String> acked = new LinkedHashMap<>(); // session id -> token
    CountDownLatch ready = new CountDownLatch(1);
    Thread reader = new Thread(() -> readAcks(child, acked, ready));
    reader.start();
    try {
      assertThat(ready.await(60, TimeUnit.SECONDS)).as("child ready; stderr: %s", errors(stderr)).isTrue();
      // Killed while the load runs, once enough has been acknowledged (however busy the machine is).
      org.awaitility.Awaitility.await("acknowledged sessions").atMost(java.time.Duration.ofSeconds(120))
          .until(() -> {
            synchronized (acked) {
              return acked.size() > 20;
            }
          });
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hook, no node.stopped, maybe a torn write
      child.waitFor(10, TimeUnit.SECONDS);
      reader.join(5_000);
    }
    List<Map.Entry<String, String>> acks;
    synchronized (acked) {
      acks = new ArrayList<>(acked.entrySet());
    }
    assertThat(acks).as("acknowledged sessions; stderr: %s", errors(stderr)).hasSizeGreaterThan(20);

    SystemClock clock = new SystemClock();
    try (EmbeddedStore store = EmbeddedStore.open(data, EmbeddedStore.Options.defaults().withClock(clock), "n2")) {
      SessionEngine engine = new SessionEngine(clock, "n2", CrashChild.policies(), store.log(), SessionEvents.NONE,
          EngineMetrics.NONE, SessionEngine.Limits.defaults());
      EmbeddedStore.Recovery r = store.recover(engine);
      System.out.printf("crash: %d acknowledged, recovered %s, log size %d%n", acks.size(), r, store.log().size());
      assertThat(r.cleanShutdown()).isFalse();
      assertThat(r.recoveredSessions()).isGreaterThanOrEqualTo(acks.size());
      for (Map.Entry<String, String> ack : acks) {
        Decision d = engine.check(ack.getValue(), false);
        assertThat(d.allowed()).as("acknowledged session %s", ack.getKey()).isTrue();
        assertThat(d.status().sessionId()).isEqualTo(ack.getKey());
      }
      long[] next = {0};
      store.log().scan(0, line -> {
        assertThat(Json.parseObject(line).get("seq")).isEqualTo(next[0]++);
        return true;
      });
      assertThat(next[0]).isEqualTo(store.log().size());
    }
  }

  private static void readAcks(Process child, Map<String, String> acked, CountDownLatch ready) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.equals("READY")) ready.countDown();
        String[] f = line.split(" ");
        // a line cut by the kill is incomplete: a session id is 24 characters, a token well formed
        if (f.length == 3 && f[0].equals("ACK") && f[1].length() == 24 && Tokens.wellFormed(f[2])) {
          synchronized (acked) {
            acked.put(f[1], f[2]);
          }
        }
      }
    } catch (java.io.IOException e) {
      // the pipe closes when the child dies
    }
  }

  private static String errors(Path stderr) {
    try {
      return Files.exists(stderr) ? Files.readString(stderr) : "";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}

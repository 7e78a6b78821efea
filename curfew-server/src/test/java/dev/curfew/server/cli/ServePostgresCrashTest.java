package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.store.postgres.testing.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL of a real {@code curfew serve} with {@code audit: postgres} under load, then a restart:
 * every session the API acknowledged has its record in PostgreSQL, and after a clean stop the
 * PostgreSQL trail is the journal's, record for record, and verifies.
 */
class ServePostgresCrashTest {
  private static final Pattern SESSION = Pattern.compile("\"session_id\":\"([^\"]+)\"");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private TestDatabase database;

  @BeforeEach
  void database() {
    database = TestDatabase.create("crash");
  }

  @AfterEach
  void drop() {
    database.close();
  }

  @Test
  void killNineUnderLoad_postgresHoldsEveryAcknowledgedRecordAfterTheRestart() throws Exception {
    Path config = dir.resolve("curfew.yaml");
    Files.writeString(config, """
        node: crash-1
        audit: postgres
        postgres: { url: "jdbc:postgresql://%s:%d/%s", user: %s }
        policies:
          default: { idle_timeout: 10m, absolute_timeout: 1h, warn_before: 1m, max_extensions: 3 }
        """.formatted(TestDatabase.HOST, TestDatabase.PORT, database.name(), TestDatabase.USER));
    Path data = dir.resolve("data");
    ServerProcess first = ServerProcess.start(config, data);
    String key = Files.readString(data.resolve("api-key")).trim();
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicBoolean running = new AtomicBoolean(true);
    List<Thread> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      int id = w;
      Thread t = new Thread(() -> {
        for (int i = 0; running.get(); i++) {
          try {
            HttpResponse<String> r = post(first.port(), key, "{\"subject\":\"u" + id + "-" + i + "\"}");
            Matcher m = SESSION.matcher(r.body());
            if (r.statusCode() == 201 && m.find()) acknowledged.add(m.group(1));
          } catch (Exception e) {
            return; // the server died under us
          }
        }
      });
      t.start();
      workers.add(t);
    }
    // Killed while the load runs, once enough has been acknowledged (however busy the machine is).
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(120)).until(() -> acknowledged.size() > 50);
    first.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL
    running.set(false);
    for (Thread t : workers) t.join(10_000);
    assertThat(acknowledged.size()).as("acknowledged sessions before the kill").isGreaterThan(50);
    for (String id : acknowledged) { // acknowledged means committed in PostgreSQL, before any restart
      assertThat(database.queryLong("SELECT count(*) FROM audit_records WHERE session_id = '" + id + "'"))
          .as("record of acknowledged session " + id).isEqualTo(1);
    }

    ServerProcess second = ServerProcess.start(config, data);
    // serve registers its shutdown hook just after it prints that it listens: answer a request first
    assertThat(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + second.port() + "/v1/audit?limit=1"))
        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    Thread.sleep(200);
    second.process().destroy(); // a clean stop: node.stopped and a final checkpoint
    second.process().waitFor(30, TimeUnit.SECONDS);
    assertThat(second.output()).anyMatch(l -> l.contains("did not stop cleanly"));

    CliRun fromPg = CliRun.of("audit", "export", "--config", config.toString());
    CliRun fromJournal = CliRun.of("audit", "export", "--data", data.toString());
    assertThat(fromPg.out()).isEqualTo(fromJournal.out());
    assertThat(fromPg.out().strip().lines().reduce((a, b) -> b).orElseThrow()).contains("\"type\":\"node.stopped\"");
    CliRun verify = CliRun.of("audit", "verify", "--config", config.toString());
    assertThat(verify.exit()).as(verify.out()).isZero();
  }

  private HttpResponse<String> post(int port, String key, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions"))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

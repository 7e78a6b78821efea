package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import dev.curfew.store.postgres.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every change to a session that Redis holds is recorded, though the node that made it is killed
 * (docs/distributed.md, "Every change, recorded once"). A child {@code serve} process ("a1", then
 * "a2") takes opens, extensions, rotations, warning acknowledgements and revocations until it is
 * killed with SIGKILL at a moment drawn from the seed; a node in this JVM ("b") takes over what the
 * dead node left pending. Then every audit log is read: each change the client saw acknowledged has
 * its record, each change Redis counts for a session has one record under its claim, and a claim has
 * two records only in the documented window (durable on the killed node, recorded again by "b").
 */
class ServeRedisClaimsCrashTest {
  private static final String KEY = "test-key-" + UUID.randomUUID();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int WORKERS = 3;
  private static final int ROUNDS = 2;

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final long seed = Long.getLong("curfew.test.seed", 20261204L);

  /** A change the client saw acknowledged: session id and the record type it must have. */
  record Ack(String sessionId, String type) {}

  /** With {@code audit: postgres}: the database every node's trail is committed to; null: {@code audit: file}. */
  private TestDatabase database;

  private Path config(String node) throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(KEY.getBytes(StandardCharsets.UTF_8)));
    Path config = dir.resolve(node + ".yaml");
    // Warned half a second after every activity, rotated every second: each operation has something to do.
    Files.writeString(config, "store: redis\nnode: " + node + "\nredis:\n  uri: redis://127.0.0.1:6379\n  key_prefix: "
        + prefix + "\napi_keys:\n  - name: test\n    key_sha256: \"" + sha + "\"\n"
        + "policies:\n  default:\n    idle_timeout: 4s\n    absolute_timeout: 1h\n    warn_before: 3500ms\n"
        + "    max_extensions: 100000\n    renew_every: 1s\n"
        + "ended_retention: 2m\nrate_limits:\n  enabled: false\n"
        + (database == null ? "" : "audit: postgres\npostgres: { url: \"jdbc:postgresql://" + TestDatabase.HOST + ":"
            + TestDatabase.PORT + "/" + database.name() + "\", user: " + TestDatabase.USER + " }\n"));
    return config;
  }

  @AfterEach
  void removeKeys() throws Exception {
    if (database != null) database.close();
    new ProcessBuilder("sh", "-c", "redis-cli --scan --pattern '{" + prefix + "*' | xargs -r redis-cli del >/dev/null")
        .inheritIO().start().waitFor(20, TimeUnit.SECONDS);
  }

  @Test
  void everyChangeIsRecordedOnceThoughTheNodeThatMadeItIsKilled() throws Exception {
    killAndCount();
  }

  /**
   * With {@code audit: postgres} every node's trail is in one database, and the node that takes a
   * change over learns there whether it is recorded: every claim has exactly one record.
   */
  @Test
  void withAuditPostgresEveryChangeIsRecordedExactlyOnce() throws Exception {
    database = TestDatabase.create("claims");
    killAndCount();
  }

  private void killAndCount() throws Exception {
    String why = "seed " + seed + " (-Dcurfew.test.seed=" + seed + " draws the same kill delays)";
    Random random = new Random(seed);
    var cfg = dev.curfew.server.config.CurfewConfig.load(config("b")).withOverrides(0, dir.resolve("b"));
    ServeCommand.Running b = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    List<Ack> acks = new CopyOnWriteArrayList<>();
    List<String> killed = new ArrayList<>();
    try {
      for (int round = 1; round <= ROUNDS; round++) {
        String name = "a" + round;
        killed.add(name);
        ServerProcess a = ServerProcess.start(config(name), dir.resolve(name));
        AtomicBoolean going = new AtomicBoolean(true);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
          long workerSeed = random.nextLong();
          Thread t = new Thread(() -> drive(a.port(), new Random(workerSeed), going, acks));
          t.start();
          workers.add(t);
        }
        // Killed at a moment drawn from the seed, once the load is under way however busy the machine is.
        int before = acks.size();
        await().atMost(Duration.ofSeconds(60)).until(() -> acks.size() > before + 10);
        Thread.sleep(200 + random.nextInt(1_500));
        a.kill();
        going.set(false);
        for (Thread t : workers) t.join(15_000);
      }

      List<Path> logs = new ArrayList<>();
      for (String n : killed) logs.add(dir.resolve(n));
      logs.add(dir.resolve("b"));
      // Each change Redis counts for a session (its change counter 'cn', its ending) has its record,
      // "b" recording what the killed nodes left pending once their leases ran out.
      await(why).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> {
        Map<String, List<JsonNode>> byClaim = trail(logs);
        return byClaim.keySet().containsAll(expectedClaims());
      });
      Thread.sleep(500); // a second record of a claim would be written by now most of the time
      Map<String, List<JsonNode>> byClaim = trail(logs);
      Set<String> expected = expectedClaims();
      assertThat(byClaim.keySet()).as(why).containsAll(expected);
      assertThat(acks).as(why).isNotEmpty();

      // Every acknowledged change has its record (as many records of a type as acknowledgements, or more:
      // a change can be made and recorded though its answer never reached the client).
      Map<Ack, Integer> acked = new HashMap<>();
      for (Ack k : acks) acked.merge(k, 1, Integer::sum);
      Map<Ack, Integer> recorded = new HashMap<>();
      for (List<JsonNode> rs : byClaim.values()) {
        JsonNode r = rs.get(0);
        recorded.merge(new Ack(r.path("session_id").asText(), r.path("type").asText()), 1, Integer::sum);
      }
      for (Map.Entry<Ack, Integer> e : acked.entrySet()) {
        assertThat(recorded.getOrDefault(e.getKey(), 0)).as(why + ": records of " + e.getKey()).isGreaterThanOrEqualTo(e.getValue());
      }
      Set<String> types = new java.util.HashSet<>();
      for (Ack k : acks) types.add(k.type());
      assertThat(types).as(why).contains("session.extended", "session.rotated", "session.revoked");

      // A claim has one record, or two only in the window the guarantee leaves open: the killed node's
      // record was durable but the node died before it removed the pending entry, so another node wrote it again,
      // the same record. At most one such claim per request in flight at each kill.
      int twice = 0;
      for (Map.Entry<String, List<JsonNode>> e : byClaim.entrySet()) {
        List<JsonNode> rs = e.getValue();
        if (rs.size() == 1) continue;
        twice++;
        assertThat(rs).as(why + ": records of claim " + e.getKey()).hasSize(2);
        assertThat(killed).as(why + ": " + rs).contains(rs.get(0).path("node").asText());
        // Written again by whichever node took the entry over: "b", or the next round's node.
        assertThat(rs.get(1).path("node").asText()).as(why + ": " + rs).isNotEqualTo(rs.get(0).path("node").asText());
        assertThat(rs.get(1).path("data")).as(why).isEqualTo(rs.get(0).path("data"));
        // (Not "time": a log never lets time go back, so "b"'s copy may carry its own later last time.)
      }
      assertThat(twice).as(why + ": claims recorded twice").isLessThanOrEqualTo(database == null ? WORKERS * ROUNDS : 0);
      Map<String, Integer> takenOver = new TreeMap<>(); // first recorded by "b": its own warnings and policies, and what it took over
      for (Map.Entry<String, List<JsonNode>> e : byClaim.entrySet()) {
        JsonNode r = e.getValue().get(0);
        if (!e.getKey().endsWith(":end") && r.path("node").asText().equals("b")) {
          takenOver.merge(r.path("type").asText(), 1, Integer::sum);
        }
      }
      System.out.println(why + ": " + acks.size() + " changes acknowledged, " + expected.size() + " claims in Redis, "
          + "first recorded by b (its own warnings and policy versions, and what it took over): " + takenOver + ", " + twice + " claims recorded twice");
    } finally {
      b.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
  }

  /**
   * One client against the node at {@code port}: four sessions of its own, each step a random
   * operation on one of them, until the node dies or the round ends.
   */
  private void drive(int port, Random random, AtomicBoolean going, List<Ack> acks) {
    String[][] sessions = new String[4][];
    try {
      for (int i = 0; i < sessions.length; i++) sessions[i] = open(port);
      while (going.get()) {
        int i = random.nextInt(sessions.length);
        String token = sessions[i][0];
        String id = sessions[i][1];
        switch (random.nextInt(8)) {
          case 0, 1 -> {
            if (holder(port, "/v1/session/extend", token).statusCode() == 200) acks.add(new Ack(id, "session.extended"));
          }
          case 2, 3, 4 -> {
            HttpResponse<String> r = post(port, "/v1/check", "{\"token\":\"" + token + "\",\"touch\":true}");
            if (r.statusCode() == 200) {
              JsonNode n = JSON.readTree(r.body());
              if (n.has("token") && !n.path("token").asText().equals(token)) {
                sessions[i][0] = n.path("token").asText();
                acks.add(new Ack(id, "session.rotated"));
              }
            }
          }
          case 5, 6 -> {
            if (holder(port, "/v1/session/warning-ack", token).statusCode() == 204) {
              acks.add(new Ack(id, "session.warning_acknowledged"));
            }
          }
          default -> {
            if (delete(port, "/v1/sessions/" + id).statusCode() == 204) {
              acks.add(new Ack(id, "session.revoked"));
              sessions[i] = open(port);
            }
          }
        }
        Thread.sleep(20);
      }
    } catch (Exception e) {
      // the node was killed: this client stops
    }
  }

  /**
   * The claims Redis holds changes for: {@code <id>:1 .. <id>:<cn>} for each session under this test's
   * prefix, {@code <id>:end} for each that ended, and {@code policy:<name>:<n>} for each policy version.
   */
  private Set<String> expectedClaims() throws Exception {
    String script = "local out = {} for _, k in ipairs(redis.call('KEYS', ARGV[1])) do "
        + "local v = redis.call('HMGET', k, 'cn', 'er') out[#out + 1] = string.match(k, ':s:(.*)$') "
        + "out[#out + 1] = v[1] or '0' out[#out + 1] = v[2] or '' end return out";
    Process p = new ProcessBuilder("redis-cli", "--raw", "EVAL", script, "0", "{" + prefix + ":*}:s:*").start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(20, TimeUnit.SECONDS);
    String[] lines = out.split("\n", -1);
    Set<String> claims = new java.util.TreeSet<>();
    for (int i = 0; i + 2 < lines.length; i += 3) {
      String id = lines[i];
      int n = Integer.parseInt(lines[i + 1]);
      for (int c = 1; c <= n; c++) claims.add(id + ":" + c);
      if (!lines[i + 2].isEmpty()) claims.add(id + ":end");
    }
    // Every version of every policy: policy:<name>:1 .. policy:<name>:<latest>.
    Process h = new ProcessBuilder("redis-cli", "--raw", "HGETALL", "{" + prefix + "}:policies").start();
    String[] fields = new String(h.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n", -1);
    h.waitFor(20, TimeUnit.SECONDS);
    for (int i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i].isEmpty() || fields[i].contains("#")) continue;
      for (int v = 1; v <= Integer.parseInt(fields[i + 1]); v++) claims.add("policy:" + fields[i] + ":" + v);
    }
    return claims;
  }

  /** Records with a claim, by claim: from the shared database with {@code audit: postgres}, else from the files. */
  private Map<String, List<JsonNode>> trail(List<Path> dataDirs) throws Exception {
    if (database == null) return claims(dataDirs);
    Map<String, List<JsonNode>> m = new TreeMap<>();
    var pg = database.config();
    try (var c = java.sql.DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password());
        var rs = c.createStatement().executeQuery("SELECT line FROM audit_records ORDER BY node_id, seq")) {
      while (rs.next()) {
        JsonNode r = JSON.readTree(rs.getString(1));
        String claim = r.path("data").path("claim").asText("");
        if (!claim.isEmpty()) m.computeIfAbsent(claim, k -> new ArrayList<>()).add(r);
      }
    }
    return m;
  }

  /** Records with a claim, by claim, across the audit logs of the given data directories. */
  private static Map<String, List<JsonNode>> claims(List<Path> dataDirs) throws Exception {
    Map<String, List<JsonNode>> m = new TreeMap<>();
    for (Path d : dataDirs) {
      Path audit = d.resolve("audit");
      if (!Files.isDirectory(audit)) continue;
      try (var files = Files.list(audit)) {
        for (Path f : files.filter(x -> x.getFileName().toString().matches("audit-\\d+\\.jsonl")).sorted().toList()) {
          for (String line : Files.readAllLines(f)) {
            if (line.isBlank()) continue;
            JsonNode r;
            try {
              r = JSON.readTree(line);
            } catch (Exception torn) {
              continue; // a killed node's last line may be torn: it was never durable
            }
            String claim = r.path("data").path("claim").asText("");
            if (!claim.isEmpty()) m.computeIfAbsent(claim, k -> new ArrayList<>()).add(r);
          }
        }
      }
    }
    return m;
  }

  private String[] open(int port) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions"))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json").header("Authorization", "Bearer " + KEY)
        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"user-" + UUID.randomUUID() + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) throw new IllegalStateException("open: " + r.statusCode() + " " + r.body());
    JsonNode n = JSON.readTree(r.body());
    return new String[] {n.path("token").asText(), n.path("session_id").asText()};
  }

  private HttpResponse<String> post(int port, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json").header("Authorization", "Bearer " + KEY)
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> holder(int port, String path, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> delete(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
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
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three {@code curfew serve} nodes with {@code store: redis} over the machine's Redis, each with its
 * own audit log: two in this JVM, one a child process that is killed with SIGKILL under load.
 */
class ServeRedisNodesTest {
  private static final String KEY = "test-key-" + UUID.randomUUID();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> ENDINGS = Set.of("session.expired", "session.revoked", "session.logged_out");

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);

  private Path config(String redisUri) throws Exception {
    return config(redisUri, "rate_limits:\n  enabled: false\n");
  }

  private Path config(String redisUri, String rateLimits) throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(KEY.getBytes(StandardCharsets.UTF_8)));
    Path config = dir.resolve("curfew-" + UUID.randomUUID() + ".yaml");
    Files.writeString(config, "store: redis\nredis:\n  uri: " + redisUri + "\n  key_prefix: " + prefix + "\n"
        + "api_keys:\n  - name: test\n    key_sha256: \"" + sha + "\"\n"
        + "policies:\n  default:\n    idle_timeout: 2s\n    absolute_timeout: 1h\n    warn_before: 1s\n"
        + "    max_extensions: 3\n"
        // One session per subject under "single", the oldest displaced; three under "three", the fourth refused.
        + "  single:\n    idle_timeout: 1m\n    absolute_timeout: 1h\n    max_sessions_per_subject: 1\n"
        + "    when_exceeded: end_oldest\n"
        + "  three:\n    idle_timeout: 1m\n    absolute_timeout: 1h\n    max_sessions_per_subject: 3\n    max_extensions: 5\n"
        + "ended_retention: 2m\n" + rateLimits);
    return config;
  }

  @org.junit.jupiter.api.AfterEach
  void removeKeys() throws Exception {
    // The machine's Redis outlives the test: leave none of this test's keys behind.
    new ProcessBuilder("sh", "-c", "redis-cli --scan --pattern '{" + prefix + "*' | xargs -r redis-cli del >/dev/null")
        .inheritIO().start().waitFor(20, TimeUnit.SECONDS);
  }

  private ServeCommand.Running inProcess(Path config, String name) throws Exception {
    var cfg = dev.curfew.server.config.CurfewConfig.load(config).withOverrides(0, dir.resolve(name));
    return ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  @Test
  void revocationIsSeenEverywhereAndEveryEndingIsRecordedOnceThoughANodeIsKilled() throws Exception {
    Path config = config("redis://127.0.0.1:6379");
    ServeCommand.Running a = inProcess(config, "a");
    ServeCommand.Running b = inProcess(config, "b");
    ServerProcess c = ServerProcess.start(config, dir.resolve("c"));
    int[] ports = {a.port, b.port, c.port()};
    try {
      // Revoke on one node, refused by the very next request on another, for every pair.
      for (int i = 0; i < 3; i++) {
        String[] s = open(ports[i], "alice");
        int other = ports[(i + 1) % 3];
        assertThat(post(other, "/v1/check", null, "{\"token\":\"" + s[0] + "\",\"touch\":true}").statusCode()).isEqualTo(200);
        assertThat(delete(ports[(i + 2) % 3], "/v1/sessions/" + s[1]).statusCode()).isEqualTo(204);
        HttpResponse<String> refused = post(other, "/v1/check", null, "{\"token\":\"" + s[0] + "\"}");
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).contains("\"reason\":\"revoked\"");
      }

      // Mixed load on the three nodes; the child is killed in the middle of it.
      Map<String, String> opened = new ConcurrentHashMap<>(); // session id -> token, acknowledged
      AtomicBoolean going = new AtomicBoolean(true);
      List<Thread> workers = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        int port = ports[w];
        Thread t = new Thread(() -> {
          int i = 0;
          while (going.get()) {
            try {
              String[] s = open(port, "user" + (i++ % 7));
              opened.put(s[1], s[0]);
              post(ports[i % 3], "/v1/check", null, "{\"token\":\"" + s[0] + "\",\"touch\":true}");
            } catch (Exception e) {
              if (port == c.port()) return; // the killed node
            }
          }
        });
        t.start();
        workers.add(t);
      }
      // Killed while the load runs, once enough has been acknowledged (however busy the machine is);
      // the load then goes on against the survivors until they too have acknowledged more.
      await().atMost(Duration.ofSeconds(120)).until(() -> opened.size() > 20);
      c.kill();
      int atKill = opened.size();
      await().atMost(Duration.ofSeconds(120)).until(() -> opened.size() > atKill + 5);
      going.set(false);
      for (Thread t : workers) t.join(10_000);
      assertThat(opened).hasSizeGreaterThan(20);

      // Every acknowledged session ends (idle 2 s) and its ending is recorded exactly once, though
      // the node that opened a third of them is dead: the survivors claim its deadlines.
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
          .until(() -> endings(List.of(dir.resolve("a"), dir.resolve("b"), dir.resolve("c"))).keySet()
              .containsAll(opened.keySet()));
      // A second ending of a session would be recorded by now most of the time; on a slow machine this
      // pause only makes the check weaker, never wrong.
      Thread.sleep(500);
      // With file audit logs, the one duplicate the design allows (docs/distributed.md, "Every change,
      // recorded once"): the killed node made its record durable and died before it removed the pending
      // entry, so a survivor recorded the same claim again. Anything else is a second ending.
      Map<String, List<String>> byNode = endingClaims(List.of(dir.resolve("a"), dir.resolve("b"), dir.resolve("c")));
      for (String id : opened.keySet()) {
        List<String> copies = byNode.get(id);
        assertThat(copies).as("endings of " + id).isNotEmpty();
        if (copies.size() > 1) {
          assertThat(copies).as("endings of " + id + ": a second only as the killed node's copy of one claim")
              .hasSize(2).anyMatch(copy -> copy.startsWith("c "));
          assertThat(copies.get(0).substring(2)).isEqualTo(copies.get(1).substring(2));
        }
      }
      for (String token : opened.values()) {
        assertThat(post(a.port, "/v1/check", null, "{\"token\":\"" + token + "\"}").statusCode()).isEqualTo(401);
      }
    } finally {
      a.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      b.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      c.stop();
    }
    // The killed node restarts on its log (a torn tail is repaired) and stops cleanly; then every
    // node's audit trail verifies.
    ServerProcess again = ServerProcess.start(config, dir.resolve("c"));
    again.stop();
    for (String n : List.of("a", "b", "c")) {
      assertThat(Main.run("audit", "verify", "--data", dir.resolve(n).toString())).as("audit verify " + n).isZero();
    }
  }

  @Test
  void rateLimitsCountForTheWholeClusterNotPerNode() throws Exception {
    Path config = config("redis://127.0.0.1:6379",
        "rate_limits:\n  open_per_subject: {limit: 2, per: 1m}\n  extend_per_subject: {limit: 2, per: 1m}\n");
    ServeCommand.Running a = inProcess(config, "a");
    ServeCommand.Running b = inProcess(config, "b");
    try {
      HttpResponse<String> first = post(a.port, "/v1/sessions", KEY, "{\"subject\":\"erin\",\"policy\":\"three\"}");
      assertThat(first.statusCode()).isEqualTo(201);
      assertThat(post(b.port, "/v1/sessions", KEY, "{\"subject\":\"erin\",\"policy\":\"three\"}").statusCode())
          .isEqualTo(201);
      // Each node has opened one: per node, a third would pass; for the cluster it is one too many.
      HttpResponse<String> third = post(a.port, "/v1/sessions", KEY, "{\"subject\":\"erin\",\"policy\":\"three\"}");
      assertThat(third.statusCode()).as(third.body()).isEqualTo(429);
      assertThat(JSON.readTree(third.body()).get("limit").asText()).isEqualTo("open_per_subject");
      assertThat(third.headers().firstValue("Retry-After")).isPresent();
      assertThat(post(b.port, "/v1/sessions", KEY, "{\"subject\":\"erin\",\"policy\":\"three\"}").statusCode())
          .isEqualTo(429);
      // Extensions by the holder: two in the cluster, then refused on either node.
      String token = JSON.readTree(first.body()).get("token").asText();
      assertThat(extend(a.port, token).statusCode()).isEqualTo(200);
      assertThat(extend(b.port, token).statusCode()).isEqualTo(200);
      HttpResponse<String> extend = extend(a.port, token);
      assertThat(extend.statusCode()).as(extend.body()).isEqualTo(429);
      assertThat(JSON.readTree(extend.body()).get("limit").asText()).isEqualTo("extend_per_subject");
    } finally {
      a.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      b.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
  }

  @Test
  void parallelOpeningsOfOneSubjectOnTwoNodes_neverLeaveMoreLiveSessionsThanThePolicyAllows() throws Exception {
    Path config = config("redis://127.0.0.1:6379");
    ServeCommand.Running a = inProcess(config, "a");
    ServeCommand.Running b = inProcess(config, "b");
    int[] ports = {a.port, b.port};
    try {
      for (String policy : List.of("three", "single")) {
        List<Integer> statuses = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < 6; w++) {
          int port = ports[w % 2];
          Thread t = new Thread(() -> {
            for (int i = 0; i < 5; i++) {
              try {
                statuses.add(post(port, "/v1/sessions", KEY,
                    "{\"subject\":\"dana-" + policy + "\",\"policy\":\"" + policy + "\"}").statusCode());
              } catch (Exception e) {
                statuses.add(-1);
              }
            }
          });
          t.start();
          workers.add(t);
        }
        for (Thread t : workers) t.join(60_000);
        int max = policy.equals("three") ? 3 : 1;
        if (policy.equals("three")) {
          assertThat(statuses.stream().filter(x -> x == 201)).hasSize(3);
          assertThat(statuses.stream().filter(x -> x == 409)).hasSize(27);
        } else {
          assertThat(statuses).containsOnly(201).hasSize(30);
        }
        for (int port : ports) {
          HttpResponse<String> live = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
              + "/v1/subjects/dana-" + policy + "/sessions")).header("Authorization", "Bearer " + KEY).build(),
              HttpResponse.BodyHandlers.ofString());
          assertThat(JSON.readTree(live.body()).get("sessions")).as(policy).hasSize(max);
        }
      }
    } finally {
      a.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      b.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
    for (String n : List.of("a", "b")) {
      assertThat(Main.run("audit", "verify", "--data", dir.resolve(n).toString())).as("audit verify " + n).isZero();
    }
  }

  @Test
  void redisStoppedFailsClosedAndServiceResumesWhenItReturns() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path redisDir = Files.createDirectories(dir.resolve("redis"));
    Process redis = startRedis(port, redisDir);
    ServeCommand.Running a = null;
    try {
      a = inProcess(config("redis://127.0.0.1:" + port), "a");
      String[] s = open(a.port, "bob");
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);

      HttpResponse<String> down = post(a.port, "/v1/check", null, "{\"token\":\"" + s[0] + "\",\"touch\":true}");
      assertThat(down.statusCode()).isEqualTo(503);
      assertThat(post(a.port, "/v1/sessions", KEY, "{\"subject\":\"carol\"}").statusCode()).isEqualTo(503);
      // Listing a subject's sessions fails closed like every other operation: the typed 503, not a 500.
      for (String path : List.of("/v1/sessions?subject=bob", "/v1/subjects/bob/sessions")) {
        HttpResponse<String> listed = get(a.port, path);
        assertThat(listed.statusCode()).as(path + ": " + listed.body()).isEqualTo(503);
        JsonNode problem = JSON.readTree(listed.body());
        assertThat(problem.path("type").asText()).isEqualTo("urn:curfew:problem:unavailable");
        assertThat(problem.path("detail").asText()).isEqualTo("the session store (Redis) cannot be reached");
      }
      // A load balancer asking /readyz sends nothing here meanwhile, and the operator reads why.
      int p = a.port;
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> get(p, "/readyz").statusCode() == 503);
      assertThat(get(p, "/readyz").body()).contains("\"status\":\"not_ready\"").contains("\"not_writable\":[\"session_store\"]")
          .contains("\"component\":\"session_store\",\"path\":\"redis://127.0.0.1:" + port + "\"");

      redis = startRedis(port, redisDir);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> post(p, "/v1/check", null, "{\"token\":\"" + s[0] + "\",\"touch\":true}").statusCode() == 200);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> get(p, "/readyz").statusCode() == 200);
      // The deadline scheduler resumed too: the session still expires on time, recorded once.
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> endings(List.of(dir.resolve("a"))).getOrDefault(s[1], 0) == 1);
    } finally {
      if (a != null) a.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void redisPausedAnswersEachRequest503AfterTwoSecondsPerRedisCallInTurn() throws Exception {
    int port = faultPort();
    Path redisDir = Files.createDirectories(dir.resolve("redis"));
    Process redis = startRedis(port, redisDir);
    ServeCommand.Running a = null;
    try {
      // Rate limits on (their defaults): an opening asks Redis for two buckets before its script.
      a = inProcess(config("redis://127.0.0.1:" + port, ""), "a");
      String[] s = open(a.port, "bob");
      if (new ProcessBuilder("kill", "-STOP", Long.toString(redis.pid())).start().waitFor() != 0) {
        throw new IllegalStateException("kill -STOP failed");
      }
      Map<String, Long> ms = new java.util.LinkedHashMap<>();
      Map<String, HttpResponse<String>> answers = new java.util.LinkedHashMap<>();
      int p = a.port;
      timed("open", ms, answers, () -> post(p, "/v1/sessions", KEY, "{\"subject\":\"carol\"}"));
      timed("extend", ms, answers, () -> extend(p, s[0]));
      timed("check", ms, answers, () -> post(p, "/v1/check", null, "{\"token\":\"" + s[0] + "\",\"touch\":true}"));
      timed("get", ms, answers, () -> get(p, "/v1/sessions/" + s[1]));
      timed("list", ms, answers, () -> get(p, "/v1/subjects/bob/sessions"));
      timed("policy", ms, answers, () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p
          + "/v1/policies/three")).timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY)
          .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(
              "{\"idle_timeout\":\"30s\",\"absolute_timeout\":\"1h\",\"max_extensions\":5}")).build(),
          HttpResponse.BodyHandlers.ofString()));
      System.out.println("answers with Redis paused, ms: " + ms);
      for (var e : answers.entrySet()) {
        assertThat(e.getValue().statusCode()).as(e.getKey() + ": " + e.getValue().body()).isEqualTo(503);
      }
      assertThat(JSON.readTree(answers.get("open").body()).path("detail").asText())
          .isEqualTo("no answer from the session store (Redis) within 2 s; the change may still take effect");
      assertThat(JSON.readTree(answers.get("list").body()).path("detail").asText())
          .isEqualTo("no answer from the session store (Redis) within 2 s");
      assertThat(JSON.readTree(answers.get("policy").body()).path("detail").asText())
          .isEqualTo("no answer from the session store (Redis) within 2 s; the change may still take effect");
      // The bound docs/distributed.md gives: 2 s for each Redis call in turn (an opening asks two rate
      // buckets, then runs its script; an extension one bucket), plus slack for a busy machine.
      assertThat(ms.get("open")).isBetween(6_000L, 8_000L);
      assertThat(ms.get("extend")).isBetween(4_000L, 6_000L);
      for (String one : List.of("check", "get", "list", "policy")) assertThat(ms.get(one)).as(one).isBetween(2_000L, 4_000L);
    } finally {
      new ProcessBuilder("kill", "-CONT", Long.toString(redis.pid())).start().waitFor();
      if (a != null) a.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** A free port among 19450-19499, the range set aside for the private Redis servers of fault tests. */
  private static int faultPort() throws Exception {
    List<Integer> ports = new ArrayList<>();
    for (int p = 19450; p <= 19499; p++) ports.add(p);
    java.util.Collections.shuffle(ports);
    for (int p : ports) {
      try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
        return p;
      } catch (java.io.IOException taken) {
        // another test's Redis
      }
    }
    throw new IllegalStateException("no free port among 19450-19499");
  }

  private interface Call {
    HttpResponse<String> send() throws Exception;
  }

  private static void timed(String name, Map<String, Long> ms, Map<String, HttpResponse<String>> answers, Call call)
      throws Exception {
    long start = System.nanoTime();
    answers.put(name, call.send());
    ms.put(name, (System.nanoTime() - start) / 1_000_000);
  }

  /** A private Redis that keeps every write in its append-only file, so that a restart loses nothing. */
  private static Process startRedis(int port, Path dir) throws Exception {
    Process p = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      try (var socket = new java.net.Socket("127.0.0.1", port)) {
        return true;
      } catch (java.io.IOException e) {
        return false;
      }
    });
    return p;
  }

  /** Session id -> "<node dir name> <claim>" of each ending record, across the audit logs of the given data directories. */
  private static Map<String, List<String>> endingClaims(List<Path> dataDirs) throws Exception {
    Map<String, List<String>> m = new HashMap<>();
    for (Path d : dataDirs) {
      eachRecord(d, r -> {
        if (ENDINGS.contains(r.path("type").asText())) {
          m.computeIfAbsent(r.path("session_id").asText(), k -> new ArrayList<>())
              .add(d.getFileName() + " " + r.path("data").path("claim").asText());
        }
      });
    }
    return m;
  }

  /** Every record of a data directory's audit log (the killed node's last line may be torn: skipped). */
  private static void eachRecord(Path dataDir, java.util.function.Consumer<JsonNode> each) throws Exception {
    Path audit = dataDir.resolve("audit");
    if (!Files.isDirectory(audit)) return;
    try (var files = Files.list(audit)) {
      for (Path f : files.filter(x -> x.getFileName().toString().matches("audit-\\d+\\.jsonl")).toList()) {
        for (String line : Files.readAllLines(f)) {
          if (line.isBlank()) continue;
          JsonNode r;
          try {
            r = JSON.readTree(line);
          } catch (Exception torn) {
            continue;
          }
          each.accept(r);
        }
      }
    }
  }

  /** Session id -> number of ending records, across the audit logs of the given data directories. */
  private static Map<String, Integer> endings(List<Path> dataDirs) throws Exception {
    Map<String, Integer> m = new HashMap<>();
    for (Path d : dataDirs) {
      eachRecord(d, r -> {
        if (ENDINGS.contains(r.path("type").asText())) m.merge(r.path("session_id").asText(), 1, Integer::sum);
      });
    }
    return m;
  }

  /** Opens a session on the node at {@code port}: {token, session id}. */
  private String[] open(int port, String subject) throws Exception {
    HttpResponse<String> r = post(port, "/v1/sessions", KEY, "{\"subject\":\"" + subject + "\"}");
    if (r.statusCode() != 201) throw new IllegalStateException("open: " + r.statusCode() + " " + r.body());
    JsonNode n = JSON.readTree(r.body());
    return new String[] {n.path("token").asText(), n.path("session_id").asText()};
  }

  private HttpResponse<String> post(int port, String path, String key, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    b.header("Authorization", "Bearer " + KEY);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> extend(int port, String token) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/session/extend"))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> delete(int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + KEY).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

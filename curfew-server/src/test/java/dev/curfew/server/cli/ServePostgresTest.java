package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.MerkleProofs;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.store.postgres.testing.TcpProxy;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code curfew serve} with {@code audit: postgres} against the real PostgreSQL server (through a
 * TCP proxy that the test cuts and restores), and {@code curfew audit --config} on what it wrote.
 */
class ServePostgresTest {
  private static final Pattern SESSION = Pattern.compile("\"session_id\":\"([^\"]+)\"");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;
  private TestDatabase database;
  private TcpProxy proxy;
  private Path config;
  private ServeCommand.Running server;
  private final ByteArrayOutputStream serverLog = new ByteArrayOutputStream();

  @BeforeEach
  void databaseAndConfig() throws Exception {
    database = TestDatabase.create("serve");
    proxy = TcpProxy.toTestServer();
    config = dir.resolve("curfew.yaml");
    Files.writeString(config, """
        node: node-a
        data_dir: %s
        audit: postgres
        postgres: { url: "jdbc:postgresql://127.0.0.1:%d/%s", user: %s }
        policies:
          default: { idle_timeout: 10m, absolute_timeout: 1h, warn_before: 1m, max_extensions: 3 }
        """.formatted(dir.resolve("data"), proxy.port(), database.name(), TestDatabase.USER));
  }

  @AfterEach
  void stopAll() throws Exception {
    proxy.start();
    if (server != null) server.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    proxy.close();
    database.close();
  }

  private ServeCommand.Running start() throws Exception {
    CurfewConfig cfg = CurfewConfig.load(config).withOverrides(0, null);
    server = ServeCommand.start(cfg, new PrintStream(serverLog, true, StandardCharsets.UTF_8));
    return server;
  }

  private void stop() {
    server.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    server = null;
  }

  private String key() throws Exception {
    return Files.readString(dir.resolve("data").resolve(KeyBootstrap.KEY_FILE)).trim();
  }

  @Test
  void concurrentChangesShareFewTransactionsAndEachIsInPostgresWhenAcknowledged() throws Exception {
    start();
    assertThat(server.audit).isInstanceOf(PostgresAudit.class);
    java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger committed = new java.util.concurrent.atomic.AtomicInteger();
    ((PostgresAudit) server.audit).log().commitListener((nanos, records) -> {
      commits.incrementAndGet();
      committed.addAndGet(records);
    });
    int threads = 16;
    int perThread = 25;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<java.util.concurrent.Future<List<String>>> results = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      results.add(pool.submit(() -> {
        List<String> missing = new ArrayList<>();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(database.config().jdbcUrl(), TestDatabase.USER, null);
             java.sql.PreparedStatement q = c.prepareStatement("SELECT count(*) FROM audit_records WHERE session_id = ?")) {
          go.await();
          for (int i = 0; i < perThread; i++) {
            dev.curfew.core.Decision d = server.sessions.open("user-" + thread + "-" + i, null, null).get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(d.verdict()).isEqualTo(dev.curfew.core.Decision.Verdict.ALLOWED);
            d.durable().get(30, java.util.concurrent.TimeUnit.SECONDS);
            // acknowledged: its record is in PostgreSQL now, not later
            q.setString(1, d.status().sessionId());
            try (java.sql.ResultSet rs = q.executeQuery()) {
              rs.next();
              if (rs.getLong(1) != 1) missing.add(d.status().sessionId());
            }
          }
        }
        return missing;
      }));
    }
    go.countDown();
    for (java.util.concurrent.Future<List<String>> r : results) {
      assertThat(r.get(120, java.util.concurrent.TimeUnit.SECONDS)).as("acknowledged but not in PostgreSQL").isEmpty();
    }
    pool.shutdown();
    int sessions = threads * perThread;
    assertThat(database.queryLong("SELECT count(*) FROM audit_records WHERE line LIKE '%\"type\":\"session.created\"%'"))
        .isEqualTo(sessions);
    // every record went through the one group commit: many records per transaction
    assertThat(committed.get()).isGreaterThanOrEqualTo(sessions);
    assertThat(commits.get()).as("transactions for " + committed.get() + " records").isLessThan(sessions / 2);
  }

  @Test
  void theApiServesTheTrailFromPostgresAndRefusesWhileItIsUnreachable() throws Exception {
    start();
    String key = key();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) ids.add(openSession(key, "user-" + i));
    // the query endpoint reads PostgreSQL: the same lines as the table, verbatim
    HttpResponse<String> q = get("/v1/audit?subject=user-3", key);
    assertThat(q.statusCode()).isEqualTo(200);
    JsonNode records = JSON.readTree(q.body()).get("records");
    assertThat(records).hasSize(1);
    assertThat(records.get(0).get("session_id").asText()).isEqualTo(ids.get(3));
    String stored = database.queryString("SELECT line FROM audit_records WHERE session_id = '" + ids.get(3) + "'");
    assertThat(stored).contains("\"type\":\"session.created\"");
    assertThat(q.body()).contains(stored); // the record as PostgreSQL holds it, verbatim

    String publicKey = CliRun.of("audit", "public-key", "--config", config.toString()).out().strip();
    assertThat(publicKey).startsWith("curfew/node-a+");
    HttpResponse<String> ev = get("/v1/audit/evidence?session_id=" + ids.get(2), key);
    assertThat(ev.statusCode()).isEqualTo(200);
    assertThat(EvidenceBundle.verify(ev.body(), NoteVerifier.parse(publicKey)).ok()).isTrue();
    assertThat(AuditCliEndToEndTest.independentlyValid(ev.body(), publicKey)).isTrue();

    HttpResponse<String> cp = get("/v1/audit/checkpoint", key);
    assertThat(cp.statusCode()).isEqualTo(200);
    Checkpoint first = checkpointOf(cp.body());
    assertThat(first.origin()).isEqualTo("curfew/node-a");
    for (int i = 6; i < 9; i++) ids.add(openSession(key, "user-" + i));
    Checkpoint later = awaitCheckpointAbove(key, first.treeSize());
    assertThat(later.treeSize()).as("a checkpoint within a second of new records").isGreaterThan(first.treeSize());
    HttpResponse<String> cons = get("/v1/audit/consistency?from=" + first.treeSize() + "&to=" + later.treeSize(), key);
    assertThat(cons.statusCode()).isEqualTo(200);
    List<byte[]> proof = new ArrayList<>();
    for (JsonNode h : JSON.readTree(cons.body()).get("proof")) proof.add(Base64.getDecoder().decode(h.asText()));
    assertThat(MerkleProofs.verifyConsistency(first.treeSize(), later.treeSize(), proof, first.rootHash(),
        later.rootHash())).isTrue();

    // PostgreSQL goes away: fail closed with 503 problems, the server keeps running
    proxy.stop();
    HttpResponse<String> refused = awaitStatus(503, key);
    assertThat(refused.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
    // and comes back: served again, no restart
    proxy.start();
    HttpResponse<String> back = awaitStatus(201, key);
    ids.add(sessionId(back.body()));
    long beforeStop = database.queryLong("SELECT count(*) FROM audit_records");
    stop();
    assertThat(database.queryLong("SELECT count(*) FROM audit_records")).as("node.stopped reached PostgreSQL")
        .isEqualTo(beforeStop + 1);
    assertThat(database.queryString("SELECT line FROM audit_records ORDER BY seq DESC LIMIT 1")).contains("node.stopped");

    // every record the API acknowledged is in PostgreSQL, and the journal holds the very same lines
    CliRun fromPg = CliRun.of("audit", "export", "--config", config.toString());
    CliRun fromFiles = CliRun.of("audit", "export", "--data", dir.resolve("data").toString());
    assertThat(fromPg.exit()).isZero();
    assertThat(fromPg.out()).isEqualTo(fromFiles.out());
    for (String id : ids) assertThat(fromPg.out()).contains("\"session_id\":\"" + id + "\"");

    CliRun verify = CliRun.of("audit", "verify", "--config", config.toString());
    assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
    assertThat(verify.out()).contains("curfew audit verify: OK (PostgreSQL, 1 node)").contains("node node-a: OK");
  }

  @Test
  void verifyNamesARowChangedWithSql() throws Exception {
    start();
    String key = key();
    for (int i = 0; i < 5; i++) openSession(key, "user-" + i);
    stop();
    Path pub = dir.resolve("node-a.pub");
    Files.writeString(pub, CliRun.of("audit", "public-key", "--config", config.toString()).out());
    CliRun ok = CliRun.of("audit", "verify", "--config", config.toString(),
        "--public-key", pub.toString());
    assertThat(ok.exit()).as(ok.out()).isZero();
    assertThat(ok.out()).doesNotContain("registered in the database");

    long victim = database.queryLong("SELECT seq FROM audit_records WHERE line LIKE '%\"subject\":\"user-3\"%'");
    database.sql("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;"
        + " UPDATE audit_records SET line = replace(line, '\"subject\":\"user-3\"', '\"subject\":\"user-9\"')"
        + " WHERE seq = " + victim);
    CliRun bad = CliRun.of("audit", "verify", "--config", config.toString(),
        "--public-key", pub.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out()).contains("curfew audit verify: FAILED").contains("node node-a: FAILED")
        .contains("first bad record: node node-a seq " + victim);
  }

  @Test
  void evidenceExportAndPublicKeyFromTheCommandLine() throws Exception {
    start();
    String key = key();
    String id = openSession(key, "alice");
    openSession(key, "bob");
    stop(); // a final checkpoint covers everything
    CliRun pk = CliRun.of("audit", "public-key", "--config", config.toString(), "--node", "node-a");
    CliRun ev = CliRun.of("audit", "evidence", "--config", config.toString(), "--session", id);
    assertThat(ev.exit()).as(ev.err()).isZero();
    assertThat(AuditCliEndToEndTest.independentlyValid(ev.out().strip(), pk.out().strip())).isTrue();
    assertThat(ev.out()).contains(id).doesNotContain("bob");
    CliRun csv = CliRun.of("audit", "export", "--config", config.toString(),
        "--format", "csv", "--node", "node-a");
    assertThat(csv.out()).startsWith("seq,time,type,node,session_id").contains(",session.created,node-a," + id + ",alice,");
    assertThat(CliRun.of("audit", "public-key", "--config", config.toString(), "--node", "nope").exit())
        .isEqualTo(2);
    assertThat(CliRun.of("audit", "verify", "--data", dir.resolve("data").toString(), "--node", "x").exit())
        .as("--node is for the PostgreSQL store").isEqualTo(2);
  }

  @Test
  void aNodeThatKeptItsTrailInFilesCopiesItToPostgresAtItsFirstStartWithIt() throws Exception {
    CurfewConfig fileCfg = CurfewConfig.parse("node: node-a\n").withOverrides(0, dir.resolve("data"));
    server = ServeCommand.start(fileCfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    String key = key();
    String early = openSession(key, "early");
    stop();
    long journal = CliRun.of("audit", "export", "--data", dir.resolve("data").toString()).out().lines().count();

    start(); // audit: postgres, same data directory
    assertThat(serverLog.toString(StandardCharsets.UTF_8)).contains("copied " + journal + " records from the journal");
    openSession(key, "late");
    stop();
    CliRun fromPg = CliRun.of("audit", "export", "--config", config.toString());
    assertThat(fromPg.out()).contains(early).contains("\"subject\":\"late\"");
    assertThat(fromPg.out()).isEqualTo(CliRun.of("audit", "export", "--data", dir.resolve("data").toString()).out());
    assertThat(CliRun.of("audit", "verify", "--config", config.toString()).exit()).isZero();
  }

  @Test
  void aServerThatCannotReachPostgresDoesNotStart() throws Exception {
    proxy.stop();
    assertThatThrownBy(this::start).hasMessageContaining("PostgreSQL")
        .hasMessageContaining("127.0.0.1:" + proxy.port());
    server = null;
    proxy.start();
    start(); // and starts once it can
    openSession(key(), "alice");
  }

  @Test
  void redisNodesEachWriteTheirOwnTreeIntoTheOneDatabase() throws Exception {
    String prefix = "t" + java.util.UUID.randomUUID().toString().substring(0, 8);
    List<ServeCommand.Running> nodes = new ArrayList<>();
    try {
      for (String name : List.of("node-r1", "node-r2")) {
        Path nodeConfig = dir.resolve(name + ".yaml");
        Files.writeString(nodeConfig, """
            node: %s
            store: redis
            redis: { uri: "redis://127.0.0.1:6379", key_prefix: %s }
            audit: postgres
            postgres: { url: "jdbc:postgresql://%s:%d/%s", user: %s }
            """.formatted(name, prefix, TestDatabase.HOST, TestDatabase.PORT, database.name(), TestDatabase.USER));
        CurfewConfig cfg = CurfewConfig.load(nodeConfig).withOverrides(0, dir.resolve(name));
        nodes.add(ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
      }
      for (int i = 0; i < 2; i++) {
        server = nodes.get(i);
        String key = Files.readString(dir.resolve("node-r" + (i + 1)).resolve(KeyBootstrap.KEY_FILE)).trim();
        String id = openSession(key, "user-r" + (i + 1));
        HttpResponse<String> ev = get("/v1/audit/evidence?session_id=" + id, key);
        assertThat(ev.statusCode()).isEqualTo(200);
        assertThat(EvidenceBundle.verify(ev.body(), null).ok()).isTrue();
        assertThat(ev.body()).contains("curfew/node-r" + (i + 1));
      }
    } finally {
      server = null;
      for (ServeCommand.Running n : nodes) n.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      new ProcessBuilder("sh", "-c", "redis-cli --scan --pattern '{" + prefix + "*' | xargs -r redis-cli del >/dev/null")
          .inheritIO().start().waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertThat(database.queryLong("SELECT count(*) FROM audit_nodes")).isEqualTo(2);
    for (String name : List.of("node-r1", "node-r2")) {
      assertThat(database.queryString("SELECT string_agg(line, '|' ORDER BY seq) FROM audit_records r JOIN audit_nodes n"
          + " USING (node_id) WHERE n.name = '" + name + "'"))
          .contains("\"type\":\"node.started\"", "\"type\":\"session.created\"", "\"type\":\"node.stopped\"")
          .contains("\"node\":\"" + name + "\"");
    }
    Path cliConfig = dir.resolve("cli.yaml"); // the audit tools need only where the database is
    Files.writeString(cliConfig, "audit: postgres\npostgres: { url: \"jdbc:postgresql://" + TestDatabase.HOST + ":"
        + TestDatabase.PORT + "/" + database.name() + "\", user: " + TestDatabase.USER + " }\n");
    CliRun verify = CliRun.of("audit", "verify", "--config", cliConfig.toString());
    assertThat(verify.exit()).as(verify.out()).isZero();
    assertThat(verify.out()).contains("(PostgreSQL, 2 nodes)", "node node-r1: OK", "node node-r2: OK");
    for (String name : List.of("node-r1", "node-r2")) {
      CliRun exported = CliRun.of("audit", "export", "--config", cliConfig.toString(),
          "--node", name);
      assertThat(exported.out()).isEqualTo(CliRun.of("audit", "export", "--data",
          dir.resolve(name).toString()).out());
    }
  }

  // ---------------------------------------------------------------- helpers

  private String openSession(String key, String subject) throws Exception {
    HttpResponse<String> r = post("/v1/sessions", key, "{\"subject\":\"" + subject + "\"}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return sessionId(r.body());
  }

  private static String sessionId(String body) {
    Matcher m = SESSION.matcher(body);
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  /** Opens sessions until one answers {@code status} (bounded). */
  private HttpResponse<String> awaitStatus(int status, String key) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    HttpResponse<String> r;
    do {
      r = post("/v1/sessions", key, "{\"subject\":\"probe\"}");
      if (r.statusCode() == status) return r;
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("no " + status + " within 40 s; last: " + r.statusCode() + " " + r.body());
  }

  private Checkpoint awaitCheckpointAbove(String key, long size) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      Checkpoint c = checkpointOf(get("/v1/audit/checkpoint", key).body());
      if (c.treeSize() > size || System.nanoTime() > deadline) return c;
      Thread.sleep(100);
    }
  }

  private static Checkpoint checkpointOf(String note) {
    return Checkpoint.parse(note.substring(0, note.indexOf("\n\n") + 1));
  }

  private HttpResponse<String> post(String path, String bearer, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String bearer) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + bearer).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port + path);
  }
}

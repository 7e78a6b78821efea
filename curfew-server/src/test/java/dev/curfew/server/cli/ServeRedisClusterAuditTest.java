package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.store.postgres.testing.TestDatabase;
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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code curfew serve} nodes with {@code store: redis} and {@code audit: postgres} (a private
 * Redis key prefix, a private database): a session opened on one node and extended and ended on the
 * other has its records in both nodes' trees, and either node answers for the whole trail.
 */
class ServeRedisClusterAuditTest {
  private static final String KEY = "test-key-" + UUID.randomUUID();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private TestDatabase database;
  private final List<ServeCommand.Running> nodes = new ArrayList<>();

  @BeforeEach
  void database() {
    database = TestDatabase.create("clusteraudit");
  }

  @AfterEach
  void stopAll() throws Exception {
    for (ServeCommand.Running n : nodes) n.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    new ProcessBuilder("sh", "-c", "redis-cli --scan --pattern '{" + prefix + "*' | xargs -r redis-cli del >/dev/null")
        .inheritIO().start().waitFor(20, TimeUnit.SECONDS);
    database.close();
  }

  private ServeCommand.Running start(String name) throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(KEY.getBytes(StandardCharsets.UTF_8)));
    Path config = dir.resolve(name + ".yaml");
    Files.writeString(config, """
        node: %s
        store: redis
        redis: { uri: "redis://127.0.0.1:6379", key_prefix: %s }
        audit: postgres
        postgres: { url: "jdbc:postgresql://%s:%d/%s", user: %s }
        api_keys:
          - name: test
            key_sha256: "%s"
        policies:
          default: { idle_timeout: 10m, absolute_timeout: 1h, warn_before: 1m, max_extensions: 3 }
        rate_limits:
          enabled: false
        """.formatted(name, prefix, TestDatabase.HOST, TestDatabase.PORT, database.name(), TestDatabase.USER, sha));
    CurfewConfig cfg = CurfewConfig.load(config).withOverrides(0, dir.resolve(name));
    ServeCommand.Running n = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    nodes.add(n);
    return n;
  }

  @Test
  void aSessionsTrailReadFromEitherNodeIsCompleteAndItsEvidenceCoversBothTrees() throws Exception {
    ServeCommand.Running a = start("node-a");
    ServeCommand.Running b = start("node-b");

    // Opened on node-a, extended and revoked on node-b; some other sessions on both around it.
    HttpResponse<String> opened = post(a.port, "/v1/sessions", KEY, "{\"subject\":\"alice\"}");
    assertThat(opened.statusCode()).as(opened.body()).isEqualTo(201);
    String token = JSON.readTree(opened.body()).get("token").asText();
    String id = JSON.readTree(opened.body()).get("session_id").asText();
    for (int i = 0; i < 3; i++) {
      assertThat(post(i % 2 == 0 ? a.port : b.port, "/v1/sessions", KEY, "{\"subject\":\"other-" + i + "\"}")
          .statusCode()).isEqualTo(201);
    }
    assertThat(extend(b.port, token).statusCode()).isEqualTo(200);
    assertThat(extend(b.port, token).statusCode()).isEqualTo(200);
    assertThat(delete(b.port, "/v1/sessions/" + id).statusCode()).isEqualTo(204);

    List<String> expected = List.of("session.created@node-a", "session.extended@node-b", "session.extended@node-b",
        "session.revoked@node-b");
    for (ServeCommand.Running n : List.of(a, b)) {
      // One page with everything
      JsonNode page = JSON.readTree(get(n.port, "/v1/audit?session_id=" + id).body());
      assertThat(typesAndNodes(page.get("records"))).as("node " + n.port).isEqualTo(expected);
      assertThat(page.get("next").isNull()).isTrue();
      // Page by page, one record each: every record once, in the same order
      List<String> paged = new ArrayList<>();
      String after = null;
      int pages = 0;
      do {
        String body = get(n.port, "/v1/audit?session_id=" + id + "&limit=1"
            + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8))).body();
        JsonNode p = JSON.readTree(body);
        assertThat(p.get("records").size()).as(body).isLessThanOrEqualTo(1);
        paged.addAll(typesAndNodes(p.get("records")));
        after = p.get("next").isNull() ? null : p.get("next").asText();
        assertThat(++pages).isLessThan(20);
      } while (after != null);
      assertThat(paged).isEqualTo(expected);
    }

    // The console's session page, on either node
    for (ServeCommand.Running n : List.of(a, b)) {
      List<String> lines = n.audit.view().sessionRecords(id);
      List<String> shown = new ArrayList<>();
      for (String line : lines) {
        JsonNode r = JSON.readTree(line);
        shown.add(r.get("type").asText() + "@" + r.get("node").asText());
      }
      assertThat(shown).isEqualTo(expected);
    }

    // The whole trail of both trees, in small pages: every record the database held before paging, once.
    Set<String> before = new HashSet<>(List.of(database.queryString(
        "SELECT string_agg(n.name || '/' || r.seq, ',') FROM audit_records r JOIN audit_nodes n USING (node_id)")
        .split(",")));
    assertThat(before).anyMatch(s -> s.startsWith("node-a/")).anyMatch(s -> s.startsWith("node-b/"));
    Set<String> seen = new HashSet<>();
    String after = null;
    int pages = 0;
    do {
      JsonNode p = JSON.readTree(get(pages % 2 == 0 ? a.port : b.port, "/v1/audit?limit=3"
          + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8))).body());
      for (JsonNode r : p.get("records")) {
        assertThat(seen.add(r.get("node").asText() + "/" + r.get("seq").asLong())).as("once: " + r).isTrue();
      }
      after = p.get("next").isNull() ? null : p.get("next").asText();
      assertThat(++pages).isLessThan(500);
    } while (after != null);
    assertThat(seen).containsAll(before);

    // A seq from one node's log is no cursor of the trail of two
    HttpResponse<String> numeric = get(a.port, "/v1/audit?after=3");
    assertThat(numeric.statusCode()).isEqualTo(400);
    assertThat(get(a.port, "/v1/audit?after=t.bm90IGEgY3Vyc29y").statusCode()).isEqualTo(400);

    // Evidence from either node: both trees, verified with both nodes' keys
    Path cliConfig = dir.resolve("cli.yaml");
    Files.writeString(cliConfig, "audit: postgres\npostgres: { url: \"jdbc:postgresql://" + TestDatabase.HOST + ":"
        + TestDatabase.PORT + "/" + database.name() + "\", user: " + TestDatabase.USER + " }\n");
    Path keys = dir.resolve("keys.pub");
    Files.writeString(keys, CliRun.of("audit", "public-key", "--config", cliConfig.toString()).out());
    Path keyOfA = dir.resolve("a.pub");
    Files.writeString(keyOfA, CliRun.of("audit", "public-key", "--config", cliConfig.toString(),
        "--node", "node-a").out());
    for (ServeCommand.Running n : List.of(a, b)) {
      HttpResponse<String> ev = get(n.port, "/v1/audit/evidence?session_id=" + id);
      assertThat(ev.statusCode()).as(ev.body()).isEqualTo(200);
      JsonNode bundle = JSON.readTree(ev.body());
      assertThat(bundle.get("trees")).hasSize(2);
      List<String> records = new ArrayList<>();
      for (JsonNode tree : bundle.get("trees")) {
        for (JsonNode e : tree.get("entries")) records.add(e.get("record").asText());
      }
      assertThat(records).hasSize(4).allMatch(r -> r.contains("\"session_id\":\"" + id + "\""));
      Path file = dir.resolve("evidence-" + n.port + ".json");
      Files.writeString(file, ev.body());
      CliRun ok = CliRun.of("audit", "verify-evidence", file.toString(),
          "--public-key", keys.toString());
      assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
      assertThat(ok.out()).contains("OK: 4 records of session " + id + ", included in 2 trees",
          "every tree signed by a trusted key");
      // node-a's key alone does not vouch for node-b's tree
      CliRun oneKey = CliRun.of("audit", "verify-evidence", file.toString(),
          "--public-key", keyOfA.toString());
      assertThat(oneKey.exit()).as(oneKey.out()).isEqualTo(AuditCommand.EXIT_FAILED);
      assertThat(oneKey.out()).contains("node-b", "not among the trusted keys");

      // One record of the second tree changed: the bundle no longer verifies
      Path tampered = dir.resolve("tampered-" + n.port + ".json");
      Files.writeString(tampered, tamperSecondTree(ev.body()));
      CliRun bad = CliRun.of("audit", "verify-evidence", tampered.toString(),
          "--public-key", keys.toString());
      assertThat(bad.exit()).as(bad.out()).isEqualTo(AuditCommand.EXIT_FAILED);
      assertThat(bad.out()).contains("INVALID", "Tree 1", "inclusion proof do not give root_hash");
    }

    // The tool, from the database alone, without --node: the same two trees
    CliRun fromDb = CliRun.of("audit", "evidence", "--config", cliConfig.toString(),
        "--session", id);
    assertThat(fromDb.exit()).as(fromDb.err()).isZero();
    assertThat(JSON.readTree(fromDb.out()).get("trees")).hasSize(2);
    Path file = dir.resolve("evidence-db.json");
    Files.writeString(file, fromDb.out());
    assertThat(CliRun.of("audit", "verify-evidence", file.toString(), "--public-key", keys.toString())
        .exit()).isZero();

    // The export from the database: both trees as one trail, every record once, by time
    Set<String> all = new HashSet<>(List.of(database.queryString(
        "SELECT string_agg(n.name || '/' || r.seq, ',') FROM audit_records r JOIN audit_nodes n USING (node_id)")
        .split(",")));
    CliRun exported = CliRun.of("audit", "export", "--config", cliConfig.toString());
    assertThat(exported.exit()).as(exported.err()).isZero();
    List<String> lines = exported.out().lines().toList();
    Set<String> exportedIds = new HashSet<>();
    String previousTime = "";
    for (String line : lines) {
      JsonNode r = JSON.readTree(line);
      assertThat(exportedIds.add(r.get("node").asText() + "/" + r.get("seq").asLong())).isTrue();
      assertThat(r.get("time").asText()).isGreaterThanOrEqualTo(previousTime);
      previousTime = r.get("time").asText();
    }
    assertThat(exportedIds).isEqualTo(all);
  }

  /** The bundle with one character of the first record of its second tree changed. */
  @SuppressWarnings("unchecked")
  private static String tamperSecondTree(String bundle) {
    Map<String, Object> all = Json.parseObject(bundle);
    Map<String, Object> second = (Map<String, Object>) ((List<Object>) all.get("trees")).get(1);
    Map<String, Object> entry = (Map<String, Object>) ((List<Object>) second.get("entries")).get(0);
    String record = (String) entry.get("record");
    entry.put("record", record.replace("\"node\":\"node-", "\"node\":\"nodE-"));
    assertThat(entry.get("record")).isNotEqualTo(record);
    return CanonicalJson.write(all);
  }

  private static List<String> typesAndNodes(JsonNode records) {
    List<String> out = new ArrayList<>();
    for (JsonNode r : records) {
      if (r.get("type").asText().startsWith("session.")) out.add(r.get("type").asText() + "@" + r.get("node").asText());
    }
    return out;
  }

  private HttpResponse<String> post(int port, String path, String bearer, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> extend(int port, String token) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/session/extend"))
        .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + KEY).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> delete(int port, String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20))
        .header("Authorization", "Bearer " + KEY).DELETE().build(), HttpResponse.BodyHandlers.ofString());
  }
}

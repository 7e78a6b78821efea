package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.store.redis.RedisClusterProcesses;
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
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code curfew serve} with {@code redis.nodes}: two nodes in this JVM over a private Redis Cluster
 * of three primaries with a replica each ({@link RedisClusterProcesses}), found through its seed
 * nodes. A session opened on one node is checked and revoked on the other, and the sessions of many
 * subjects land on more than one primary: the client follows the cluster's slot map.
 */
class ServeRedisClusterTest {
  private static final String KEY = "test-key-" + UUID.randomUUID();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ByteArrayOutputStream logA = new ByteArrayOutputStream();
  private RedisClusterProcesses cluster;
  private final List<ServeCommand.Running> nodes = new ArrayList<>();

  @BeforeEach
  void startCluster() throws Exception {
    cluster = new RedisClusterProcesses(Files.createDirectories(dir.resolve("cluster")));
  }

  @AfterEach
  void stop() {
    try {
      for (ServeCommand.Running n : nodes) n.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    } finally {
      if (cluster != null) cluster.close();
    }
  }

  private List<String> seeds() {
    return List.of(cluster.uris().split(","));
  }

  private Path config() throws Exception {
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(KEY.getBytes(StandardCharsets.UTF_8)));
    StringBuilder nodes = new StringBuilder();
    for (String seed : seeds()) nodes.append("    - \"").append(seed).append("\"\n");
    Path config = dir.resolve("curfew.yaml");
    Files.writeString(config, "store: redis\nredis:\n  nodes:\n" + nodes + "  key_prefix: cluster-test\n"
        + "api_keys:\n  - name: test\n    key_sha256: \"" + sha + "\"\n"
        + "policies:\n  default:\n    idle_timeout: 10m\n    absolute_timeout: 1h\n    warn_before: 1m\n"
        + "    max_extensions: 3\n"
        + "rate_limits:\n  enabled: false\n");
    return config;
  }

  private ServeCommand.Running start(Path config, String name, ByteArrayOutputStream log) throws Exception {
    CurfewConfig cfg = CurfewConfig.load(config).withOverrides(0, dir.resolve(name));
    ServeCommand.Running r = ServeCommand.start(cfg, new PrintStream(log, true, StandardCharsets.UTF_8));
    nodes.add(r);
    return r;
  }

  @Test
  void aSessionOpenedOnOneNodeIsCheckedAndRevokedOnAnother_overTheClustersSeedNodes() throws Exception {
    Path config = config();
    ServeCommand.Running a = start(config, "a", logA);
    ServeCommand.Running b = start(config, "b", new ByteArrayOutputStream());
    assertThat(logA.toString(StandardCharsets.UTF_8))
        .contains("sessions in the Redis Cluster of seed nodes " + String.join(", ", seeds()));

    String[] s = open(a.port, "alice");
    HttpResponse<String> checked = post(b.port, "/v1/check", "{\"token\":\"" + s[0] + "\",\"touch\":true}");
    assertThat(checked.statusCode()).as(checked.body()).isEqualTo(200);
    assertThat(JSON.readTree(checked.body()).path("session_id").asText()).isEqualTo(s[1]);

    HttpResponse<String> revoked = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.port
        + "/v1/sessions/" + s[1])).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + KEY).DELETE()
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);
    HttpResponse<String> refused = post(a.port, "/v1/check", "{\"token\":\"" + s[0] + "\"}");
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body()).contains("\"reason\":\"revoked\"");

    // Sessions of many subjects fall in many shards, whose slots the cluster spreads over its primaries.
    for (int i = 0; i < 32; i++) open(i % 2 == 0 ? a.port : b.port, "user-" + i);
    int primariesWithKeys = 0;
    for (String seed : seeds()) {
      String port = seed.substring(seed.lastIndexOf(':') + 1);
      if (cli(port, "role").startsWith("master") && Long.parseLong(cli(port, "dbsize").trim()) > 0) primariesWithKeys++;
    }
    assertThat(primariesWithKeys).as("primaries holding Curfew's keys").isGreaterThanOrEqualTo(2);
  }

  private static String cli(String port, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", port));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(20, TimeUnit.SECONDS);
    return out;
  }

  /** Opens a session on the node at {@code port}: {token, session id}. */
  private String[] open(int port, String subject) throws Exception {
    HttpResponse<String> r = post(port, "/v1/sessions", "{\"subject\":\"" + subject + "\"}");
    assertThat(r.statusCode()).as("open: " + r.body()).isEqualTo(201);
    JsonNode n = JSON.readTree(r.body());
    return new String[] {n.path("token").asText(), n.path("session_id").asText()};
  }

  private HttpResponse<String> post(int port, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + KEY).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

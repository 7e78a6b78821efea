package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.server.config.AuditConfig;
import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.config.StoreConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServeCommandTest {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newHttpClient();

  private ServeCommand.Running start(String idle) throws Exception {
    CurfewConfig cfg = CurfewConfig.parse("policies:\n  default:\n    idle_timeout: " + idle
        + "\n    absolute_timeout: 1h\n    warn_before: 1m\n    max_extensions: 3\n")
        .withOverrides(0, dir.resolve("data"));
    return ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  private String get(ServeCommand.Running r, String path) throws Exception {
    String key = Files.readString(dir.resolve("data/api-key")).trim();
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port + path))
        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  @Test
  void changedConfigurationBecomesANewAuditedPolicyVersion() throws Exception {
    ServeCommand.Running first = start("10m");
    assertThat(get(first, "/v1/policies/default")).contains("\"version\":1", "\"idle_timeout_ms\":600000");
    first.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertThat(Files.getPosixFilePermissions(dir.resolve("data"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));

    ServeCommand.Running second = start("5m");
    try {
      assertThat(get(second, "/v1/policies/default")).contains("\"version\":2", "\"idle_timeout_ms\":300000");
      assertThat(get(second, "/v1/audit?type=policy.changed")).contains("\"actor\":\"config\"");
    } finally {
      second.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
    ServeCommand.Running third = start("5m");
    try {
      assertThat(get(third, "/v1/policies/default")).contains("\"version\":2");
    } finally {
      third.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
  }

  @Test
  void serveMountsTheAdminConsole_whoseSessionsHaveTheBuiltInPolicyUnlessTheConfigurationDefinesOne() throws Exception {
    ServeCommand.Running r = start("10m");
    try {
      HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + r.port + "/console")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(303);
      assertThat(page.headers().firstValue("Location")).hasValue("/console/login?return=%2Fconsole");
      assertThat(get(r, "/v1/policies/curfew-console")).contains("\"idle_timeout_ms\":900000", "\"absolute_timeout_ms\":28800000");
    } finally {
      r.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
    CurfewConfig own = CurfewConfig.parse("default_policy: default\npolicies:\n  default:\n    idle_timeout: 10m\n"
        + "    absolute_timeout: 1h\n  curfew-console:\n    idle_timeout: 5m\n    absolute_timeout: 4h\n"
        + "    warn_before: 1m\n    max_extensions: 10\n").withOverrides(0, dir.resolve("data"));
    ServeCommand.Running again = ServeCommand.start(own, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      assertThat(get(again, "/v1/policies/curfew-console")).contains("\"version\":2", "\"idle_timeout_ms\":300000");
    } finally {
      again.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
  }

  @Test
  void unavailableBackendsAreRefusedAtStart() {
    assertThat(CurfewConfig.parse("store: redis").store()).isInstanceOf(StoreConfig.Redis.class);
    assertThat(CurfewConfig.parse(
        "audit: postgres\npostgres: {url: \"jdbc:postgresql://127.0.0.1/curfew\", user: curfew}\n").audit())
        .isInstanceOf(AuditConfig.Postgres.class);
    assertThatThrownBy(() -> CurfewConfig.parse("audit: postgres"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("postgres.url");
    assertThatThrownBy(() -> CurfewConfig.parse("store: redis\nredis:\n  uri: http://127.0.0.1:6379\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("redis.uri");
  }

  /**
   * Two listeners of one process on one port: Vert.x shares the bound port between them, so the
   * API's clients were handed to the gateway (or a database gateway) in turn. Refused at start,
   * naming the key, before anything is written.
   */
  @Test
  void aListenerOnThePortOfAnother_isRefusedNamingTheKey_beforeTheStoreOpens() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CurfewConfig cfg = CurfewConfig.parse("gateway:\n  port: " + port + "\n  routes:\n    - path: /\n"
        + "      upstream: http://127.0.0.1:9\n").withOverrides(port, dir.resolve("data"));
    assertThatThrownBy(() -> ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("gateway.port: port " + port
            + " is also server.port (or --port)'s");
    assertThat(dir.resolve("data/audit")).as("the store never opened").doesNotExist();

    CurfewConfig db = CurfewConfig.parse("databases:\n  - name: orders\n    protocol: postgres\n"
        + "    listen: 0.0.0.0:" + port + "\n    upstream: 127.0.0.1:5432\n    user: app\n")
        .withOverrides(port, dir.resolve("data"));
    assertThatThrownBy(() -> ServeCommand.start(db, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("databases[0].listen: port " + port);
  }

  /**
   * A secret the environment does not hold was found after the store had opened (and, for a
   * database, after the API listened), and the store was left open: no node.stopped, so the next
   * start reported an unclean shutdown. Now it is found first, naming the key.
   */
  @Test
  void aMissingWebhookSecret_isRefusedNamingTheKey_beforeTheStoreOpens() throws Exception {
    CurfewConfig cfg = CurfewConfig.parse("notify:\n  webhooks:\n    - url: https://hooks.example/end\n"
        + "      secret_env: CURFEW_TEST_SECRET_THAT_IS_NOT_SET\n").withOverrides(0, dir.resolve("data"));
    assertThatThrownBy(() -> ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("notify.webhooks[0].secret_env: the environment variable CURFEW_TEST_SECRET_THAT_IS_NOT_SET is not set");
    assertThat(dir.resolve("data/audit")).as("the store never opened").doesNotExist();
  }
}

package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.testing.RequiredTool;
import dev.curfew.server.config.CurfewConfig;
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
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code curfew serve} counts failed logins at its PostgreSQL and MySQL gateways in the same
 * {@code failed_checks_per_address} budget as its HTTP API: unknown tokens at {@code /v1/session},
 * through psql and through the mariadb client use up one address's budget together, after which
 * even a right token is refused by each, in its own protocol (docs/security.md, "Rate limits").
 * The limit is 4 an hour, so that no token comes back while the test runs.
 */
class ServeLoginLimitTest {
  @TempDir Path dir;

  @Test
  void unknownTokensAtTheApi_psqlAndMariadb_shareOneBudget_thenEvenARightTokenIsRefused() throws Exception {
    RequiredTool.require(Files.isExecutable(Path.of("/usr/bin/psql")), "psql (apt-get install postgresql-client)");
    RequiredTool.require(Files.isExecutable(Path.of("/usr/bin/mariadb")), "mariadb (apt-get install mariadb-client)");
    String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(5));
    String myDb = "curfew_serve_limit_" + suffix;
    String myUser = "cu_limit_" + suffix;
    root("CREATE DATABASE `" + myDb + "`", "CREATE USER '" + myUser + "'@'%'", "GRANT ALL ON `" + myDb + "`.* TO '" + myUser + "'@'%'");
    try (TestDatabase db = TestDatabase.create("serve_login_limit")) {
      CurfewConfig cfg = CurfewConfig.parse("""
          policies:
            default: {idle_timeout: 15m, absolute_timeout: 12h}
          rate_limits:
            failed_checks_per_address: {limit: 4, per: 1h}
          databases:
            - name: orders
              protocol: postgres
              listen: 127.0.0.1:0
              upstream: %s:%d
              database: %s
              user: %s
            - name: shop
              protocol: mysql
              listen: 127.0.0.1:0
              upstream: 127.0.0.1:3306
              database: %s
              user: %s
          """.formatted(TestDatabase.HOST, TestDatabase.PORT, db.name(), TestDatabase.USER, myDb, myUser))
          .withOverrides(0, dir.resolve("data"));
      ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      try {
        int pg = running.databases.get(0).port();
        int my = running.databases.get(1).port();
        String pgToken = running.sessions.open("alice", null, Map.of(), dev.curfew.core.Audience.of("db:orders"), "portal")
            .join().token();
        String myToken = running.sessions.open("alice", null, Map.of(), dev.curfew.core.Audience.of("db:shop"), "portal")
            .join().token();
        String apiToken = running.sessions.open("alice", null, Map.of(), dev.curfew.core.Audience.of("app:portal"), "portal")
            .join().token();
        String guess = "cft_" + "x".repeat(43);

        // Before: the right tokens work.
        assertThat(psql(pg, db.name(), "alice", pgToken).exit).isZero();
        assertThat(mariadb(my, myDb, "alice", myToken).exit).isZero();
        // Four failures from 127.0.0.1, each somewhere else.
        assertThat(session(running.port, guess).statusCode()).isEqualTo(401);
        assertThat(psql(pg, db.name(), "alice", guess).err).contains("session token refused (unknown)");
        assertThat(mariadb(my, myDb, "alice", guess).err).contains("ERROR 1045");
        assertThat(psql(pg, db.name(), "mallory", pgToken).err).as("a live token under another name is a guess too")
            .contains("the user name must be the session's subject");

        // The budget is used up: every protocol refuses the right token, before looking at it.
        Result p = psql(pg, db.name(), "alice", pgToken);
        assertThat(p.exit).isNotZero();
        assertThat(p.err).contains("FATAL:  curfew: too many unknown session tokens from this address "
            + "(failed_checks_per_address); retry in");
        Result m = mariadb(my, myDb, "alice", myToken);
        assertThat(m.exit).isNotZero();
        assertThat(m.err).contains("ERROR 1040 (08004)").contains("failed_checks_per_address");
        HttpResponse<String> api = session(running.port, apiToken);
        assertThat(api.statusCode()).isEqualTo(429);
        assertThat(api.headers().firstValue("Retry-After")).isPresent();
        assertThat(api.body()).contains("failed_checks_per_address");

        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> trail(running).contains("\"why\":\"rate_limited\""));
        assertThat(trail(running)).contains("\"limit\":\"failed_checks_per_address\"").doesNotContain(pgToken)
            .doesNotContain(myToken);
      } finally {
        running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      }
    } finally {
      root("DROP DATABASE IF EXISTS `" + myDb + "`", "DROP USER IF EXISTS '" + myUser + "'@'%'");
    }
  }

  @Test
  void unknownTokensAtTheApiAndAtTheSshGateway_shareOneBudget_thenOpenSshShowsTheLimit() throws Exception {
    boolean here = dev.curfew.gateway.ssh.PrivateSshd.available();
    if (!here && "true".equals(System.getenv("CI"))) throw new IllegalStateException("OpenSSH tools missing (see .ci/run)");
    org.junit.jupiter.api.Assumptions.assumeTrue(here, "openssh-server, sshpass or script missing: skipped outside CI");
    try (dev.curfew.gateway.ssh.PrivateSshd sshd = new dev.curfew.gateway.ssh.PrivateSshd(Files.createDirectories(dir.resolve("sshd")))) {
      int sshPort = dev.curfew.gateway.ssh.PrivateSshd.freePort();
      CurfewConfig cfg = CurfewConfig.parse("policies:\n  default: {idle_timeout: 15m, absolute_timeout: 12h}\n"
          + "rate_limits:\n  failed_checks_per_address: {limit: 2, per: 1h}\n"
          + "ssh:\n  listen: 127.0.0.1:" + sshPort + "\n  targets:\n"
          + "    - name: build-box\n      upstream: 127.0.0.1:" + sshd.port + "\n      user: " + sshd.user + "\n"
          + "      identity_file: " + sshd.curfewKey + "\n      host_key: \"" + sshd.hostPublicKey + "\"\n")
          .withOverrides(0, dir.resolve("data"));
      ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      try {
        String token = running.sessions.open("alice", null, Map.of(), dev.curfew.core.Audience.of("ssh:build-box"), "portal")
            .join().token();
        Result ok = ssh(sshPort, token);
        assertThat(ok.out).as(ok.err).contains("in-42");
        assertThat(session(running.port, "cft_" + "x".repeat(43)).statusCode()).isEqualTo(401);
        assertThat(ssh(sshPort, "cft_" + "y".repeat(43)).err).contains("curfew: login refused (unknown)");

        Result limited = ssh(sshPort, token);
        assertThat(limited.exit).isNotZero();
        assertThat(limited.out).doesNotContain("in-42");
        assertThat(limited.err).contains("curfew: too many unknown session tokens from this address "
            + "(failed_checks_per_address); retry in");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> trail(running).contains("\"why\":\"rate_limited\""));
      } finally {
        running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      }
    }
  }

  private static Result ssh(int port, String token) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sshpass", "-e", "ssh", "-p", Integer.toString(port),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=20",
        "-l", "alice@build-box", "127.0.0.1", "echo in-$((6*7))");
    pb.environment().put("SSHPASS", token);
    return run(pb);
  }

  private static HttpResponse<String> session(int port, String token) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/session"))
        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String trail(ServeCommand.Running running) throws Exception {
    StringBuilder all = new StringBuilder();
    running.store.log().scan(0, line -> {
      all.append(line).append('\n');
      return true;
    });
    return all.toString();
  }

  private static void root(String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:3306/?user=root"); Statement s = c.createStatement()) {
      for (String sql : statements) s.execute(sql);
    }
  }

  private record Result(int exit, String out, String err) {}

  private static Result psql(int port, String db, String user, String token) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("psql", "-X", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", user,
        "-d", db, "-v", "ON_ERROR_STOP=1", "-c", "SELECT 1");
    pb.environment().put("PGPASSWORD", token);
    pb.environment().put("PGSSLMODE", "disable");
    pb.environment().put("PGCONNECT_TIMEOUT", "20");
    return run(pb);
  }

  private static Result mariadb(int port, String db, String user, String token) throws Exception {
    return run(new ProcessBuilder(List.of("mariadb", "--protocol=TCP", "-h", "127.0.0.1", "-P", Integer.toString(port),
        "-u", user, "--password=" + token, "--enable-cleartext-plugin", "--skip-ssl", "-D", db,
        "--skip-reconnect", "-e", "SELECT 1")));
  }

  private static Result run(ProcessBuilder pb) throws Exception {
    Process p = pb.start();
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("the client did not finish");
    }
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}

package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.testing.RequiredTool;
import dev.curfew.server.config.CurfewConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
 * {@code curfew serve} with a {@code protocol: mysql} entry in front of the machine's MariaDB,
 * driven by Debian's {@code mariadb} client: the token is the password (mysql_clear_password),
 * statements run, a wrong user is refused, the warning is counted and named by SHOW WARNINGS, and
 * an idle session ends with the client showing error 4031 and the reason.
 */
class ServeMysqlTest {
  @TempDir Path dir;

  @Test
  void mariadbClientThroughServe_runsStatements_seesTheWarning_andIsToldWhyTheSessionEnded() throws Exception {
    RequiredTool.require(Files.isExecutable(Path.of("/usr/bin/mariadb")), "mariadb (apt-get install mariadb-client)");
    String suffix = HexFormat.of().formatHex(new SecureRandom().generateSeed(5));
    String db = "curfew_serve_my_" + suffix;
    String user = "cu_serve_" + suffix;
    // serve reads the upstream password from its environment, which a test cannot set: this user has none.
    root("CREATE DATABASE `" + db + "`", "CREATE USER '" + user + "'@'%'", "GRANT ALL ON `" + db + "`.* TO '" + user + "'@'%'");
    try {
      CurfewConfig cfg = CurfewConfig.parse("""
          policies:
            default: {idle_timeout: 15m, absolute_timeout: 12h}
            quick: {idle_timeout: 3s, absolute_timeout: 1h, warn_before: 1s}
          databases:
            - name: orders
              protocol: mysql
              listen: 127.0.0.1:0
              upstream: 127.0.0.1:3306
              database: %s
              user: %s
              policy: quick
              audit_statements: digest
          """.formatted(db, user)).withOverrides(0, dir.resolve("data"));
      ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      try {
        int port = running.databases.get(0).port();
        String web = running.sessions.open("alice", "quick", Map.of(), dev.curfew.core.Audience.route("/"), "gateway:/").join().token();
        Result elsewhere = mariadb(port, db, "alice", web, "SELECT 1");
        assertThat(elsewhere.exit).isNotZero();
        assertThat(elsewhere.err).contains("ERROR 1045").contains("curfew: session token refused (wrong_audience)");
        String token = running.sessions.open("alice", "quick", Map.of(), dev.curfew.core.Audience.of("db:orders"), "portal").join()
            .token();
        Result ok = mariadb(port, db, "alice", token, "SELECT 40 + 2 AS answer");
        assertThat(ok.err).isEmpty();
        assertThat(ok.out).contains("42");
        assertThat(ok.exit).isZero();
        Result refused = mariadb(port, db, "mallory", token, "SELECT 1");
        assertThat(refused.exit).isNotZero();
        assertThat(refused.err).contains("curfew: the user name must be the session's subject");
        // idle 3 s, warning 1 s before: a client that sleeps 2.5 s is warned with its next statement, and
        // one that then sleeps 5 s more is cut with the reason
        Result idle = mariadb(port, db, "alice", token, "SELECT 1 + 1;\n\\! sleep 2.5\nDO 0;\n\\! sleep 5\nSELECT 2 + 2;");
        assertThat(idle.out + idle.err).contains("curfew: this session ends at");
        assertThat(idle.err).contains("ERROR 4031").contains("curfew: session ended (idle_timeout)");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> trail(running).contains("\"type\":\"connection.closed\""));
        String log = trail(running);
        assertThat(log).contains("\"type\":\"connection.opened\"").contains("\"type\":\"connection.refused\"")
            .contains("\"type\":\"statement.executed\"").doesNotContain(token);
      } finally {
        running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      }
    } finally {
      root("DROP DATABASE IF EXISTS `" + db + "`", "DROP USER IF EXISTS '" + user + "'@'%'");
    }
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

  private static Result mariadb(int port, String db, String user, String token, String sql) throws Exception {
    Process p = new ProcessBuilder(List.of("mariadb", "--protocol=TCP", "-h", "127.0.0.1", "-P", Integer.toString(port),
        "-u", user, "--password=" + token, "--enable-cleartext-plugin", "--skip-ssl", "-D", db, "--show-warnings",
        "--skip-reconnect", "-e", sql)).start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("mariadb did not finish");
    }
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}

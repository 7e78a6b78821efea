package dev.curfew.server.cli;

import dev.curfew.core.testing.RequiredTool;
import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.config.CurfewConfig;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code curfew serve} with a {@code databases:} entry, driven by Debian's {@code psql}: the token
 * is the password, statements run, and an idle session ends with psql showing the reason.
 */
class ServeDatabaseTest {
  @TempDir Path dir;

  @Test
  void psqlThroughServe_runsStatements_andIsToldWhyTheSessionEnded() throws Exception {
    boolean psql = Files.isExecutable(Path.of("/usr/bin/psql"));
    RequiredTool.require(psql, "psql (apt-get install postgresql-client)");
    try (TestDatabase db = TestDatabase.create("serve_db")) {
      CurfewConfig cfg = CurfewConfig.parse("""
          policies:
            default: {idle_timeout: 15m, absolute_timeout: 12h}
            quick: {idle_timeout: 3s, absolute_timeout: 1h, warn_before: 1s}
          databases:
            - name: orders
              protocol: postgres
              listen: 127.0.0.1:0
              upstream: %s:%d
              database: %s
              user: %s
              policy: quick
              audit_statements: digest
          """.formatted(TestDatabase.HOST, TestDatabase.PORT, db.name(), TestDatabase.USER))
          .withOverrides(0, dir.resolve("data"));
      ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      try {
        int port = running.databases.get(0).port();
        String token = running.sessions.open("alice", "quick", Map.of(), dev.curfew.core.Audience.of("db:orders"), "portal").join()
            .token();
        Result ok = psql(port, db.name(), "alice", token, "SELECT 40 + 2 AS answer");
        assertThat(ok.out).contains("42");
        assertThat(ok.exit).isZero();
        Result refused = psql(port, db.name(), "mallory", token, "SELECT 1");
        assertThat(refused.exit).isNotZero();
        assertThat(refused.err).contains("curfew: the user name must be the session's subject");
        // idle 3 s: a psql that sleeps 5 s between two statements is cut with the reason
        Result idle = psql(port, db.name(), "alice", token, "SELECT 1 + 1; \\! sleep 5\nSELECT 2 + 2;");
        assertThat(idle.err).contains("FATAL:  curfew: session ended (idle_timeout)");
        assertThat(idle.out + idle.err).contains("curfew: this session ends at");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> trail(running).contains("\"type\":\"connection.closed\""));
        String log = trail(running);
        assertThat(log).contains("\"type\":\"connection.opened\"").contains("\"type\":\"connection.refused\"")
            .contains("\"type\":\"statement.executed\"").doesNotContain(token);
      } finally {
        running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
      }
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

  private record Result(int exit, String out, String err) {}

  private static Result psql(int port, String db, String user, String token, String script) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("psql", "-X", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", user,
        "-d", db, "-v", "ON_ERROR_STOP=1", "-f", "-");
    pb.environment().put("PGPASSWORD", token);
    pb.environment().put("PGSSLMODE", "disable");
    Process p = pb.start();
    p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("psql did not finish");
    }
    return new Result(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }
}

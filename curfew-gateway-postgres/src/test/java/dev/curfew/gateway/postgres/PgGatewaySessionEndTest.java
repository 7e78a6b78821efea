package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.AuditRecord;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * The session's clock through the gateway, on the real clock with policy {@code short} (idle 2 s,
 * warning 1 s before): idle expiry, long statements that are not idle, the warning in the client,
 * revocation mid-query, several connections of one session, cancel and COPY.
 */
class PgGatewaySessionEndTest {
  private static PgGatewayFixture f;

  @BeforeAll
  static void start() {
    f = new PgGatewayFixture("pg_gateway_end");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void idleConnection_endsAtTheIdleDeadline_withFatal57P05() throws Exception {
    String token = f.open("ida", "short");
    try (Connection c = f.connect("ida", token); Statement s = c.createStatement()) {
      s.execute("SELECT now()");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.closed").stream()
          .anyMatch(r -> "ida".equals(r.subject())));
      assertThatThrownBy(() -> s.executeQuery("SELECT now()"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: session ended (idle_timeout)")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57P05"));
    }
    AuditRecord closed = f.records("connection.closed").stream().filter(r -> "ida".equals(r.subject())).findFirst().orElseThrow();
    assertThat(closed.data()).containsEntry("why", "session_ended").containsEntry("reason", "idle_timeout");
  }

  @Test
  void aLongStatement_isNotIdle() throws Exception {
    String token = f.open("liz", "short");
    try (Connection c = f.connect("liz", token); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT pg_sleep(4.5), 'done'")) { // more than twice the idle timeout
        rs.next();
        assertThat(rs.getString(2)).isEqualTo("done");
      }
      try (ResultSet rs = s.executeQuery("SELECT 'still in'")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("still in");
      }
    }
  }

  @Test
  void aLongStatement_isNotIdle_thoughAPolicyAppliedToItsSessionShortensTheIdleTimeoutUnderIt() throws Exception {
    // A policy of this test's own (the fixture's are shared): idle 1 h, so the running statement touches every 30 s.
    f.engine.changePolicy(dev.curfew.core.Policy.of("shrinking", Duration.ofHours(1), Duration.ofHours(2),
        Duration.ofMinutes(1), 0), false, "admin");
    String token = f.open("sid", "shrinking");
    String sessionId = f.engine.check(token, false).status().sessionId();
    try (Connection c = f.connect("sid", token); Statement s = c.createStatement()) {
      long loggedInActivityMs = f.engine.get(sessionId).status().lastActivityAtMs();
      Thread.sleep(20); // so that the statement's own touch is seen as later than the login's
      CompletableFuture<String> running = CompletableFuture.supplyAsync(() -> {
        try (ResultSet rs = s.executeQuery("SELECT pg_sleep(7), 'done' /* sid-sleep */")) {
          rs.next();
          return rs.getString(2);
        } catch (SQLException e) {
          return e.getSQLState() + " " + e.getMessage();
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> running.isDone()
          || f.engine.get(sessionId).status().lastActivityAtMs() > loggedInActivityMs); // the statement's own touch
      long changedAtMs = System.currentTimeMillis();
      f.engine.changePolicy(dev.curfew.core.Policy.of("shrinking", Duration.ofSeconds(3), Duration.ofHours(2),
          Duration.ofSeconds(1), 0), true, "admin");
      // The session idles out 3 s after its last touch unless the statement goes on touching it by the new timeout.
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
        dev.curfew.core.Decision d = f.engine.get(sessionId);
        assertThat(d.allowed()).as("the session of a running statement ended: %s", d.reason()).isTrue();
        return d.status().lastActivityAtMs() > changedAtMs + 4_000;
      });
      assertThat(running.get(30, TimeUnit.SECONDS)).isEqualTo("done");
    }
  }

  @Test
  void anExtendedStatementFlushedWithoutSync_isNotIdle_whileTheClientWaitsForIt() throws Exception {
    String token = f.open("flo", "short");
    try (Socket s = f.loggedIn("flo", token)) {
      s.setSoTimeout(30_000);
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      // Parse, Bind, Execute, then Flush (no Sync): the client waits for the answers (55.2.3).
      batch.writeBytes(message('P', "\0SELECT pg_sleep(4.5), 'flushed'\0\0\0"));
      batch.writeBytes(message('B', "\0\0\0\0\0\0\0\0"));
      batch.writeBytes(message('E', "\0\0\0\0\0"));
      batch.writeBytes(message('H', ""));
      s.getOutputStream().write(batch.toByteArray());
      // More than twice the idle timeout later, the answers arrive and no FATAL came before them.
      assertThat(readUntil(s.getInputStream(), 'C')).doesNotContain("E").contains("1", "2", "D");
      assertThat(f.engine.check(token, false).allowed()).isTrue();
      s.getOutputStream().write(message('S', ""));
      assertThat(readUntil(s.getInputStream(), 'Z')).isEqualTo("Z");
    }
  }

  /** One frontend message: type, length, body (the body's NULs written as \0). */
  private static byte[] message(char type, String body) {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(5 + b.length).put((byte) type).putInt(4 + b.length).put(b).array();
  }

  /** The types of the backend messages read up to and including the first of type {@code last}. */
  private static String readUntil(InputStream in, char last) throws Exception {
    StringBuilder types = new StringBuilder();
    while (true) {
      int type = in.read();
      if (type < 0) return types.append("<closed>").toString();
      int len = ByteBuffer.wrap(in.readNBytes(4)).getInt();
      in.readNBytes(len - 4);
      types.append((char) type);
      if (type == last) return types.toString();
    }
  }

  @Test
  void theWarning_reachesTheClient_asAnSqlWarning() throws Exception {
    String token = f.open("wes", "short");
    try (Connection c = f.connect("wes", token); Statement s = c.createStatement()) {
      s.execute("SELECT 1 + 1");
      // The warning (1 s before the idle deadline) arrives while the client waits; the next statement reads it.
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("session.warning_sent").stream()
          .anyMatch(r -> "wes".equals(r.subject())));
      s.execute("SELECT 2 + 2");
      SQLWarning w = s.getWarnings();
      StringBuilder all = new StringBuilder();
      for (SQLWarning x = w; x != null; x = x.getNextWarning()) all.append(x.getMessage()).append('\n');
      for (SQLWarning x = c.getWarnings(); x != null; x = x.getNextWarning()) all.append(x.getMessage()).append('\n');
      assertThat(all.toString()).contains("curfew: this session ends at").contains("(idle timeout) in 1 s");
    }
  }

  @Test
  void passiveStatements_doNotKeepTheSessionAlive() throws Exception {
    String token = f.open("pat", "short");
    try (Connection c = f.connect("pat", token); Statement s = c.createStatement()) {
      long deadline = f.engine.check(token, false).status().idleExpiresAtMs();
      s.execute("select 1;"); // the configured passive statement, trimmed, any case, trailing ';'
      assertThat(f.engine.check(token, false).status().idleExpiresAtMs()).isEqualTo(deadline);
      Thread.sleep(20);
      s.execute("SELECT 2");
      assertThat(f.engine.check(token, false).status().idleExpiresAtMs()).isGreaterThan(deadline);
    }
  }

  @Test
  void revokeMidQuery_cutsEveryConnectionOfTheSession_andCancelsTheStatementUpstream() throws Exception {
    String token = f.open("rex", "long");
    String sessionId = f.engine.check(token, false).status().sessionId();
    try (Connection busy = f.connect("rex", token); Connection idle = f.connect("rex", token)) {
      CompletableFuture<SQLException> running = CompletableFuture.supplyAsync(() -> {
        try (Statement s = busy.createStatement()) {
          s.execute("SELECT pg_sleep(60) /* rex-sleep */");
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> activeSleeps() == 1);
      assertThat(f.gateway.connections.count(sessionId)).isEqualTo(2);
      f.engine.revoke(sessionId, "test", "leaving");
      SQLException e = running.get(30, TimeUnit.SECONDS);
      assertThat((Throwable) e).isNotNull().hasMessageContaining("curfew: session ended (revoked)");
      assertThat(e.getSQLState()).isEqualTo("57P01");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> activeSleeps() == 0);
      assertThatThrownBy(() -> idle.createStatement().execute("SELECT 1 + 1"))
          .isInstanceOf(SQLException.class).hasMessageContaining("session ended (revoked)");
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.closed").stream()
        .filter(r -> "rex".equals(r.subject()) && "session_ended".equals(r.data().get("why"))).count() == 2);
    assertCancelledStatementRecorded("rex", "rex-sleep");
    assertThatThrownBy(() -> f.connect("rex", token)).isInstanceOf(SQLException.class).hasMessageContaining("(revoked)");
  }

  /**
   * The statement that was running when the session ended has its statement.executed record, with
   * outcome cancelled, before its connection's connection.closed (audit: every statement relayed).
   */
  private static void assertCancelledStatementRecorded(String subject, String textPart) {
    java.util.List<AuditRecord> all = f.sink.records();
    int statement = -1;
    for (int i = 0; i < all.size(); i++) {
      AuditRecord r = all.get(i);
      if (r.type().equals("statement.executed") && subject.equals(r.subject())
          && String.valueOf(r.data().get("text")).contains(textPart)) statement = i;
    }
    assertThat(statement).as("a statement.executed record of the statement cut by the end").isNotNegative();
    AuditRecord rec = all.get(statement);
    assertThat(rec.data()).containsEntry("outcome", "cancelled");
    Object connection = rec.data().get("connection_id");
    int closed = -1;
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).type().equals("connection.closed") && connection.equals(all.get(i).data().get("connection_id"))) closed = i;
    }
    assertThat(closed).as("its connection's connection.closed, after it").isGreaterThan(statement);
  }

  @Test
  void cancel_stopsTheRunningStatement() throws Exception {
    String token = f.open("cal", "long");
    try (Connection c = f.connect("cal", token); Statement s = c.createStatement()) {
      CompletableFuture<SQLException> running = CompletableFuture.supplyAsync(() -> {
        try {
          s.execute("SELECT pg_sleep(60) /* cal-sleep */");
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sleeps("cal-sleep") == 1);
      s.cancel();
      SQLException e = running.get(30, TimeUnit.SECONDS);
      assertThat((Throwable) e).isNotNull();
      assertThat(e.getSQLState()).isEqualTo("57014"); // query_canceled, from the upstream
      try (ResultSet rs = s.executeQuery("SELECT 'after cancel'")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("after cancel");
      }
    }
  }

  @Test
  void copyInAndOut_relay() throws Exception {
    String token = f.open("cody", "long");
    try (Connection c = f.connect("cody", token)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS copied (id int, name text)");
      }
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
      StringBuilder rows = new StringBuilder();
      for (int i = 0; i < 5000; i++) rows.append(i).append('\t').append("row ").append(i).append('\n');
      long in = copy.copyIn("COPY copied FROM STDIN", new java.io.StringReader(rows.toString()));
      assertThat(in).isEqualTo(5000);
      java.io.StringWriter out = new java.io.StringWriter();
      long outRows = copy.copyOut("COPY (SELECT * FROM copied ORDER BY id) TO STDOUT", out);
      assertThat(outRows).isEqualTo(5000);
      assertThat(out.toString()).isEqualTo(rows.toString());
    }
  }

  private static long activeSleeps() {
    return sleeps("rex-sleep");
  }

  private static long sleeps(String tag) {
    return f.db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%" + tag
        + "%' AND query NOT LIKE '%pg_stat_activity%'");
  }
}

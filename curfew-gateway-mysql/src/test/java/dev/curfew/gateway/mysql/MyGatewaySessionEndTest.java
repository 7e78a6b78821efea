package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.AuditRecord;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The session's clock through the MySQL gateway with MariaDB Connector/J on the machine's
 * MariaDB, on the real clock with policy {@code short} (idle 2 s, warning 1 s before): idle expiry
 * (4031), long statements that are not idle, the warning in the warning count and SHOW WARNINGS,
 * revocation mid-query (1927, the statement killed upstream), several connections of one session,
 * prepared statements, and a schema switch refused.
 */
class MyGatewaySessionEndTest {
  private static MyGatewayFixture f;

  @BeforeAll
  static void start() {
    f = new MyGatewayFixture("my_gateway_end");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  private static AuditRecord closedOf(String subject) {
    return f.records("connection.closed").stream().filter(r -> subject.equals(r.subject())).findFirst().orElseThrow();
  }

  @Test
  void idleConnection_endsAtTheIdleDeadline_withError4031() throws Exception {
    String token = f.open("ida", "short");
    try (Connection c = f.connect("ida", token); Statement s = c.createStatement()) {
      s.execute("SELECT NOW()");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.closed").stream()
          .anyMatch(r -> "ida".equals(r.subject())));
      assertThatThrownBy(() -> s.executeQuery("SELECT NOW()"))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: session ended (idle_timeout)")
          .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(4031));
    }
    assertThat(closedOf("ida").data()).containsEntry("why", "session_ended").containsEntry("reason", "idle_timeout");
  }

  @Test
  void aLongStatement_isNotIdle() throws Exception {
    String token = f.open("liz", "short");
    try (Connection c = f.connect("liz", token); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT SLEEP(4.5), 'done'")) { // more than twice the idle timeout
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(2)).isEqualTo("done");
      }
      try (ResultSet rs = s.executeQuery("SELECT 'still here'")) {
        assertThat(rs.next()).isTrue();
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
        try (ResultSet rs = s.executeQuery("SELECT SLEEP(7), 'done'")) {
          rs.next();
          return rs.getString(2);
        } catch (SQLException e) {
          return e.getErrorCode() + " " + e.getMessage();
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
  void theWarning_isCountedInTheNextResponse_andNamedBySHOWWARNINGS() throws Exception {
    String token = f.open("wes", "short");
    try (Connection c = f.connect("wes", token); Statement s = c.createStatement()) {
      s.execute("SELECT 1 + 1");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("session.warning_sent").stream()
          .anyMatch(r -> "wes".equals(r.subject())));
      s.execute("DO 0");
      // Connector/J reads the warning count and asks SHOW WARNINGS for the rows.
      SQLWarning w = s.getWarnings();
      assertThat((Throwable) w).isNotNull();
      assertThat(w.getMessage()).contains("curfew: this session ends at").contains("(idle timeout)");
      assertThat(w.getErrorCode()).isEqualTo(MyPackets.CURFEW_WARNING_CODE);
      s.execute("DO 0");
      assertThat((Throwable) s.getWarnings()).isNull(); // counted once
    }
  }

  /**
   * A warning held for the next OK packet, then an extension: the warning named a deadline that no
   * longer holds, and was shown anyway (with the time already past, the session alive).
   */
  @Test
  void aWarningNotYetShown_isForgottenWhenTheSessionIsExtended() throws Exception {
    String token = f.open("xena", "extendable");
    try (Connection c = f.connect("xena", token); Statement s = c.createStatement()) {
      s.execute("SELECT 1 + 1");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("session.warning_sent").stream()
          .anyMatch(r -> "xena".equals(r.subject())));
      assertThat(f.engine.extend(token).allowed()).isTrue();
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("session.extended").stream()
          .anyMatch(r -> "xena".equals(r.subject())));
      s.execute("DO 0"); // within the 4 s before the extended deadline's own warning
      assertThat((Throwable) s.getWarnings()).as("the warning of a deadline the extension moved").isNull();
    }
  }

  @Test
  void revokeMidQuery_cutsEveryConnectionOfTheSession_andKillsTheStatementUpstream() throws Exception {
    String token = f.open("rex", "long");
    String sessionId = f.engine.check(token, false).status().sessionId();
    String marker = "rex_" + System.nanoTime();
    try (Connection busy = f.connect("rex", token); Connection idle = f.connect("rex", token)) {
      CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
        try (Statement s = busy.createStatement()) {
          s.executeQuery("SELECT SLEEP(30) AS " + marker);
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.db.running(marker));
      assertThat(f.gateway.connections.count(sessionId)).isEqualTo(2);
      f.engine.revoke(sessionId, "test", "leaving");
      Throwable e = failure.get(30, TimeUnit.SECONDS);
      assertThat(e).isInstanceOf(SQLException.class).hasMessageContaining("curfew: session ended (revoked)");
      assertThat(((SQLException) e).getErrorCode()).isEqualTo(1927);
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !f.db.running(marker));
      assertThatThrownBy(() -> idle.createStatement().executeQuery("SELECT 1"))
          .isInstanceOf(SQLException.class).hasMessageContaining("session ended (revoked)");
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.closed").stream()
        .filter(r -> "rex".equals(r.subject()) && "session_ended".equals(r.data().get("why"))).count() == 2);
    assertCancelledStatementRecorded("rex", marker);
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
  void preparedStatements_runThroughAndAreActivity() throws Exception {
    String token = f.open("pam", "long");
    Properties serverSide = new Properties();
    serverSide.setProperty("useServerPrepStmts", "true");
    try (Connection c = f.connect("pam", token, f.db.name, serverSide); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS pam (id INT PRIMARY KEY, name VARCHAR(20))");
      try (PreparedStatement ins = c.prepareStatement("INSERT INTO pam VALUES (?, ?)")) {
        for (int i = 1; i <= 3; i++) {
          ins.setInt(1, i);
          ins.setString(2, "n" + i);
          assertThat(ins.executeUpdate()).isEqualTo(1);
        }
      }
      try (PreparedStatement sel = c.prepareStatement("SELECT name FROM pam WHERE id >= ? ORDER BY id")) {
        sel.setInt(1, 2);
        try (ResultSet rs = sel.executeQuery()) {
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).isEqualTo("n2");
          assertThat(rs.next()).isTrue();
          assertThat(rs.getString(1)).isEqualTo("n3");
          assertThat(rs.next()).isFalse();
        }
      }
    }
    assertThat(f.records("statement.executed").stream().filter(r -> "pam".equals(r.subject()))
        .map(r -> r.data().get("text")))
        .contains("INSERT INTO pam VALUES (?, ?)", "SELECT name FROM pam WHERE id >= ? ORDER BY id");
  }

  @Test
  void anotherSchema_isRefused_andTheConnectionGoesOn() throws Exception {
    String token = f.open("uma", "long");
    try (Connection c = f.connect("uma", token); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("USE mysql")).isInstanceOf(SQLException.class)
          .hasMessageContaining("serves only the database")
          .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1044));
      assertThatThrownBy(() -> c.setCatalog("mysql")).isInstanceOf(SQLException.class);
      try (ResultSet rs = s.executeQuery("SELECT DATABASE()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo(f.db.name);
      }
    }
    assertThatThrownBy(() -> f.connect("uma", token, "mysql", new Properties())).isInstanceOf(SQLException.class)
        .hasMessageContaining("serves only the database");
  }
}

package dev.curfew.gateway.postgres;

import dev.curfew.gateway.db.StatementDigest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.AuditRecord;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Logging in through the gateway with JDBC: who gets in, who is refused, and what is on record. */
class PgGatewayLoginTest {
  private static PgGatewayFixture f;

  @BeforeAll
  static void start() {
    f = new PgGatewayFixture("pg_gateway_login");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void subjectWithLiveToken_getsIn_asTheConfiguredUpstreamUser() throws Exception {
    String token = f.open("alice", "long");
    try (Connection c = f.connect("alice", token); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT current_user, current_database()")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("postgres");
      assertThat(rs.getString(2)).isEqualTo(f.db.name());
    }
    AuditRecord opened = f.records("connection.opened").stream().filter(r -> "alice".equals(r.subject())).findFirst().orElseThrow();
    assertThat(opened.data()).containsEntry("target", "orders").containsEntry("protocol", "postgres")
        .containsEntry("database", f.db.name()).containsKey("connection_id").containsKey("client_address");
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.closed").stream()
        .anyMatch(r -> r.data().get("connection_id").equals(opened.data().get("connection_id"))));
    AuditRecord closed = f.records("connection.closed").stream()
        .filter(r -> r.data().get("connection_id").equals(opened.data().get("connection_id"))).findFirst().orElseThrow();
    assertThat(closed.data()).containsEntry("why", "client_closed").containsKeys("bytes_in", "bytes_out", "duration_ms");
    assertThat((Long) closed.data().get("active_messages")).isGreaterThanOrEqualTo(1L);
  }

  @Test
  void theUpstreamNeverSeesTheToken() throws Exception {
    String token = f.open("tom", "long");
    try (Connection c = f.connect("tom", token); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT string_agg(coalesce(usename,'') || ' ' || coalesce(application_name,'')"
             + " || ' ' || coalesce(query,''), '|') FROM pg_stat_activity")) {
      rs.next();
      assertThat(rs.getString(1)).doesNotContain(token).doesNotContain("tom");
    }
  }

  @Test
  void deadToken_isRefused_withTheReason_andRecorded() throws Exception {
    String token = f.open("bob", "long");
    f.engine.logout(token);
    assertThatThrownBy(() -> f.connect("bob", token))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("curfew: session token refused (logged_out)")
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
        .anyMatch(r -> "logged_out".equals(r.data().get("why"))));
  }

  @Test
  void aSessionForAnotherPlace_isRefusedAsWrongAudience_andLivesOn() throws Exception {
    String web = f.engine.open("bob", "long", java.util.Map.of(), dev.curfew.core.Audience.route("/"), "gateway:/").token();
    String otherDb = f.engine.open("bob", "long", java.util.Map.of(), dev.curfew.core.Audience.of("db:billing"), "portal")
        .token();
    for (String token : new String[] {web, otherDb}) {
      assertThatThrownBy(() -> f.connect("bob", token))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: session token refused (wrong_audience)");
      assertThat(f.engine.check(token, false).allowed()).isTrue();
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
        .anyMatch(r -> "wrong_audience".equals(r.data().get("why"))));
  }

  @Test
  void unknownToken_isRefused() {
    assertThatThrownBy(() -> f.connect("bob", "cft_not_a_token"))
        .isInstanceOf(SQLException.class).hasMessageContaining("session token refused (unknown)");
  }

  @Test
  void wrongSubject_isRefused_andRecordedUnderTheSession() throws Exception {
    String token = f.open("carol", "long");
    assertThatThrownBy(() -> f.connect("mallory", token))
        .isInstanceOf(SQLException.class).hasMessageContaining("session's subject");
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
        .anyMatch(r -> "wrong_subject".equals(r.data().get("why")) && "carol".equals(r.subject())));
  }

  @Test
  void anotherDatabase_isRefused() throws Exception {
    String token = f.open("dave", "long");
    assertThatThrownBy(() -> f.connect("dave", token, "postgres"))
        .isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("3D000"));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
        .anyMatch(r -> "wrong_database".equals(r.data().get("why"))));
  }

  @Test
  void preparedStatements_runThroughTheExtendedProtocol_andAreAudited() throws Exception {
    String token = f.open("erin", "long");
    try (Connection c = f.connect("erin", token)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS items (id int primary key, name text)");
      }
      try (var ps = c.prepareStatement("INSERT INTO items VALUES (?, ?) ON CONFLICT DO NOTHING")) {
        for (int i = 0; i < 10; i++) { // beyond prepareThreshold (5): named server-side statements
          ps.setInt(1, i);
          ps.setString(2, "item " + i);
          ps.executeUpdate();
        }
      }
      try (var ps = c.prepareStatement("SELECT name FROM items WHERE id = ?")) {
        ps.setInt(1, 7);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo("item 7");
        }
      }
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("statement.executed").stream()
        .filter(r -> "erin".equals(r.subject()) && String.valueOf(r.data().get("text")).startsWith("INSERT INTO items"))
        .count() == 10);
    AuditRecord select = f.records("statement.executed").stream()
        .filter(r -> "erin".equals(r.subject()) && String.valueOf(r.data().get("text")).startsWith("SELECT name")).findFirst().orElseThrow();
    assertThat(select.data()).containsEntry("outcome", "ok")
        .containsEntry("sha256", StatementDigest.sha256("SELECT name FROM items WHERE id = $1")).containsKey("duration_ms");
  }

  @Test
  void aFailingStatement_isAuditedAsAnError_andTheConnectionGoesOn() throws Exception {
    String token = f.open("fay", "long");
    try (Connection c = f.connect("fay", token); Statement s = c.createStatement()) {
      assertThatThrownBy(() -> s.execute("SELECT * FROM no_such_table")).isInstanceOf(SQLException.class);
      try (ResultSet rs = s.executeQuery("SELECT 2")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(2);
      }
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("statement.executed").stream()
        .anyMatch(r -> "fay".equals(r.subject()) && "error".equals(r.data().get("outcome"))));
  }
}

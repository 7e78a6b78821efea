package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.Audience;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MyGatewayLoginTest {
  private final MyGatewayFixture f = new MyGatewayFixture("login");

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aLiveTokenLogsInAndRunsStatementsUpstreamAsTheConfiguredUser() throws Exception {
    String token = f.open("alice", "long");
    try (Connection c = f.connect("alice", token); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT CURRENT_USER(), DATABASE()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).startsWith(f.db.user + "@");
        assertThat(rs.getString(2)).isEqualTo(f.db.name);
      }
      s.execute("CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20))");
      assertThat(s.executeUpdate("INSERT INTO t VALUES (1, 'a'), (2, 'b')")).isEqualTo(2);
    }
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("protocol", "mysql").containsEntry("database", f.db.name));
    assertThat(f.records(RecordTypes.STATEMENT_EXECUTED)).extracting(r -> r.data().get("text"))
        .contains("SELECT CURRENT_USER(), DATABASE()", "INSERT INTO t VALUES (1, 'a'), (2, 'b')");
  }

  @Test
  void aWrongSubjectIsRefusedAndRecorded() {
    String token = f.open("alice", "long");
    assertThatThrownBy(() -> f.connect("mallory", token)).isInstanceOf(SQLException.class)
        .hasMessageContaining("the user name must be the session's subject");
    assertThat(f.records(RecordTypes.CONNECTION_REFUSED)).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("why", "wrong_subject").containsEntry("protocol", "mysql"));
  }

  @Test
  void aDeadTokenIsRefusedWithItsReason() throws Exception {
    String token = f.open("alice", "long");
    f.engine.logout(token);
    assertThatThrownBy(() -> f.connect("alice", token)).isInstanceOf(SQLException.class)
        .hasMessageContaining("curfew: session token refused (logged_out)");
  }

  @Test
  void aSessionForAnotherPlaceIsRefusedAsWrongAudienceUntouchedAndRecorded() throws Exception {
    String web = f.open("bob", "long", Audience.route("/"));
    String otherDb = f.open("bob", "long", Audience.of("db:billing"));
    for (String token : List.of(web, otherDb)) {
      long lastActivityAtMs = f.engine.check(token, false).status().lastActivityAtMs();
      assertThatThrownBy(() -> f.connect("bob", token)).isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: session token refused (wrong_audience)")
          .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1045)); // ER_ACCESS_DENIED_ERROR
      // Refused, not ended and not touched: the session lives on for its own place.
      assertThat(f.engine.check(token, false).allowed()).isTrue();
      assertThat(f.engine.check(token, false).status().lastActivityAtMs()).isEqualTo(lastActivityAtMs);
    }
    // One connection.refused: the same refusal from one address is recorded once a minute (RefusalLimit),
    // the second counted for the next record; each session has its own session.refused below.
    assertThat(f.records(RecordTypes.CONNECTION_REFUSED)).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("why", "wrong_audience").containsEntry("protocol", "mysql")
            .containsEntry("repeats", 0L));
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records(RecordTypes.REFUSED).size() == 2);
    for (AuditRecord r : f.records(RecordTypes.REFUSED)) {
      assertThat(r.data()).containsEntry("reason", "wrong_audience").containsEntry("used_at", List.of("db:orders"));
    }
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).isEmpty();
  }

  @Test
  void aSessionWhoseAudienceNamesThisDatabaseAmongOthersLogsIn() throws Exception {
    String token = f.open("bob", "long", Audience.of("route:/", "db:orders"));
    try (Connection c = f.connect("bob", token); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT 6*7")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(42);
    }
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).singleElement()
        .satisfies(r -> assertThat(r.subject()).isEqualTo("bob"));
  }
}

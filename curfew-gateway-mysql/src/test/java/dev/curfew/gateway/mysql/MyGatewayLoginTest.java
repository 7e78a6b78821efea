package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.RecordTypes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
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
}

package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.RecordTypes;
import dev.curfew.gateway.db.DatabaseTarget;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A database whose entry names a policy takes only sessions governed by that policy. */
class MyGatewayPolicyTest {
  private final MyGatewayFixture f = new MyGatewayFixture("policy", MyGatewayPolicyTest::underShortPolicy, s -> s);

  @AfterEach
  void close() {
    f.close();
  }

  static DatabaseTarget underShortPolicy(DatabaseTarget t) {
    return new DatabaseTarget(t.name(), t.listenHost(), t.listenPort(), t.upstreamHost(), t.upstreamPort(), t.database(),
        t.user(), t.password(), "short", t.passiveStatements(), t.auditStatements(), t.tls());
  }

  @Test
  void aSessionUnderAnotherPolicyIsRefusedAsWrongPolicyUntouchedAndRecorded() throws Exception {
    String token = f.open("alice", "long");
    long lastActivityAtMs = f.engine.check(token, false).status().lastActivityAtMs();
    assertThatThrownBy(() -> f.connect("alice", token)).isInstanceOf(SQLException.class)
        .hasMessageContaining("curfew: session token refused (wrong_policy)")
        .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(1045)); // ER_ACCESS_DENIED_ERROR
    assertThat(f.engine.check(token, false).allowed()).isTrue();
    assertThat(f.engine.check(token, false).status().lastActivityAtMs()).isEqualTo(lastActivityAtMs);
    assertThat(f.records(RecordTypes.CONNECTION_REFUSED)).singleElement().satisfies(r -> {
      assertThat(r.subject()).isEqualTo("alice");
      assertThat(r.data()).containsEntry("why", "wrong_policy").containsEntry("protocol", "mysql");
    });
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).isEmpty();
  }

  @Test
  void aSessionUnderTheDatabasesPolicyLogsIn() throws Exception {
    String token = f.open("bob", "short");
    try (Connection c = f.connect("bob", token); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 6*7")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getInt(1)).isEqualTo(42);
    }
    assertThat(f.records(RecordTypes.CONNECTION_OPENED)).singleElement()
        .satisfies(r -> assertThat(r.subject()).isEqualTo("bob"));
  }
}

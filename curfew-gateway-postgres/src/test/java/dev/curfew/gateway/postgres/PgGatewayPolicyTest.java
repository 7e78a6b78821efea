package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.gateway.db.DatabaseTarget;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A database whose entry names a policy takes only sessions governed by that policy. */
class PgGatewayPolicyTest {
  private static PgGatewayFixture f;

  @BeforeAll
  static void start() {
    f = new PgGatewayFixture("pg_gateway_policy", PgGatewayPolicyTest::underShortPolicy, s -> s);
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  static DatabaseTarget underShortPolicy(DatabaseTarget t) {
    return new DatabaseTarget(t.name(), t.listenHost(), t.listenPort(), t.upstreamHost(), t.upstreamPort(), t.database(),
        t.user(), t.password(), "short", t.passiveStatements(), t.auditStatements(), t.tls());
  }

  @Test
  void aSessionUnderAnotherPolicy_isRefusedAsWrongPolicy_untouched_andRecordedUnderTheSession() throws Exception {
    String token = f.open("alice", "long");
    long lastActivityAtMs = f.engine.check(token, false).status().lastActivityAtMs();
    assertThatThrownBy(() -> f.connect("alice", token))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("curfew: session token refused (wrong_policy)")
        .hasMessageContaining("\"short\"")
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"));
    // The session lives on, and this attempt did not count as its activity.
    assertThat(f.engine.check(token, false).allowed()).isTrue();
    assertThat(f.engine.check(token, false).status().lastActivityAtMs()).isEqualTo(lastActivityAtMs);
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
        .anyMatch(r -> "wrong_policy".equals(r.data().get("why")) && "alice".equals(r.subject())));
    assertThat(f.records("connection.opened")).noneMatch(r -> "alice".equals(r.subject()));
  }

  @Test
  void aSessionUnderTheDatabasesPolicy_getsIn() throws Exception {
    String token = f.open("bob", "short");
    try (Connection c = f.connect("bob", token); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 6*7")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(42);
    }
    assertThat(f.records("connection.opened")).anyMatch(r -> "bob".equals(r.subject()));
  }
}

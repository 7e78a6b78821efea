package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.gateway.db.testing.CountingLoginGuard;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The gateway asks its {@link dev.curfew.gateway.db.LoginGuard} before it looks at a login's token:
 * with 3 failures allowed, the 4th login from one address is refused with FATAL 53300
 * (too_many_connections) naming the limit and the retry time, even with the right token; pgjdbc
 * is the client.
 */
class PgGatewayLoginLimitTest {

  @Test
  void afterThreeGuessesFromOneAddress_evenTheRightTokenIsRefusedWith53300() throws Exception {
    CountingLoginGuard guard = new CountingLoginGuard(3, 42_000);
    try (PgGatewayFixture f = new PgGatewayFixture("pg_gateway_login_limit", t -> t, s -> s.withLoginGuard(guard))) {
      String token = f.open("alice", "long");
      try (Connection c = f.connect("alice", token)) {
        assertThat(c.isValid(10)).as("a right token first: no failure").isTrue();
      }
      assertThatThrownBy(() -> f.connect("alice", "cft_" + "x".repeat(43)))
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
      assertThatThrownBy(() -> f.connect("alice", "not a token at all"))
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
      assertThatThrownBy(() -> f.connect("mallory", token))
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28000"));
      assertThat(guard.told).containsExactly("127.0.0.1", "127.0.0.1", "127.0.0.1");

      assertThatThrownBy(() -> f.connect("alice", token)).isInstanceOfSatisfying(SQLException.class, e -> {
        assertThat(e.getSQLState()).isEqualTo("53300");
        assertThat(e.getMessage()).contains("curfew: too many unknown session tokens from this address "
            + "(failed_checks_per_address); retry in 42 s");
      });
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !refused(f, "rate_limited").isEmpty());
      assertThat(refused(f, "rate_limited").get(0).data()).containsEntry("limit", "failed_checks_per_address")
          .containsEntry("retry_after_s", 42L).containsEntry("client_address", "127.0.0.1")
          .containsEntry("protocol", "postgres");
      assertThat(guard.told).as("a refused login is not looked at, so not counted again").hasSize(3);
    }
  }

  private static List<AuditRecord> refused(PgGatewayFixture f, String why) {
    return f.records("connection.refused").stream().filter(r -> why.equals(r.data().get("why"))).toList();
  }
}

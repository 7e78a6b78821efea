package dev.curfew.gateway.mysql;

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
 * with 3 failures allowed, the 4th login from one address is refused with ERR 1040
 * (ER_CON_COUNT_ERROR, SQLSTATE 08004) naming the limit and the retry time, even with the right
 * token; MariaDB Connector/J is the client.
 */
class MyGatewayLoginLimitTest {

  @Test
  void afterThreeGuessesFromOneAddress_evenTheRightTokenIsRefusedWith1040() throws Exception {
    CountingLoginGuard guard = new CountingLoginGuard(3, 42_000);
    try (MyGatewayFixture f = new MyGatewayFixture("my_gateway_login_limit", t -> t, s -> s.withLoginGuard(guard))) {
      String token = f.open("alice", "long");
      try (Connection c = f.connect("alice", token)) {
        assertThat(c.isValid(10)).as("a right token first: no failure").isTrue();
      }
      assertThatThrownBy(() -> f.connect("alice", "cft_" + "x".repeat(43)))
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(MyPackets.ER_ACCESS_DENIED));
      assertThatThrownBy(() -> f.connect("alice", "not a token at all"))
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(MyPackets.ER_ACCESS_DENIED));
      assertThatThrownBy(() -> f.connect("mallory", token))
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getErrorCode()).isEqualTo(MyPackets.ER_ACCESS_DENIED));
      assertThat(guard.told).containsExactly("127.0.0.1", "127.0.0.1", "127.0.0.1");

      assertThatThrownBy(() -> f.connect("alice", token)).isInstanceOfSatisfying(SQLException.class, e -> {
        assertThat(e.getErrorCode()).isEqualTo(1040);
        assertThat(e.getSQLState()).isEqualTo("08004");
        assertThat(e.getMessage()).contains("curfew: too many unknown session tokens from this address "
            + "(failed_checks_per_address); retry in 42 s");
      });
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !refused(f, "rate_limited").isEmpty());
      assertThat(refused(f, "rate_limited").get(0).data()).containsEntry("limit", "failed_checks_per_address")
          .containsEntry("retry_after_s", 42L).containsEntry("client_address", "127.0.0.1")
          .containsEntry("protocol", "mysql");
      assertThat(guard.told).as("a refused login is not looked at, so not counted again").hasSize(3);
    }
  }

  private static List<AuditRecord> refused(MyGatewayFixture f, String why) {
    return f.records("connection.refused").stream().filter(r -> why.equals(r.data().get("why"))).toList();
  }
}

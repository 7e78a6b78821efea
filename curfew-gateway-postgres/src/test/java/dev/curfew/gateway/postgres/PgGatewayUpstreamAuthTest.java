package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.store.postgres.testing.PrivatePostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The gateway's own login to a PostgreSQL that asks for a password (a private server whose
 * pg_hba.conf says scram-sha-256 or md5 per role): with the right password the client's session
 * runs as the configured role; with a wrong one the client is refused and nothing leaks.
 */
class PgGatewayUpstreamAuthTest {
  private static PrivatePostgres pg;

  @BeforeAll
  static void start() throws Exception {
    pg = PrivatePostgres.start();
    pg.createRole("scram_app", "s3cret scram", "scram-sha-256");
    pg.createRole("md5_app", "s3cret md5", "md5");
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) pg.close();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"scram_app, s3cret scram", "md5_app, s3cret md5"})
  void theGatewayLogsInUpstreamWithItsPassword(String role, String password) throws Exception {
    try (PgGatewayFixture f = new PgGatewayFixture("pg_upstream_auth", t -> upstream(t, role, password), s -> s)) {
      String token = f.open("alice", "long");
      try (Connection c = f.connect("alice", token, "postgres"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT current_user")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo(role);
      }
      assertThat(f.records("connection.opened")).singleElement();
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"scram_app", "md5_app"})
  void aWrongUpstreamPassword_refusesTheClient_withoutTellingItThePassword(String role) throws Exception {
    try (PgGatewayFixture f = new PgGatewayFixture("pg_upstream_auth", t -> upstream(t, role, "not the password"), s -> s)) {
      String token = f.open("bob", "long");
      assertThatThrownBy(() -> f.connect("bob", token, "postgres")).isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: the database refused the gateway's login")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not the password"))
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
      assertThat(f.records("connection.refused")).singleElement()
          .satisfies(r -> assertThat(r.data()).containsEntry("why", "upstream_error"));
    }
  }

  private static DatabaseTarget upstream(DatabaseTarget t, String user, String password) {
    return new DatabaseTarget(t.name(), t.listenHost(), t.listenPort(), "127.0.0.1", pg.port, "postgres", user, password,
        t.policy(), t.passiveStatements(), t.auditStatements(), t.tls());
  }
}

package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.store.postgres.testing.PrivatePostgres;
import dev.curfew.gateway.db.UpstreamTls;
import dev.curfew.core.testing.TestTls;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code upstream_tls}: the gateway's own connection to PostgreSQL over TLS, against a private server
 * with {@code ssl = on} whose role {@code tls_app} may log in only over TLS ({@code hostssl}; its
 * {@code hostnossl} line rejects it), so a login that works is one that used TLS, and the server's
 * {@code pg_stat_ssl} says so too. The server's certificate is self-signed for 127.0.0.1.
 */
class PgGatewayUpstreamTlsTest {
  private static final String ROLE = "tls_app";
  private static final String PASSWORD = "s3cret over tls";
  private static final String CERT_ROLE = "cert_app";
  private static TestTls.Files2 certs;
  private static TestTls.ClientFiles client;
  private static PrivatePostgres pg;

  @BeforeAll
  static void start() throws Exception {
    certs = TestTls.create();
    client = TestTls.clientCertificate(CERT_ROLE);
    pg = PrivatePostgres.start(certs, client.ca());
    pg.createTlsRole(ROLE, PASSWORD);
    pg.createCertRole(CERT_ROLE);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) pg.close();
  }

  @Test
  void verified_theGatewaysSessionRunsOverTls() throws Exception {
    try (PgGatewayFixture f = fixture(new UpstreamTls(true, certs.cert(), null))) {
      String token = f.open("alice", "long");
      try (Connection c = f.connect("alice", token, "postgres"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT current_user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo(ROLE);
        assertThat(rs.getBoolean(2)).as("the upstream connection uses TLS").isTrue();
      }
      assertThat(f.records("connection.opened")).singleElement();
    }
  }

  @Test
  void withoutUpstreamTls_theTlsOnlyRoleIsRejected_soTheTestsAboveMeanSomething() throws Exception {
    try (PgGatewayFixture f = fixture(null)) {
      String token = f.open("bob", "long");
      assertThatThrownBy(() -> f.connect("bob", token, "postgres")).isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: the database refused the gateway's login");
      assertThat(f.records("connection.refused")).singleElement()
          .satisfies(r -> assertThat(String.valueOf(r.data().get("detail"))).contains("no encryption"));
    }
  }

  @Test
  void encryptOnly_needsNoTrustAnchor() throws Exception {
    try (PgGatewayFixture f = fixture(new UpstreamTls(false, null, null))) {
      String token = f.open("carol", "long");
      try (Connection c = f.connect("carol", token, "postgres"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getBoolean(1)).isTrue();
      }
    }
  }

  /** A role that logs in by client certificate alone ({@code cert} in pg_hba.conf, no password). */
  @Test
  void aClientCertificate_logsInARoleThatHasNoPassword() throws Exception {
    UpstreamTls tls = new UpstreamTls(true, certs.cert(), null, new UpstreamTls.ClientCertificate(client.cert(), client.key()));
    try (PgGatewayFixture f = certFixture(tls)) {
      String token = f.open("frank", "long");
      try (Connection c = f.connect("frank", token, "postgres"); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT current_user, ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo(CERT_ROLE);
        assertThat(rs.getBoolean(2)).isTrue();
        assertThat(rs.getString(3)).contains("CN=" + CERT_ROLE);
      }
    }
  }

  @Test
  void withoutAClientCertificate_theCertRoleIsRejected_soTheTestAboveMeansSomething() throws Exception {
    try (PgGatewayFixture f = certFixture(new UpstreamTls(true, certs.cert(), null))) {
      String token = f.open("grace", "long");
      assertThatThrownBy(() -> f.connect("grace", token, "postgres")).isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: the database refused the gateway's login");
      assertThat(f.records("connection.refused")).singleElement()
          .satisfies(r -> assertThat(String.valueOf(r.data().get("detail"))).contains("certificate"));
    }
  }

  private static PgGatewayFixture certFixture(UpstreamTls tls) {
    return fixture("pg_upstream_cert", CERT_ROLE, null, tls);
  }

  @Test
  void aCertificateNotTrusted_refusesTheClient_andSaysWhyInTheRecord() throws Exception {
    // The JDK's trust store does not hold the test's self-signed certificate.
    assertUpstreamRefused(new UpstreamTls(true, null, null), "TLS with the upstream failed");
  }

  @Test
  void aCertificateForAnotherName_refusesTheClient() throws Exception {
    assertUpstreamRefused(new UpstreamTls(true, certs.cert(), "db.example.org"), "TLS with the upstream failed");
  }

  @Test
  void anUpstreamWithoutTls_isNotLoggedIn_inTheClear() throws Exception {
    // The machine's server has ssl = off: it answers the SSLRequest with N.
    try (PgGatewayFixture f = new PgGatewayFixture("pg_upstream_no_tls",
        t -> withTls(t, new UpstreamTls(false, null, null)), s -> s)) {
      String token = f.open("dave", "long");
      assertThatThrownBy(() -> f.connect("dave", token)).isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: the database refused the gateway's login")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08006"));
      assertThat(f.records("connection.refused")).singleElement()
          .satisfies(r -> assertThat(r.data()).containsEntry("why", "upstream_error"))
          .satisfies(r -> assertThat(String.valueOf(r.data().get("detail"))).contains("does not offer TLS"));
    }
  }

  /** The cancel request that a revoke sends upstream goes over TLS too, and stops the statement. */
  @Test
  void aRevokeMidQuery_cancelsTheStatementUpstream() throws Exception {
    try (PgGatewayFixture f = fixture(new UpstreamTls(true, certs.cert(), null))) {
      String token = f.open("erin", "long");
      try (Connection c = f.connect("erin", token, "postgres")) {
        CompletableFuture<Throwable> query = CompletableFuture.supplyAsync(() -> {
          try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_sleep(120) /* curfew-tls-cancel */");
            return null;
          } catch (SQLException e) {
            return e;
          }
        });
        String running = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%curfew-tls-cancel%' AND state = 'active'"
            + " AND pid <> pg_backend_pid()";
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "1".equals(pg.query(running)));
        f.engine.revoke(f.engine.check(token, false).status().sessionId(), "test", "revoked mid-query");
        assertThat(query.get(30, TimeUnit.SECONDS)).isInstanceOf(SQLException.class);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> "0".equals(pg.query(running)));
      }
    }
  }

  private static void assertUpstreamRefused(UpstreamTls tls, String detail) throws Exception {
    try (PgGatewayFixture f = fixture(tls)) {
      String token = f.open("mallory", "long");
      assertThatThrownBy(() -> f.connect("mallory", token, "postgres")).isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: the database refused the gateway's login")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
      assertThat(f.records("connection.refused")).singleElement()
          .satisfies(r -> assertThat(r.data()).containsEntry("why", "upstream_error"))
          .satisfies(r -> assertThat(String.valueOf(r.data().get("detail"))).contains(detail));
    }
  }

  private static PgGatewayFixture fixture(UpstreamTls tls) {
    return fixture("pg_upstream_tls", ROLE, PASSWORD, tls);
  }

  /** A gateway to the private server's database {@code postgres}, logging in upstream as {@code role}. */
  private static PgGatewayFixture fixture(String name, String role, String password, UpstreamTls tls) {
    return new PgGatewayFixture(name, t -> withTls(new DatabaseTarget(t.name(), t.listenHost(), t.listenPort(),
        "127.0.0.1", pg.port, "postgres", role, password, t.policy(), t.passiveStatements(), t.auditStatements(), t.tls()), tls),
        s -> s);
  }

  private static DatabaseTarget withTls(DatabaseTarget t, UpstreamTls tls) {
    return new DatabaseTarget(t.name(), t.listenHost(), t.listenPort(), t.upstreamHost(), t.upstreamPort(), t.database(),
        t.user(), t.password(), t.policy(), t.passiveStatements(), t.auditStatements(), t.tls(), tls);
  }
}

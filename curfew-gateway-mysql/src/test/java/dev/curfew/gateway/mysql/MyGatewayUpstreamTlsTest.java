package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.UpstreamTls;
import dev.curfew.core.testing.TestTls;
import java.sql.Connection;
import java.sql.DriverManager;
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
 * {@code upstream_tls}: the gateway's own connection to MariaDB over TLS, against a private server
 * with TLS whose user {@code tls_app} is created {@code REQUIRE SSL}, so a login that works is one
 * that used TLS, and the upstream session's {@code Ssl_cipher} says so too. The server's
 * certificate is self-signed for 127.0.0.1.
 */
class MyGatewayUpstreamTlsTest {
  private static final String USER = "tls_app";
  private static final String PASSWORD = "s3cret over tls";
  private static final String DATABASE = "orders_tls";
  private static final String X509_USER = "x509_app";
  private static TestTls.Files2 certs;
  private static TestTls.ClientFiles client;
  private static PrivateMariaDb maria;

  @BeforeAll
  static void start() throws Exception {
    certs = TestTls.create();
    client = TestTls.clientCertificate("curfew-gateway");
    maria = PrivateMariaDb.start(certs, client.ca());
    maria.root("CREATE DATABASE " + DATABASE,
        "CREATE USER '" + USER + "'@'%' IDENTIFIED BY '" + PASSWORD + "' REQUIRE SSL",
        "GRANT ALL ON *.* TO '" + USER + "'@'%'",
        "CREATE USER '" + X509_USER + "'@'%' IDENTIFIED BY '" + PASSWORD + "' REQUIRE X509",
        "GRANT ALL ON *.* TO '" + X509_USER + "'@'%'");
  }

  @AfterAll
  static void stop() throws Exception {
    if (maria != null) maria.close();
  }

  @Test
  void verified_theGatewaysSessionRunsOverTls() throws Exception {
    try (MyGatewayFixture f = fixture(new UpstreamTls(true, certs.cert(), null))) {
      String token = f.open("alice", "long");
      try (Connection c = f.connect("alice", token, DATABASE, new java.util.Properties()); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT CURRENT_USER(), VARIABLE_VALUE FROM information_schema.SESSION_STATUS"
               + " WHERE VARIABLE_NAME = 'SSL_CIPHER'")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).startsWith(USER + "@");
        assertThat(rs.getString(2)).as("the upstream session's cipher").isNotBlank();
      }
      assertThat(f.records("connection.opened")).singleElement();
    }
  }

  @Test
  void withoutUpstreamTls_theRequireSslUserIsRefused_soTheTestsAboveMeanSomething() throws Exception {
    try (MyGatewayFixture f = fixture(null)) {
      String token = f.open("bob", "long");
      assertThatThrownBy(() -> f.connect("bob", token, DATABASE, new java.util.Properties()))
          .isInstanceOf(SQLException.class).hasMessageContaining("curfew: the database refused the gateway's login");
      assertThat(f.records("connection.refused")).singleElement()
          .satisfies(r -> assertThat(r.data()).containsEntry("why", "upstream_error"));
    }
  }

  /** {@code REQUIRE X509}: the user logs in only with a client certificate the server trusts. */
  @Test
  void aClientCertificate_logsInARequireX509User_andWithoutOneItIsRefused() throws Exception {
    UpstreamTls withCert = new UpstreamTls(true, certs.cert(), null, new UpstreamTls.ClientCertificate(client.cert(), client.key()));
    try (MyGatewayFixture f = x509Fixture(withCert)) {
      String token = f.open("frank", "long");
      try (Connection c = f.connect("frank", token, DATABASE, new java.util.Properties()); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT CURRENT_USER()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).startsWith(X509_USER + "@");
      }
    }
    try (MyGatewayFixture f = x509Fixture(new UpstreamTls(true, certs.cert(), null))) {
      String token = f.open("grace", "long");
      assertThatThrownBy(() -> f.connect("grace", token, DATABASE, new java.util.Properties()))
          .isInstanceOf(SQLException.class).hasMessageContaining("curfew: the database refused the gateway's login");
    }
  }

  private static MyGatewayFixture x509Fixture(UpstreamTls tls) {
    return fixture("my_upstream_x509", X509_USER, tls);
  }

  @Test
  void aCertificateNotTrusted_refusesTheClient_andSaysWhyInTheRecord() throws Exception {
    try (MyGatewayFixture f = fixture(new UpstreamTls(true, null, null))) {
      String token = f.open("mallory", "long");
      assertThatThrownBy(() -> f.connect("mallory", token, DATABASE, new java.util.Properties()))
          .isInstanceOf(SQLException.class).hasMessageContaining("curfew: the database refused the gateway's login")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
      assertThat(f.records("connection.refused")).singleElement()
          .satisfies(r -> assertThat(String.valueOf(r.data().get("detail"))).contains("TLS with the database failed"));
    }
  }

  @Test
  void anUpstreamWithoutTls_isNotLoggedIn_inTheClear() throws Exception {
    // The machine's MariaDB has no TLS: its greeting lacks CLIENT_SSL.
    try (MyGatewayFixture f = new MyGatewayFixture("my_upstream_no_tls", t -> withTls(t, new UpstreamTls(false, null, null)),
        s -> s)) {
      String token = f.open("dave", "long");
      assertThatThrownBy(() -> f.connect("dave", token)).isInstanceOf(SQLException.class)
          .hasMessageContaining("curfew: the database refused the gateway's login");
      assertThat(f.records("connection.refused")).singleElement()
          .satisfies(r -> assertThat(String.valueOf(r.data().get("detail"))).contains("does not offer TLS"));
    }
  }

  /** The KILL QUERY that a revoke sends upstream comes from a login over TLS too, and stops the statement. */
  @Test
  void aRevokeMidQuery_killsTheStatementUpstream() throws Exception {
    try (MyGatewayFixture f = fixture(new UpstreamTls(true, certs.cert(), null))) {
      String token = f.open("erin", "long");
      String marker = "erin_" + System.nanoTime();
      try (Connection c = f.connect("erin", token, DATABASE, new java.util.Properties())) {
        CompletableFuture<Throwable> query = CompletableFuture.supplyAsync(() -> {
          try (Statement s = c.createStatement()) {
            s.executeQuery("SELECT SLEEP(120) AS " + marker);
            return null;
          } catch (SQLException e) {
            return e;
          }
        });
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> running(marker));
        f.engine.revoke(f.engine.check(token, false).status().sessionId(), "test", "revoked mid-query");
        assertThat(query.get(30, TimeUnit.SECONDS)).isInstanceOf(SQLException.class);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !running(marker));
      }
    }
  }

  private static boolean running(String marker) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + maria.port + "/?user=root");
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE '%" + marker
             + "%' AND info NOT LIKE '%processlist%'")) {
      rs.next();
      return rs.getInt(1) > 0;
    }
  }

  private static MyGatewayFixture fixture(UpstreamTls tls) {
    return fixture("my_upstream_tls", USER, tls);
  }

  /** A gateway to the private server's database, logging in upstream as {@code user}. */
  private static MyGatewayFixture fixture(String name, String user, UpstreamTls tls) {
    return new MyGatewayFixture(name, t -> withTls(new DatabaseTarget(t.name(), t.listenHost(), t.listenPort(),
        "127.0.0.1", maria.port, DATABASE, user, PASSWORD, t.policy(), t.passiveStatements(), t.auditStatements(), t.tls()), tls),
        s -> s);
  }

  private static DatabaseTarget withTls(DatabaseTarget t, UpstreamTls tls) {
    return new DatabaseTarget(t.name(), t.listenHost(), t.listenPort(), t.upstreamHost(), t.upstreamPort(), t.database(),
        t.user(), t.password(), t.policy(), t.passiveStatements(), t.auditStatements(), t.tls(), tls);
  }
}

package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.testing.TestTls;
import dev.curfew.store.postgres.testing.PrivatePostgres;
import io.vertx.sqlclient.Row;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The audit store over TLS ({@code sslmode} and {@code sslrootcert} in {@code postgres.url}), against
 * a private PostgreSQL with {@code ssl = on} whose role may log in only over TLS ({@code hostssl};
 * its {@code hostnossl} line rejects it): a schema migration (pgjdbc, through Flyway) and a query on
 * the runtime pool (the Vert.x client) that work are ones that used TLS, and {@code pg_stat_ssl}
 * says so too. The server's certificate is self-signed for the address 127.0.0.1 and names no host,
 * so {@code localhost} is another name.
 */
class PgAuditTlsTest {
  private static final String ROLE = "audit_tls";
  private static final String PASSWORD = "audit over tls";
  private static TestTls.Files2 certs;
  private static PrivatePostgres pg;

  @BeforeAll
  static void start() throws Exception {
    certs = TestTls.create();
    pg = PrivatePostgres.start(certs);
    pg.createTlsRole(ROLE, PASSWORD);
    pg.sql("CREATE DATABASE " + ROLE + " OWNER " + ROLE);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) pg.close();
  }

  private static PgConfig config(String host, String parameters) {
    return PgConfig.parse("jdbc:postgresql://" + host + ":" + pg.port + "/" + ROLE + parameters, ROLE, PASSWORD);
  }

  private static String rootCert() {
    return URLEncoder.encode(certs.cert().toString(), StandardCharsets.UTF_8);
  }

  /** Whether the runtime pool's connection uses TLS, as the server sees it. */
  private static boolean poolUsesTls(PgConfig c) throws Exception {
    try (AuditDatabase db = AuditDatabase.connect(null, c, 1)) {
      Row r = db.pool().query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").execute()
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).iterator().next();
      return r.getBoolean(0);
    }
  }

  @Test
  void verifyFull_theMigrationAndThePoolRunOverTls() throws Exception {
    PgConfig c = config("127.0.0.1", "?sslmode=verify-full&sslrootcert=" + rootCert());
    AuditSchema.migrate(c);
    assertThat(poolUsesTls(c)).isTrue();
    try (AuditDatabase db = AuditDatabase.connect(null, c, 1)) {
      assertThat(db.nodes()).isEmpty(); // the schema is there, read over TLS
    }
  }

  @Test
  void require_encryptsWithoutATrustAnchor() throws Exception {
    PgConfig c = config("127.0.0.1", "?sslmode=require");
    AuditSchema.migrate(c);
    assertThat(poolUsesTls(c)).isTrue();
  }

  @Test
  void verifyFull_refusesACertificateForAnotherName_whichVerifyCaAccepts() throws Exception {
    PgConfig full = config("localhost", "?sslmode=verify-full&sslrootcert=" + rootCert());
    assertThatThrownBy(() -> AuditSchema.migrate(full)).hasStackTraceContaining("localhost");
    assertThatThrownBy(() -> poolUsesTls(full)).hasStackTraceContaining("SSL handshake failed");
    PgConfig ca = config("localhost", "?sslmode=verify-ca&sslrootcert=" + rootCert());
    AuditSchema.migrate(ca);
    assertThat(poolUsesTls(ca)).isTrue();
  }

  @Test
  void verifyCa_refusesACertificateOutsideTheJdksTrustStore() {
    PgConfig c = config("127.0.0.1", "?sslmode=verify-ca"); // no sslrootcert: the JDK's trust store
    assertThatThrownBy(() -> AuditSchema.migrate(c)).hasStackTraceContaining("certification path");
    assertThatThrownBy(() -> poolUsesTls(c)).hasStackTraceContaining("SSL handshake failed");
  }

  @Test
  void withoutTls_theTlsOnlyRoleIsRejected_soTheTestsAboveMeanSomething() {
    for (String parameters : new String[] {"", "?sslmode=disable"}) {
      PgConfig c = config("127.0.0.1", parameters);
      assertThatThrownBy(() -> AuditSchema.migrate(c)).hasStackTraceContaining("no encryption");
      assertThatThrownBy(() -> poolUsesTls(c)).hasStackTraceContaining("no encryption");
    }
  }
}

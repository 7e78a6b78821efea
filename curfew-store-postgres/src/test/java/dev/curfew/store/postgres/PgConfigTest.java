package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PgConfigTest {
  @Test
  void parsesTheUrlsOfTheSpec() {
    PgConfig c = PgConfig.parse("jdbc:postgresql://127.0.0.1:5432/curfew", "curfew", null);
    assertThat(c).isEqualTo(new PgConfig("127.0.0.1", 5432, "curfew", null, "curfew", null));
    assertThat(c.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/curfew?sslmode=disable");
    PgConfig s = PgConfig.parse("jdbc:postgresql://db.example/audit?currentSchema=curfew_audit", "u", "secret");
    assertThat(s.port()).isEqualTo(5432);
    assertThat(s.schema()).isEqualTo("curfew_audit");
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:5432/audit?currentSchema=curfew_audit&sslmode=disable");
    assertThat(s.connectOptions().getProperties()).containsEntry("search_path", "curfew_audit")
        .containsEntry("client_encoding", "utf8");
    assertThat(PgConfig.parse("jdbc:postgresql://[::1]:6543/x", "u", null).jdbcUrl())
        .isEqualTo("jdbc:postgresql://[::1]:6543/x?sslmode=disable");
  }

  @Test
  void tlsParameters_reachBothClients() throws Exception {
    PgConfig plain = PgConfig.parse("jdbc:postgresql://h/d", "u", null);
    assertThat(plain.tls()).isEqualTo(PgConfig.Tls.DISABLE);
    assertThat(plain.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d?sslmode=disable");
    assertThat(plain.connectOptions().getSslMode()).isEqualTo(io.vertx.pgclient.SslMode.DISABLE);

    PgConfig require = PgConfig.parse("jdbc:postgresql://h/d?sslmode=require&currentSchema=s", "u", null);
    assertThat(require.tls()).isEqualTo(PgConfig.Tls.REQUIRE);
    assertThat(require.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d?currentSchema=s&sslmode=require"
        + "&sslfactory=org.postgresql.ssl.NonValidatingFactory");
    assertThat(require.connectOptions().getSslMode()).isEqualTo(io.vertx.pgclient.SslMode.REQUIRE);
    assertThat(require.connectOptions().getSslOptions().isTrustAll()).isTrue();

    PgConfig jdkTrust = PgConfig.parse("jdbc:postgresql://h/d?sslmode=verify-full", "u", null);
    assertThat(jdkTrust.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d?sslmode=verify-full"
        + "&sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory");
    assertThat(jdkTrust.connectOptions().getSslOptions().getHostnameVerificationAlgorithm()).isEqualTo("HTTPS");
    assertThat(jdkTrust.connectOptions().getSslOptions().getTrustOptions()).isNotNull();

    java.nio.file.Path ca = java.nio.file.Files.createTempFile("curfew-ca", ".pem");
    try {
      java.nio.file.Files.copy(dev.curfew.core.testing.TestTls.create().cert(), ca,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      PgConfig verifyCa = PgConfig.parse("jdbc:postgresql://h/d?sslmode=verify-ca&sslrootcert=" + ca, "u", null);
      assertThat(verifyCa.rootCert()).isEqualTo(ca);
      assertThat(verifyCa.jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d?sslmode=verify-ca&sslrootcert="
          + java.net.URLEncoder.encode(ca.toString(), java.nio.charset.StandardCharsets.UTF_8));
      assertThat(verifyCa.connectOptions().getSslOptions().getHostnameVerificationAlgorithm()).isEmpty();
      // require with a root certificate checks the chain, as libpq and pgjdbc do
      PgConfig requireWithCa = PgConfig.parse("jdbc:postgresql://h/d?sslmode=require&sslrootcert=" + ca, "u", null);
      assertThat(requireWithCa.jdbcUrl()).contains("sslmode=verify-ca");
      assertThat(requireWithCa.connectOptions().getSslMode()).isEqualTo(io.vertx.pgclient.SslMode.VERIFY_CA);
      assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d?sslrootcert=" + ca, "u", null))
          .hasMessageContaining("sslrootcert").hasMessageContaining("sslmode");
      // a file without a certificate is refused when the configuration is read, not at the first connection
      java.nio.file.Files.writeString(ca, "not a certificate");
      assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d?sslmode=verify-ca&sslrootcert=" + ca, "u", null))
          .hasMessageContaining("sslrootcert").hasMessageContaining("no PEM certificate");
    } finally {
      java.nio.file.Files.deleteIfExists(ca);
    }
  }

  @Test
  void neverShowsThePassword() {
    assertThat(PgConfig.parse("jdbc:postgresql://h/d", "u", "hunter2").toString()).doesNotContain("hunter2");
  }

  @Test
  void refusesWhatItWouldNotHonour() {
    assertThatThrownBy(() -> PgConfig.parse("postgresql://h/d", "u", null)).hasMessageContaining("jdbc:postgresql://");
    assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d?ssl=true", "u", null))
        .hasMessageContaining("unsupported URL parameter \"ssl\"");
    assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d?sslmode=prefer", "u", null))
        .hasMessageContaining("sslmode \"prefer\"").hasMessageContaining("verify-full");
    assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d?sslmode=allow", "u", null))
        .hasMessageContaining("sslmode \"allow\"");
    assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem", "u", null))
        .hasMessageContaining("sslrootcert").hasMessageContaining("/nonexistent/ca.pem");
    assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d?currentSchema=Bad;drop", "u", null))
        .hasMessageContaining("currentSchema");
    assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h:99999/d", "u", null)).hasMessageContaining("port");
    assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d", " ", null)).hasMessageContaining("user");
  }

  @Test
  void aSchemaIsCreatedAndUsedWhenTheUrlNamesOne() throws Exception {
    try (var database = dev.curfew.store.postgres.testing.TestDatabase.create("schema")) {
      PgConfig c = database.config().withSchema("audit_x");
      assertThat(AuditSchema.migrate(c)).as("V1, V2 and V2.1 applied").isEqualTo(3);
      assertThat(AuditSchema.migrate(c)).as("a second run has nothing to do").isZero();
      assertThat(database.queryString("SELECT count(*) FROM audit_x.audit_records")).isEqualTo("0");
      try (AuditDatabase db = AuditDatabase.connect(null, c, 1)) {
        assertThat(db.nodes()).isEmpty(); // found through search_path
      }
    }
  }
}

package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PgConfigTest {
  @Test
  void parsesTheUrlsOfTheSpec() {
    PgConfig c = PgConfig.parse("jdbc:postgresql://127.0.0.1:5432/curfew", "curfew", null);
    assertThat(c).isEqualTo(new PgConfig("127.0.0.1", 5432, "curfew", null, "curfew", null));
    assertThat(c.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/curfew");
    PgConfig s = PgConfig.parse("jdbc:postgresql://db.example/audit?currentSchema=curfew_audit", "u", "secret");
    assertThat(s.port()).isEqualTo(5432);
    assertThat(s.schema()).isEqualTo("curfew_audit");
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example:5432/audit?currentSchema=curfew_audit");
    assertThat(s.connectOptions().getProperties()).containsEntry("search_path", "curfew_audit")
        .containsEntry("client_encoding", "utf8");
    assertThat(PgConfig.parse("jdbc:postgresql://[::1]:6543/x", "u", null).jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:6543/x");
  }

  @Test
  void neverShowsThePassword() {
    assertThat(PgConfig.parse("jdbc:postgresql://h/d", "u", "hunter2").toString()).doesNotContain("hunter2");
  }

  @Test
  void refusesWhatItWouldNotHonour() {
    assertThatThrownBy(() -> PgConfig.parse("postgresql://h/d", "u", null)).hasMessageContaining("jdbc:postgresql://");
    assertThatThrownBy(() -> PgConfig.parse("jdbc:postgresql://h/d?sslmode=require", "u", null))
        .hasMessageContaining("unsupported URL parameter \"sslmode\"");
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

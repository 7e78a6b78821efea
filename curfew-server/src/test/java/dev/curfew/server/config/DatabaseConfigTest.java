package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.gateway.db.DatabaseTarget;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The {@code databases:} section of spec/protocol-gateways.md, read strictly. */
class DatabaseConfigTest {
  private static final String SPEC_EXAMPLE = """
      policies:
        default: {idle_timeout: 15m, absolute_timeout: 12h}
        dba: {idle_timeout: 10m, absolute_timeout: 8h}
      databases:
        - name: orders
          protocol: postgres
          listen: 127.0.0.1:6432
          upstream: 127.0.0.1:5432
          database: orders
          user: app_rw
          password_env: ORDERS_DB_PASSWORD
          policy: dba
          passive_statements: ["SELECT 1"]
          audit_statements: off
          tls: { cert: server.pem, key: server-key.pem, require: false }
      """;

  @Test
  void theSpecsExample_isRead_andThePasswordComesFromTheEnvironment() {
    CurfewConfig cfg = CurfewConfig.parse(SPEC_EXAMPLE);
    assertThat(cfg.databases()).hasSize(1);
    DatabaseTarget t = cfg.databases().get(0).target(Map.of("ORDERS_DB_PASSWORD", "s3cret"), 0);
    assertThat(t.name()).isEqualTo("orders");
    assertThat(t.listenHost()).isEqualTo("127.0.0.1");
    assertThat(t.listenPort()).isEqualTo(6432);
    assertThat(t.upstreamPort()).isEqualTo(5432);
    assertThat(t.database()).isEqualTo("orders");
    assertThat(t.user()).isEqualTo("app_rw");
    assertThat(t.password()).isEqualTo("s3cret");
    assertThat(t.policy()).isEqualTo("dba");
    assertThat(t.passiveStatements().contains(" select 1; ")).isTrue();
    assertThat(t.auditStatements()).isEqualTo(DatabaseTarget.AuditStatements.OFF);
    assertThat(t.tls().require()).isFalse();
    assertThat(t.audience()).isEqualTo("db:orders");
  }

  @Test
  void aMysqlEntry_isRead_withTheSameKeys() {
    CurfewConfig cfg = CurfewConfig.parse(SPEC_EXAMPLE.replace("protocol: postgres", "protocol: mysql")
        .replace("127.0.0.1:5432", "127.0.0.1:3306"));
    assertThat(cfg.databases().get(0).protocol()).isEqualTo(DatabaseConfig.Protocol.MYSQL);
    assertThat(cfg.databases().get(0).target(Map.of("ORDERS_DB_PASSWORD", "s3cret"), 0).upstreamPort()).isEqualTo(3306);
  }

  @Test
  void anEntryWithoutPolicy_isUnderTheDefaultPolicy() {
    CurfewConfig cfg = CurfewConfig.parse(SPEC_EXAMPLE.replace("    policy: dba\n", ""));
    assertThat(cfg.databases().get(0).target(Map.of("ORDERS_DB_PASSWORD", "s3cret"), 0).policy()).isEqualTo("default");
  }

  @Test
  void anUnsetPasswordVariable_isAnErrorNamingTheKey() {
    CurfewConfig cfg = CurfewConfig.parse(SPEC_EXAMPLE);
    assertThatThrownBy(() -> cfg.databases().get(0).target(Map.of(), 0))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("databases[0].password_env:");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "protocol: oracle|databases[0].protocol",
      "listen: nowhere|databases[0].listen",
      "upstream: 127.0.0.1:0|databases[0].upstream",
      "audit_statements: some|databases[0].audit_statements",
      "policy: nobody|databases[0].policy",
      "colour: red|databases[0].colour",
      "tls: {cert: a.pem}|databases[0].tls.key",
      "passive_statements: [1]|databases[0].passive_statements",
      "upstream_tls: required|databases[0].upstream_tls",
      "upstream_tls: {verify: false, server_name: db.internal}|databases[0].upstream_tls.verify",
      "upstream_tls: {ca: /nonexistent/ca.pem}|databases[0].upstream_tls.ca",
      "upstream_tls: {server_name: ''}|databases[0].upstream_tls.server_name",
      "upstream_tls: {colour: red}|databases[0].upstream_tls.colour"})
  void badEntries_nameTheKey(String line, String key) {
    String yaml = """
        databases:
          - name: orders
            protocol: postgres
            listen: 127.0.0.1:6432
            upstream: 127.0.0.1:5432
            user: app
        """;
    String k = line.substring(0, line.indexOf(':'));
    String replaced = yaml.contains("    " + k + ":") ? yaml.replaceAll("    " + k + ":.*", "    " + line) : yaml + "    " + line + "\n";
    assertThatThrownBy(() -> CurfewConfig.parse(replaced))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }

  @Test
  void anEntryHoldsItsProtocolAndStatementAuditAsTypes_readOnceAtLoad() {
    DatabaseConfig d = CurfewConfig.parse(SPEC_EXAMPLE.replace("audit_statements: off", "audit_statements: digest"))
        .databases().get(0);
    assertThat(d.protocol()).isEqualTo(DatabaseConfig.Protocol.POSTGRES);
    assertThat(d.protocol()).hasToString("postgres");
    assertThat(d.auditStatements()).isEqualTo(DatabaseTarget.AuditStatements.DIGEST);
    assertThat(CurfewConfig.parse(SPEC_EXAMPLE).databases().get(0).auditStatements())
        .isEqualTo(DatabaseTarget.AuditStatements.OFF);
    assertThatThrownBy(() -> CurfewConfig.parse(SPEC_EXAMPLE.replace("audit_statements: off", "audit_statements: some")))
        .hasMessage("databases[0].audit_statements: must be off, digest or full, not \"some\"");
    assertThatThrownBy(() -> CurfewConfig.parse(SPEC_EXAMPLE.replace("protocol: postgres", "protocol: oracle")))
        .hasMessage("databases[0].protocol: must be postgres or mysql, not \"oracle\"");
  }

  @Test
  void upstreamTls_isOffUnlessAsked_trueVerifiesWithTheJdksTrust_andAnObjectNamesItsAnchorsAndName() throws Exception {
    assertThat(CurfewConfig.parse(SPEC_EXAMPLE).databases().get(0).upstreamTls()).isNull();
    assertThat(CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: false\n").databases().get(0).upstreamTls()).isNull();
    assertThat(CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: true\n").databases().get(0).upstreamTls())
        .isEqualTo(new dev.curfew.gateway.db.UpstreamTls(true, null, null));
    var certs = dev.curfew.server.security.TestCertificates.selfSigned(java.nio.file.Files.createTempDirectory("curfew-ca"), "db");
    DatabaseTarget t = CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: {ca: '" + certs.cert() + "', server_name: db.internal}\n")
        .databases().get(0).target(Map.of("ORDERS_DB_PASSWORD", "s3cret"), 0);
    assertThat(t.upstreamTls()).isEqualTo(new dev.curfew.gateway.db.UpstreamTls(true, certs.cert(), "db.internal"));
    assertThat(t.upstreamTls().serverName("127.0.0.1")).isEqualTo("db.internal");
    assertThat(CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: {verify: false}\n").databases().get(0).upstreamTls())
        .isEqualTo(new dev.curfew.gateway.db.UpstreamTls(false, null, null));
    // A file that is not PEM certificates is an error at load, not at the first login.
    assertThatThrownBy(() -> CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: {ca: '" + certs.key() + "'}\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("databases[0].upstream_tls.ca:");
  }

  @Test
  void upstreamTls_aClientCertificateIsACertAndAKey_bothReadable() throws Exception {
    var certs = dev.curfew.server.security.TestCertificates.selfSigned(java.nio.file.Files.createTempDirectory("curfew-client"), "curfew");
    DatabaseTarget t = CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: {cert: '" + certs.cert() + "', key: '" + certs.key() + "'}\n")
        .databases().get(0).target(Map.of("ORDERS_DB_PASSWORD", "s3cret"), 0);
    assertThat(t.upstreamTls()).isEqualTo(new dev.curfew.gateway.db.UpstreamTls(true, null, null,
        new dev.curfew.gateway.db.UpstreamTls.ClientCertificate(certs.cert(), certs.key())));
    assertThatThrownBy(() -> CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: {cert: '" + certs.cert() + "'}\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("databases[0].upstream_tls.key: required with cert");
    assertThatThrownBy(() -> CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: {key: '" + certs.key() + "'}\n"))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("databases[0].upstream_tls.cert: required with key");
    assertThatThrownBy(() -> CurfewConfig.parse(SPEC_EXAMPLE + "    upstream_tls: {cert: '" + certs.cert() + "', key: /nonexistent/key.pem}\n"))
        .isInstanceOf(ConfigException.class).hasMessage("databases[0].upstream_tls.key: cannot read /nonexistent/key.pem");
  }

  @Test
  void theTargetsTextLeavesOutThePassword() {
    DatabaseTarget t = CurfewConfig.parse(SPEC_EXAMPLE).databases().get(0).target(Map.of("ORDERS_DB_PASSWORD", "s3cret"), 0);
    assertThat(t.toString()).doesNotContain("s3cret").contains("password=(set)").contains("name=orders");
  }

  @Test
  void twoDatabasesWithOneName_areRefused() {
    String one = "  - {name: a, protocol: postgres, listen: '127.0.0.1:7001', upstream: '127.0.0.1:5432', user: u}\n";
    assertThatThrownBy(() -> CurfewConfig.parse("databases:\n" + one + one.replace("7001", "7002")))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("databases[1].name:");
  }
}

package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.audit.WitnessKey;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CurfewConfigTest {
  private static final String FULL = """
      server:
        port: 9090
      data_dir: ./data
      api_keys:
        - name: app-backend
          key_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        - name: ops
          key_env: OPS_KEY
      store: embedded
      audit: file
      default_policy: standard
      policies:
        standard:
          idle_timeout: 15m
          absolute_timeout: 12h
          warn_before: 2m
          max_extensions: 10
          comply_with: [pci-dss-4.0, wcag-2.2]
        strict:
          idle_timeout: PT5M
          absolute_timeout: 1h
      gateway:
        port: 8081
        routes:
          - path: /
            upstream: http://127.0.0.1:3000
            policy: standard
            login_path: /login
            login_handoff: true
            passive_paths: [/api/poll]
            cookie: __Host-curfew
      """;

  @Test
  void parse_readsTheDocumentedExample() {
    CurfewConfig c = CurfewConfig.parse(FULL);
    assertThat(c.port()).isEqualTo(9090);
    assertThat(c.apiKeys()).hasSize(2);
    assertThat(c.defaultPolicy()).isEqualTo("standard");
    assertThat(c.policies().get("standard").idleTimeout()).isEqualTo(Duration.ofMinutes(15));
    assertThat(c.policies().get("standard").complyWith()).containsExactly("pci-dss-4.0", "wcag-2.2");
    assertThat(c.policies().get("strict").idleTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.gateway().routes()).hasSize(1);
  }

  @Test
  void emptyFileMeansDefaults() {
    CurfewConfig c = CurfewConfig.parse("");
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.defaultPolicy()).isEqualTo("default");
    assertThat(c.policies()).containsKey("default");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "colour: blue|colour",
      "server: {prot: 1}|server.prot",
      "server: {port: 70000}|server.port",
      "server: {port: eighty}|server.port",
      "policies: {p: {idle_timeout: 15x, absolute_timeout: 1h}}|policies.p.idle_timeout",
      "policies: {p: {idle_timeout: 2h, absolute_timeout: 1h}}|policies.p.idle_timeout",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, warn_before: 5m}}|policies.p.warn_before",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, max_extensions: -1}}|policies.p.max_extensions",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, extra: 1}}|policies.p.extra",
      "policies: {p: {absolute_timeout: 1h}}|policies.p.idle_timeout",
      "default_policy: nope|default_policy",
      "store: mongo|store",
      "api_keys: [{name: a, key_sha256: xyz}]|api_keys[0].key_sha256",
      "api_keys: [{name: a}]|api_keys[0]",
      "gateway: {routes: [{path: /, upstream: ftp://x}]}|gateway.routes[0].upstream",
      "policies: {p: {idle_timeout: 20m, absolute_timeout: 1h, comply_with: [pci-dss-4.0]}}|policies.p.idle_timeout",
      "policies: {p: {idle_timeout: 10m, absolute_timeout: 1h, comply_with: [sox]}}|policies.p.comply_with",
      // issue 20: durations whose milliseconds overflow a long, or too long for any timeout
      "policies: {p: {idle_timeout: 999999999999d, absolute_timeout: 1h}}|policies.p.idle_timeout",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, renew_every: PT2562047788015215H}}|policies.p.renew_every",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, renew_every: 401d}}|policies.p.renew_every",
      "snapshot_interval: 999999999999d|snapshot_interval",
      // issue 21: concurrency limits
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, max_sessions_per_subject: 0}}|policies.p.max_sessions_per_subject",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, max_sessions_per_subject: two}}|policies.p.max_sessions_per_subject",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, max_sessions_per_subject: 2, when_exceeded: kick}}|policies.p.when_exceeded",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, when_exceeded: end_oldest}}|policies.p.when_exceeded",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, max_sessions_per_subject: 2, limit_scope: everywhere}}|policies.p.limit_scope",
      "audit_retention: P106751991167300D|audit_retention",
      // issue 19: resuming after an idle expiry
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, resume_within: 0s}}|policies.p.resume_within",
      "policies: {p: {idle_timeout: 5m, absolute_timeout: 1h, resume_within: 25h}}|policies.p.resume_within",
      "{store: redis, max_live_sessions: 15}|max_live_sessions",
      "server: {transport: kqueue2}|server.transport",
      "server: {transport: 1}|server.transport",
  })
  void badValuesAreErrorsThatNameTheKey(String yaml, String key) {
    assertThatThrownBy(() -> CurfewConfig.parse(yaml))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }

  @Test
  void auditSigningKey_isOptional() {
    assertThat(CurfewConfig.parse("").auditSigningKey()).isNull();
    assertThat(CurfewConfig.parse("audit_signing_key: /etc/curfew/audit.key").auditSigningKey())
        .hasToString("/etc/curfew/audit.key");
    assertThatThrownBy(() -> CurfewConfig.parse("audit_signing_key: [a]"))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("audit_signing_key"));
  }

  @Test
  void rotationGrace_defaultsToFiveSecondsAndIsBoundedAtThirty() {
    assertThat(CurfewConfig.parse("").rotationGrace().duration()).isEqualTo(Duration.ofSeconds(5));
    assertThat(CurfewConfig.parse("rotation_grace: 2s").rotationGrace().duration()).isEqualTo(Duration.ofSeconds(2));
    assertThat(CurfewConfig.parse("rotation_grace: 0s").rotationGrace().duration()).isZero();
    for (String bad : new String[] {"31s", "1h", "[a]", "soon"}) {
      assertThatThrownBy(() -> CurfewConfig.parse("rotation_grace: " + bad))
          .isInstanceOf(ConfigException.class)
          .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("rotation_grace"));
    }
    assertThatThrownBy(() -> CurfewConfig.parse("rotation_grace: 31s")).hasMessageContaining("at most 30s");
  }

  @Test
  void concurrencyLimit_isReadWithItsDefaults() {
    CurfewConfig c = CurfewConfig.parse("policies:\n  p: {idle_timeout: 5m, absolute_timeout: 1h, max_sessions_per_subject: 3}\n"
        + "  q: {idle_timeout: 5m, absolute_timeout: 1h, max_sessions_per_subject: 1, when_exceeded: end_oldest,"
        + " limit_scope: audience}\n  r: {idle_timeout: 5m, absolute_timeout: 1h}\ndefault_policy: p\n");
    assertThat(c.policies().get("p").concurrency()).isEqualTo(dev.curfew.core.ConcurrencyLimit.of(3, "refuse_new", "subject"));
    assertThat(c.policies().get("q").concurrency().describe()).isEqualTo("1 per audience, end_oldest");
    assertThat(c.policies().get("r").concurrency().limited()).isFalse();
  }

  @Test
  void resumeWithin_isOptional() {
    CurfewConfig c = CurfewConfig.parse("policies:\n  p: {idle_timeout: 5m, absolute_timeout: 1h, resume_within: 30m}\n"
        + "  r: {idle_timeout: 5m, absolute_timeout: 1h}\ndefault_policy: p\n");
    assertThat(c.policies().get("p").resumeWithin()).isEqualTo(java.time.Duration.ofMinutes(30));
    assertThat(c.policies().get("r").resumeWithin()).isNull();
  }

  @Test
  void notYamlAtAll() {
    assertThatThrownBy(() -> CurfewConfig.parse("a: [1, 2")).isInstanceOf(ConfigException.class);
  }

  @Test
  void postgres_theSpecsSectionIsReadAndItsPasswordComesFromTheEnvironment() {
    CurfewConfig c = CurfewConfig.parse("""
        audit: postgres
        postgres: { url: "jdbc:postgresql://127.0.0.1:5432/curfew", user: curfew, password_env: CURFEW_PG_PASSWORD }
        """);
    assertThat(c.audit()).isInstanceOf(AuditConfig.Postgres.class);
    AuditConfig.Postgres audit = (AuditConfig.Postgres) c.audit();
    var pg = audit.connection(java.util.Map.of("CURFEW_PG_PASSWORD", "s3cret"));
    assertThat(pg.host()).isEqualTo("127.0.0.1");
    assertThat(pg.database()).isEqualTo("curfew");
    assertThat(pg.user()).isEqualTo("curfew");
    assertThat(pg.password()).isEqualTo("s3cret");
    assertThatThrownBy(() -> audit.connection(java.util.Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("CURFEW_PG_PASSWORD is not set")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("postgres.password_env"));
    assertThat(((AuditConfig.Postgres) CurfewConfig.parse("audit: postgres\npostgres: {url: \"jdbc:postgresql://h/d\", user: u}\n")
        .audit()).connection(java.util.Map.of()).password()).isNull();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "audit: postgres|postgres.url",
      "audit: postgres\\npostgres: {url: \"jdbc:postgresql://h/d\"}|postgres.user",
      "audit: postgres\\npostgres: {user: u}|postgres.url",
      "audit: postgres\\npostgres: {url: \"postgres://h/d\", user: u}|postgres.url",
      "audit: postgres\\npostgres: {url: \"jdbc:postgresql://h/d?ssl=true\", user: u}|postgres.url",
      "audit: postgres\\npostgres: {url: \"jdbc:postgresql://h/d?sslmode=prefer\", user: u}|postgres.url",
      "audit: postgres\\npostgres: {url: \"jdbc:postgresql://h/d?sslmode=verify-full&sslrootcert=/nonexistent.pem\", user: u}|postgres.url",
      "audit: postgres\\npostgres: {url: \"jdbc:postgresql://h/d\", user: u, password: x}|postgres.password",
      "audit: postgres\\npostgres: {url: \"jdbc:postgresql://h/d\", user: u, password_env: \"1 x\"}|postgres.password_env",
      "audit: postgres\\npostgres: {url: \"jdbc:postgresql://h/d\", user: \" \"}|postgres.user",
      "audit: sqlite|audit"})
  void postgres_errorsNameTheKey(String yaml, String key) {
    assertThatThrownBy(() -> CurfewConfig.parse(yaml.replace("\\n", "\n")))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }

  @Test
  void anEmptyKey_isNamedInTheError() {
    // found by ConfigFuzzTest: YAML "?" is a mapping with an empty key, and the error named nothing
    assertThatThrownBy(() -> CurfewConfig.parse("?\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("\"\": unknown key")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("\"\""));
  }

  @Test
  void aRequiredDurationThatIsNull_isRequired_notACrash() {
    // found by ConfigFuzzTest: "idle_timeout: NULL" reached the Policy constructor as null
    for (String value : new String[] {"null", "NULL", "~", ""}) {
      assertThatThrownBy(() -> CurfewConfig.parse("policies:\n  p:\n    idle_timeout: " + value + "\n    absolute_timeout: 1h\n"))
          .isInstanceOf(ConfigException.class)
          .hasMessage("policies.p.idle_timeout: required");
    }
  }

  private static String keyOf(String yaml) {
    try {
      CurfewConfig.parse(yaml);
    } catch (ConfigException e) {
      return e.key();
    }
    throw new AssertionError("accepted: " + yaml);
  }

  @Test
  void aNameThatDoesNotStartWithALetterOrDigit_isRefused_andTheErrorSaysWhy() {
    // The errors said "1-64 of [A-Za-z0-9._-]", which "_node" is, and refused it all the same.
    String rule = "1-64 of [A-Za-z0-9._-], the first a letter or digit";
    assertThatThrownBy(() -> CurfewConfig.parse("node: _node")).hasMessage("node: must be " + rule);
    assertThatThrownBy(() -> CurfewConfig.parse("api_keys: [{name: .k, key_env: K}]"))
        .hasMessage("api_keys[0].name: required, " + rule);
    assertThatThrownBy(() -> CurfewConfig.parse("policies: {_p: {idle_timeout: 5m, absolute_timeout: 1h}}"))
        .hasMessage("policies._p: must be " + rule + ", not \"_p\"");
    assertThatThrownBy(() -> CurfewConfig.parse("databases: [{name: -d, protocol: postgres, listen: '127.0.0.1:0',"
        + " upstream: '127.0.0.1:5432', user: u}]")).hasMessage("databases[0].name: required, " + rule);
    assertThatThrownBy(() -> CurfewConfig.parse("ssh: {targets: [{name: _t, upstream: 'h:22', user: u, identity_file: k,"
        + " host_key: x}]}")).hasMessage("ssh.targets[0].name: must be " + rule);
    assertThat(CurfewConfig.parse("node: n_.-1").node()).isEqualTo("n_.-1");
    assertThat(CurfewConfig.parse("policies: {p_.-1: {idle_timeout: 5m, absolute_timeout: 1h}}").policies())
        .containsKey("p_.-1");
  }

  @Test
  void anEmptyDataDir_isRefused_asAnEmptySigningKeyFileIs() {
    // "" used to be the working directory: the api-key file, audit/ and snapshot.json were written there.
    for (String empty : new String[] {"''", "' '"}) {
      assertThatThrownBy(() -> CurfewConfig.parse("data_dir: " + empty)).hasMessage("data_dir: must be a directory name");
      assertThatThrownBy(() -> CurfewConfig.parse("audit_signing_key: " + empty))
          .hasMessage("audit_signing_key: must be a file name");
    }
    assertThat(CurfewConfig.parse("data_dir: .").dataDir()).isEqualTo(java.nio.file.Path.of("."));
  }

  @Test
  void aWitnessError_namesTheUrlOrTheKey() {
    // Both used to be named "witnesses[0]", whichever of the two was wrong.
    String key = WitnessKey.of("w.example", new byte[32]).verifierKey();
    assertThat(keyOf("witnesses: [{url: 'http://h:1', key: not-a-key}]")).isEqualTo("witnesses[0].key");
    assertThat(keyOf("witnesses: [{url: 'http://h:1'}]")).isEqualTo("witnesses[0].key");
    assertThat(keyOf("witnesses: [{url: 'http://h 1/', key: '" + key + "'}]")).isEqualTo("witnesses[0].url");
    assertThat(CurfewConfig.parse("witnesses: [{url: 'http://h:1', key: '" + key + "'}]").witnesses()).hasSize(1);
  }

  @Test
  void aPolicyNameThatIsNoPlainWord_isQuotedInTheKey() {
    // A bad name was named "policies.bad name.name", as if the policy had a key "name".
    assertThatThrownBy(() -> CurfewConfig.parse("policies: {'bad name': {idle_timeout: 5m, absolute_timeout: 1h}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("policies.\"bad name\": must be ")
        .hasMessageEndingWith(", not \"bad name\"")
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("policies.\"bad name\""));
    // A dot in a name (allowed) would read as one more level of the path.
    assertThat(keyOf("policies: {v1.2: {idle_timeout: 5m, absolute_timeout: 1h, warn_before: 5m}}"))
        .isEqualTo("policies.\"v1.2\".warn_before");
    assertThat(keyOf("policies: {std: {idle_timeout: 5m, absolute_timeout: 1h, warn_before: 5m}}"))
        .isEqualTo("policies.std.warn_before");
    assertThat(keyOf("server: {a.b: 1}")).isEqualTo("server.\"a.b\"");
    assertThat(keyOf("policies: {v1.2: {idle_timeout: 5m, absolute_timeout: 1h, comply_with: [sox]}}"))
        .isEqualTo("policies.\"v1.2\".comply_with");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "snapshot_interval: 0s|snapshot_interval: must be more than 0s",
      "snapshot_interval: PT0S|snapshot_interval: must be more than 0s",
      "audit_retention: 0s|audit_retention: must be more than 0s",
      "audit_retention: 0d|audit_retention: must be more than 0s",
  })
  void aZeroInterval_isRefusedAtLoad_namingTheKey(String yaml, String message) {
    // It used to load, and the store refused it after an API key was created: "snapshotInterval <= 0: PT0S".
    assertThatThrownBy(() -> CurfewConfig.parse(yaml)).isInstanceOf(ConfigException.class).hasMessage(message);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      // a YAML null, then the same file without the key
      "'server:'                                  | -",
      "'metrics:'                                 | -",
      "'redis:'                                   | -",
      "'postgres:'                                | -",
      "{store: redis, redis: ~}                   | {store: redis}",
      "{server: {port: 9090, tls: ~}}             | {server: {port: 9090}}",
      "{policies: {p: {idle_timeout: 15m, absolute_timeout: 1h, comply_with: ~}}} | {policies: {p: {idle_timeout: 15m, absolute_timeout: 1h}}}",
      "{notify: {issuer: ~}}                      | {notify: {}}",
      "{notify: {issuer: null}}                   | {notify: {}}",
      "{identity_providers: [{name: a, issuer: i, audience: c, jwks_uri: ~, discovery_url: 'https://idp.example/d'}]}"
          + " | {identity_providers: [{name: a, issuer: i, audience: c, discovery_url: 'https://idp.example/d'}]}",
      "{identity_providers: [{name: a, issuer: i, audience: c, jwks_uri: 'https://idp.example/k', discovery_url: ~}]}"
          + " | {identity_providers: [{name: a, issuer: i, audience: c, jwks_uri: 'https://idp.example/k'}]}",
      "{gateway: {routes: ~}}                     | {gateway: {}}",
      "{gateway: {routes: [{path: /m, kind: mcp, upstream: 'http://h:1/mcp', cookie: ~}]}}"
          + " | {gateway: {routes: [{path: /m, kind: mcp, upstream: 'http://h:1/mcp'}]}}",
      "{gateway: {routes: [{path: /, upstream: 'http://h:1', busy_is_activity: ~}]}}"
          + " | {gateway: {routes: [{path: /, upstream: 'http://h:1'}]}}",
  })
  void aYamlNull_isTheKeyLeftOut(String withNull, String without) {
    // docs/configuration.md: "A YAML null (key: with nothing after it) is the same as leaving the key out."
    assertThat(CurfewConfig.parse(withNull)).isEqualTo(CurfewConfig.parse(without == null ? "" : without));
  }
}

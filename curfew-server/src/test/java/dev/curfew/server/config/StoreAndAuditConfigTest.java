package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code store} and {@code audit} as the configuration holds them: one variant each, carrying only
 * its own section's values. A section beside the other variant ({@code redis:} with {@code store:
 * embedded}, {@code postgres:} with {@code audit: file}) is checked as always and then not kept.
 */
class StoreAndAuditConfigTest {

  private static String keyOf(String yaml) {
    try {
      CurfewConfig.parse(yaml);
    } catch (ConfigException e) {
      return e.key();
    }
    throw new AssertionError("accepted: " + yaml);
  }

  @Test
  void withoutEitherKey_theSessionsAreEmbeddedAndTheTrailIsInFiles() {
    CurfewConfig c = CurfewConfig.parse("node: a\n");
    assertThat(c.store()).isEqualTo(StoreConfig.EMBEDDED);
    assertThat(c.audit()).isEqualTo(AuditConfig.FILE);
    assertThat(CurfewConfig.defaults().store()).isInstanceOf(StoreConfig.Embedded.class);
    assertThat(CurfewConfig.defaults().audit()).isInstanceOf(AuditConfig.File.class);
  }

  @Test
  void storeRedis_holdsItsUriAndKeyPrefix_withTheDefaultsForWhatIsLeftOut() {
    assertThat(CurfewConfig.parse("store: redis\nredis: {uri: \"rediss://:pw@cache:6380/2\", key_prefix: prod}\n").store())
        .isEqualTo(new StoreConfig.Redis("rediss://:pw@cache:6380/2", "prod"));
    assertThat(CurfewConfig.parse("store: redis\n").store())
        .isEqualTo(new StoreConfig.Redis("redis://127.0.0.1:6379", "curfew"));
  }

  @Test
  void redisNodes_areTheSeedNodesOfARedisCluster() {
    StoreConfig store = CurfewConfig.parse("store: redis\nredis:\n  nodes: [\"redis://h1:7000\", \"rediss://:pw@h2:7001\"]\n"
        + "  key_prefix: prod\n").store();
    assertThat(store).isEqualTo(new StoreConfig.Redis(
        new StoreConfig.Cluster(List.of("redis://h1:7000", "rediss://:pw@h2:7001")), "prod"));
    assertThat(((StoreConfig.Redis) store).endpoint().uris()).containsExactly("redis://h1:7000", "rediss://:pw@h2:7001");
    assertThat(((StoreConfig.Redis) CurfewConfig.parse("store: redis\nredis: {uri: \"redis://h:1\"}\n").store()).endpoint())
        .isEqualTo(new StoreConfig.Single("redis://h:1"));
  }

  @Test
  void redisNodes_errorsNameTheKeyOrTheNode() {
    assertThat(keyOf("store: redis\nredis: {uri: \"redis://h:1\", nodes: [\"redis://h:2\"]}\n")).isEqualTo("redis.nodes");
    assertThat(keyOf("store: redis\nredis: {nodes: []}\n")).isEqualTo("redis.nodes");
    assertThat(keyOf("store: redis\nredis: {nodes: \"redis://h:1\"}\n")).isEqualTo("redis.nodes");
    assertThat(keyOf("store: redis\nredis: {nodes: [\"redis://h:1\", \"http://h:2\"]}\n")).isEqualTo("redis.nodes[1]");
    assertThat(keyOf("store: redis\nredis: {nodes: [\"redis://h:1\", 7000]}\n")).isEqualTo("redis.nodes[1]");
    assertThat(keyOf("store: redis\nredis: {nodes: [~]}\n")).isEqualTo("redis.nodes[0]");
    assertThat(keyOf("store: redis\nredis: {nodes: [\"redis://h:1\", \"redis://h:2\", \"redis://h:1\"]}\n"))
        .isEqualTo("redis.nodes[2]");
    assertThatThrownBy(() -> CurfewConfig.parse("redis: {nodes: [\"redis://h:1\", \"h:2\"]}\n"))
        .hasMessage("redis.nodes[1]: must start with redis://, rediss:// or unix://");
    assertThatThrownBy(() -> CurfewConfig.parse("redis: {uri: \"h:2\"}\n"))
        .hasMessage("redis.uri: must start with redis://, rediss:// or unix://");
  }

  @Test
  void aRedisSectionBesideTheEmbeddedStore_isCheckedThenNotKept() {
    assertThat(CurfewConfig.parse("store: embedded\nredis: {uri: \"redis://h:1\", key_prefix: p}\n").store())
        .isEqualTo(StoreConfig.EMBEDDED);
    assertThat(keyOf("store: embedded\nredis: {uri: \"http://h:1\"}\n")).isEqualTo("redis.uri");
    assertThat(keyOf("redis: {key_prefix: \"a b\"}\n")).isEqualTo("redis.key_prefix");
    assertThat(keyOf("redis: {url: \"redis://h:1\"}\n")).isEqualTo("redis.url");
    assertThat(keyOf("store: memcached\n")).isEqualTo("store");
  }

  @Test
  void auditPostgres_holdsItsUrlUserAndPasswordVariable() {
    CurfewConfig c = CurfewConfig.parse("audit: postgres\npostgres: {url: \"jdbc:postgresql://db/audit\", user: curfew,"
        + " password_env: PG_PW}\n");
    assertThat(c.audit()).isEqualTo(new AuditConfig.Postgres("jdbc:postgresql://db/audit", "curfew", "PG_PW"));
    assertThat(((AuditConfig.Postgres) CurfewConfig.parse("audit: postgres\npostgres: {url: \"jdbc:postgresql://db/a\","
        + " user: u}\n").audit()).passwordEnv()).isNull();
  }

  @Test
  void aPostgresSectionBesideTheFileAudit_isCheckedThenNotKept() {
    // Accepted, as it always was, even without the user that audit: postgres requires ...
    assertThat(CurfewConfig.parse("audit: file\npostgres: {url: \"jdbc:postgresql://db/audit\"}\n").audit())
        .isEqualTo(AuditConfig.FILE);
    assertThat(CurfewConfig.parse("postgres: {url: \"jdbc:postgresql://db/audit\", user: u, password_env: X}\n").audit())
        .isEqualTo(AuditConfig.FILE);
    // ... but what it says must still be well-formed.
    assertThat(keyOf("audit: file\npostgres: {url: \"postgres://db/audit\", user: u}\n")).isEqualTo("postgres.url");
    assertThat(keyOf("audit: file\npostgres: {url: \"jdbc:postgresql://db/a\", user: \" \"}\n")).isEqualTo("postgres.user");
    assertThat(keyOf("audit: file\npostgres: {password_env: \"1 x\"}\n")).isEqualTo("postgres.password_env");
    assertThat(keyOf("audit: file\npostgres: {password: x}\n")).isEqualTo("postgres.password");
  }

  @Test
  void theStoreVariantDecidesTheLeastMaxLiveSessions() {
    // Redis splits the limit over its 16 shards (docs/distributed.md).
    assertThat(keyOf("store: redis\nmax_live_sessions: 15\n")).isEqualTo("max_live_sessions");
    assertThat(CurfewConfig.parse("store: redis\nmax_live_sessions: 16\n").maxLiveSessions()).isEqualTo(16);
    assertThat(CurfewConfig.parse("max_live_sessions: 1\n").maxLiveSessions()).isEqualTo(1);
  }

  @Test
  void theVariantsRefuseWhatTheyCannotHold() {
    assertThatThrownBy(() -> new StoreConfig.Redis((String) null, "p")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new StoreConfig.Cluster(List.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new AuditConfig.Postgres("jdbc:postgresql://db/a", null, null))
        .isInstanceOf(NullPointerException.class);
  }
}

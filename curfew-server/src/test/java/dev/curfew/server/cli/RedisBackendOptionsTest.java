package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.config.StoreConfig;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Redis client {@code store: redis} asks for: one Redis for {@code redis.uri}, a cluster client for {@code redis.nodes}. */
class RedisBackendOptionsTest {

  @Test
  void redisUri_isOneStandaloneEndpoint() {
    RedisOptions o = SessionBackend.RedisBackend.options(new StoreConfig.Single("redis://cache:6380/1"));
    assertThat(o.getType()).isEqualTo(RedisClientType.STANDALONE);
    assertThat(o.getEndpoints()).containsExactly("redis://cache:6380/1");
  }

  @Test
  void redisNodes_areEveryEndpointOfAClusterClient_andNothingElse() {
    RedisOptions o = SessionBackend.RedisBackend.options(
        new StoreConfig.Cluster(List.of("redis://h1:7000", "redis://h2:7001", "redis://h3:7002")));
    assertThat(o.getType()).isEqualTo(RedisClientType.CLUSTER);
    assertThat(o.getEndpoints()).containsExactly("redis://h1:7000", "redis://h2:7001", "redis://h3:7002");
  }

  @Test
  void theStartUpLineNamesTheSeedsWithoutTheirPasswords() {
    assertThat(SessionBackend.RedisBackend.describe(new StoreConfig.Cluster(List.of("redis://:s3cret@h1:7000", "redis://h2:7001"))))
        .isEqualTo("the Redis Cluster of seed nodes redis://:***@h1:7000, redis://h2:7001")
        .doesNotContain("s3cret");
    assertThat(SessionBackend.RedisBackend.describe(new StoreConfig.Single("redis://h:6379"))).isEqualTo("Redis at redis://h:6379");
  }
}

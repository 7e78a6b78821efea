package dev.curfew.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.ManualClock;
import dev.curfew.server.security.RateLimiter.Rate;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes' {@link RateLimits} over one Redis (127.0.0.1:6379, or -Dcurfew.test.redis=URI): every
 * limit counts for both. Each test uses a key prefix of its own and removes its keys.
 */
class SharedRateLimitsTest {
  private static final String URI = System.getProperty("curfew.test.redis", "redis://127.0.0.1:6379");
  private static final Rate THREE_A_MINUTE = Rate.of(3, Duration.ofMinutes(1));

  private final String prefix = "rl" + UUID.randomUUID().toString().substring(0, 8);
  private Vertx vertx;
  private Redis redis;
  // The nodes' own clocks never move: whatever is refused across nodes was counted in Redis.
  private final ManualClock clock = new ManualClock(java.time.Instant.parse("2026-12-04T00:00:00Z"));

  @BeforeEach
  void connect() {
    vertx = Vertx.vertx();
    redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(URI));
  }

  @AfterEach
  void removeKeys() throws Exception {
    Response keys = redis.send(Request.cmd(Command.KEYS).arg(prefix + ":*")).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    for (Response k : keys) {
      redis.send(Request.cmd(Command.DEL).arg(k.toString())).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    redis.close();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private RateLimits node(Redis client) {
    RateLimits.Settings s = new RateLimits.Settings(true, THREE_A_MINUTE, THREE_A_MINUTE, THREE_A_MINUTE,
        THREE_A_MINUTE, THREE_A_MINUTE, 1000, List.of());
    return new RateLimits(s, clock, new RedisRateBuckets(client, prefix, Duration.ofSeconds(5)));
  }

  private static RateLimits.Refusal answer(java.util.concurrent.CompletableFuture<RateLimits.Refusal> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  @Test
  void openingsOfOneSubjectOnTwoNodesShareOneBucket() throws Exception {
    RateLimits a = node(redis);
    RateLimits b = node(redis);
    assertThat(answer(a.open(null, "alice"))).isNull();
    assertThat(answer(b.open(null, "alice"))).isNull();
    assertThat(answer(a.open(null, "alice"))).isNull();
    RateLimits.Refusal fourth = answer(b.open(null, "alice"));
    assertThat(fourth).isNotNull();
    assertThat(fourth.limit()).isEqualTo("open_per_subject");
    // One token every 20 s: the next is at most 20 s away, and more than a few seconds.
    assertThat(fourth.retryAfterMs()).isBetween(15_000L, 20_000L);
    // Another subject has a bucket of its own.
    assertThat(answer(b.open(null, "bob"))).isNull();
  }

  @Test
  void theKeyLimitAndTheSubjectLimitAreBothShared() throws Exception {
    RateLimits a = node(redis);
    RateLimits b = node(redis);
    assertThat(answer(a.open("shop", "u1"))).isNull();
    assertThat(answer(b.open("shop", "u2"))).isNull();
    assertThat(answer(a.open("shop", "u3"))).isNull();
    assertThat(answer(b.open("shop", "u4")).limit()).isEqualTo("open_per_key");
    assertThat(answer(a.open("other", "u4"))).isNull();
  }

  @Test
  void extensionsOfOneSubjectOnTwoNodesShareOneBucket() throws Exception {
    RateLimits a = node(redis);
    RateLimits b = node(redis);
    assertThat(answer(a.extend("carol"))).isNull();
    assertThat(answer(a.extend("carol"))).isNull();
    assertThat(answer(b.extend("carol"))).isNull();
    assertThat(answer(b.extend("carol")).limit()).isEqualTo("extend_per_subject");
    assertThat(answer(a.extend("carol")).limit()).isEqualTo("extend_per_subject");
  }

  @Test
  void failuresCountedOnOneNodeBlockTheAddressOnTheOtherAfterItsFirstFailure() throws Exception {
    RateLimits a = node(redis);
    RateLimits b = node(redis);
    for (int i = 0; i < 3; i++) a.failedCheckFrom("203.0.113.9");
    await().atMost(Duration.ofSeconds(10)).until(() -> a.failedChecksFrom("203.0.113.9") != null);
    // B has counted nothing of its own yet: it asks no one before a request, so it lets this one in,
    assertThat(b.failedChecksFrom("203.0.113.9")).isNull();
    // and once that request fails too, Redis's answer (the bucket is empty) blocks the address on B.
    b.failedCheckFrom("203.0.113.9");
    await().atMost(Duration.ofSeconds(10)).until(() -> b.failedChecksFrom("203.0.113.9") != null);
    RateLimits.Refusal r = b.failedChecksFrom("203.0.113.9");
    assertThat(r.limit()).isEqualTo("failed_checks_per_address");
    // B's own bucket holds one failure of three: the refusal comes from the shared one.
    assertThat(r.retryAfterMs()).isGreaterThan(15_000L);
    assertThat(b.failedChecksFrom("198.51.100.1")).isNull();
  }

  @Test
  void failuresThroughOneKeyOnTwoNodesAreCountedTogether() throws Exception {
    RateLimits a = node(redis);
    RateLimits b = node(redis);
    a.failedCheckOf("gateway");
    b.failedCheckOf("gateway");
    a.failedCheckOf("gateway");
    b.failedCheckOf("gateway");
    await().atMost(Duration.ofSeconds(10)).until(() -> b.failedChecksOf("gateway") != null);
    assertThat(b.failedChecksOf("gateway").limit()).isEqualTo("failed_checks_per_key");
  }

  @Test
  void whenRedisCannotBeAskedEachNodeFallsBackToItsOwnBuckets() throws Exception {
    // A client of a port where nothing listens: every call fails, and the node's own limits decide.
    Redis nowhere = Redis.createClient(vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:1"));
    try {
      RateLimits a = node(nowhere);
      for (int i = 0; i < 3; i++) assertThat(answer(a.open(null, "dave"))).isNull();
      assertThat(answer(a.open(null, "dave")).limit()).isEqualTo("open_per_subject");
      for (int i = 0; i < 3; i++) a.failedCheckFrom("192.0.2.7");
      assertThat(a.failedChecksFrom("192.0.2.7")).isNotNull();
    } finally {
      nowhere.close();
    }
  }

  @Test
  void aFullBucketLeavesNoKeyBehind() throws Exception {
    RateLimits a = node(redis);
    assertThat(answer(a.open(null, "erin"))).isNull();
    Response keys = redis.send(Request.cmd(Command.KEYS).arg(prefix + ":*")).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertThat(keys.size()).isEqualTo(1);
    String key = keys.get(0).toString();
    // Neither the subject nor anything readable of it is in the key.
    assertThat(key).doesNotContain("erin").startsWith(prefix + ":rl:open_per_subject:");
    long ttl = redis.send(Request.cmd(Command.PTTL).arg(key)).toCompletionStage().toCompletableFuture()
        .get(10, TimeUnit.SECONDS).toLong();
    // One token taken from three a minute: full again 20 s later, when the key goes.
    assertThat(ttl).isBetween(15_000L, 20_001L);
  }
}

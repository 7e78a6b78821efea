package dev.curfew.server.oidc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The key set nodes share through Redis, on a manual clock: what is served, and for how long. */
class SharedJwksTest {
  private final Vertx vertx = Vertx.vertx();
  private final Redis redis = Redis.createClient(vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:6379"));
  private final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
  private final ManualClock clock = ManualClock.at("2026-12-04T08:00:00Z");

  @AfterEach
  void cleanUp() throws Exception {
    redis.send(Request.cmd(Command.DEL).arg(prefix + ":jwks")).await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  @Test
  void everyNodeServesEveryKeyUntilItsNodeHasNotWrittenItForTheRetiredKeyWindow() throws Exception {
    Map<String, Object> keysOfA = keySet("kid-a");
    Map<String, Object> keysOfB = keySet("kid-b");
    SharedJwks a = SharedJwks.start(vertx, redis, prefix, () -> keysOfA, clock).await(10, TimeUnit.SECONDS);
    SharedJwks b = SharedJwks.start(vertx, redis, prefix, () -> keysOfB, clock).await(10, TimeUnit.SECONDS);
    assertThat(kids(a)).containsExactly("kid-a", "kid-b"); // its own first
    assertThat(kids(b)).containsExactly("kid-b", "kid-a");

    // b stops writing (it stopped or died): its key stays for the whole window after its last write.
    b.close();
    clock.advance(LogoutSigningKeys.RETIRED_KEY_PUBLISHED_FOR.minusMillis(1));
    a.publish().await(10, TimeUnit.SECONDS);
    assertThat(kids(a)).containsExactly("kid-a", "kid-b");
    clock.advance(Duration.ofMillis(1));
    assertThat(kids(a)).containsExactly("kid-a");
    // ... and the expired entry is gone from Redis, not only from the answer.
    assertThat(redis.send(Request.cmd(Command.HKEYS).arg(prefix + ":jwks")).await(10, TimeUnit.SECONDS).toString())
        .doesNotContain("kid-b");
    a.close();
  }

  @Test
  void anEntryThatIsNotAPublicKeyIsNotServed() throws Exception {
    SharedJwks a = SharedJwks.start(vertx, redis, prefix, () -> keySet("kid-a"), clock).await(10, TimeUnit.SECONDS);
    redis.send(Request.cmd(Command.HSET).arg(prefix + ":jwks").arg("kid-x")
        .arg("{\"jwk\":{\"kty\":\"oct\",\"k\":\"c2VjcmV0\",\"kid\":\"kid-x\"},\"until\":" + (clock.millis() + 60_000) + "}"))
        .await(10, TimeUnit.SECONDS);
    assertThat(kids(a)).containsExactly("kid-a");
    a.close();
  }

  @Test
  void withoutRedisANodeServesItsOwnKeysAndTheOthersItReadLast() throws Exception {
    Redis own = Redis.createClient(vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:6379"));
    SharedJwks a = SharedJwks.start(vertx, own, prefix, () -> keySet("kid-a"), clock).await(10, TimeUnit.SECONDS);
    SharedJwks.start(vertx, redis, prefix, () -> keySet("kid-b"), clock).await(10, TimeUnit.SECONDS).close();
    assertThat(kids(a)).containsExactly("kid-a", "kid-b");
    own.close(); // a's Redis is gone
    assertThat(kids(a)).containsExactly("kid-a", "kid-b");

    Redis unreachable = Redis.createClient(vertx, new RedisOptions().setConnectionString("redis://127.0.0.1:1"));
    SharedJwks cut = SharedJwks.start(vertx, unreachable, prefix, () -> keySet("kid-c"), clock)
        .otherwiseEmpty().await(10, TimeUnit.SECONDS);
    assertThat(cut).as("a node whose keys cannot be published does not start").isNull();
    a.close();
  }

  @SuppressWarnings("unchecked")
  private static List<String> kids(SharedJwks jwks) throws Exception {
    Map<String, Object> set = jwks.jwks().await(10, TimeUnit.SECONDS);
    return ((List<Map<String, Object>>) set.get("keys")).stream().map(k -> (String) k.get("kid")).toList();
  }

  private static Map<String, Object> keySet(String kid) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      return Map.of("keys", List.of(Jwk.of(g.generateKeyPair().getPublic(), kid, JwsAlgorithm.EdDSA)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}

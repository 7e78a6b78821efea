package dev.curfew.server.oidc;

import dev.curfew.core.Clock;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * {@link SeenLogoutTokens} in Redis, shared by every node: {@code SET key 1 NX PX ttl} is atomic, so
 * of two nodes that receive the same token only one acts on it. The key expires with the token's window.
 */
public final class RedisSeenLogoutTokens implements SeenLogoutTokens {
  private final Redis redis;
  private final String prefix;
  private final Clock clock;

  public RedisSeenLogoutTokens(Redis redis, String keyPrefix, Clock clock) {
    this.redis = Objects.requireNonNull(redis, "redis");
    this.prefix = keyPrefix + ":idp-jti:";
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public CompletableFuture<Boolean> firstSighting(String key, long forgetAtMs) {
    long ttl = Math.max(1, forgetAtMs - clock.millis());
    return redis.send(Request.cmd(Command.SET).arg(prefix + key).arg("1").arg("NX").arg("PX").arg(ttl))
        .map(r -> r != null && "OK".equals(r.toString()))
        .toCompletionStage().toCompletableFuture();
  }

  @Override
  public CompletableFuture<Void> forget(String key) {
    return redis.send(Request.cmd(Command.DEL).arg(prefix + key)).<Void>mapEmpty().toCompletionStage().toCompletableFuture();
  }
}

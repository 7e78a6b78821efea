package dev.curfew.server.security;

import dev.curfew.server.security.RateLimiter.Rate;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@link SharedRateBuckets} in Redis: one key per bucket holding its theoretical arrival time, changed
 * by one script ({@code gcra.lua}) that reads Redis's {@code TIME}, so every node counts into the
 * same bucket on one clock, atomically. A bucket's key expires when the bucket is full again, so
 * Redis holds only the buckets in use. Keys are {@code <prefix>:rl:<limit>:<SHA-256 of the key>}:
 * subjects and addresses are not stored in the clear, and a key is short whatever it counts.
 */
public final class RedisRateBuckets implements SharedRateBuckets {
  private static final String SCRIPT = script();
  // Redis names a script by the SHA-1 of its text (EVALSHA); SHA-1 is an identifier here, not a control.
  private static final String SHA = digestHex("SHA-1", SCRIPT);

  private final Redis redis;
  private final String prefix;
  private final long timeoutMs;

  /** @param timeout how long a call may take before it counts as failed (the caller then uses its own buckets) */
  public RedisRateBuckets(Redis redis, String keyPrefix, Duration timeout) {
    this.redis = Objects.requireNonNull(redis, "redis");
    this.prefix = Objects.requireNonNull(keyPrefix, "keyPrefix") + ":rl:";
    this.timeoutMs = timeout.toMillis();
  }

  @Override
  public CompletableFuture<Long> take(String limit, String key, Rate rate) {
    return run("take", limit, key, rate);
  }

  @Override
  public CompletableFuture<Long> charge(String limit, String key, Rate rate) {
    return run("charge", limit, key, rate);
  }

  private CompletableFuture<Long> run(String mode, String limit, String key, Rate rate) {
    long interval = RateLimiter.intervalMicros(rate);
    long tolerance = (rate.limit() - 1) * interval;
    String bucket = prefix + limit + ":" + hashed(key);
    // Unknown to the Redis that holds the bucket (a restart, a failover, another node of a Cluster):
    // the whole text once with EVAL, which also caches it there.
    Future<Response> answer = redis.send(eval(Command.EVALSHA, SHA, bucket, interval, tolerance, mode)).recover(err -> {
      String m = err.getMessage();
      if (m == null || !m.startsWith("NOSCRIPT")) return Future.failedFuture(err);
      return redis.send(eval(Command.EVAL, SCRIPT, bucket, interval, tolerance, mode));
    });
    return answer.map(r -> (r.toLong() + 999) / 1000).toCompletionStage().toCompletableFuture()
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  private static Request eval(Command command, String script, String bucket, long interval, long tolerance, String mode) {
    return Request.cmd(command).arg(script).arg(1).arg(bucket).arg(interval).arg(tolerance).arg(mode);
  }

  private static String hashed(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String script() {
    try (InputStream in = RedisRateBuckets.class.getResourceAsStream("gcra.lua")) {
      if (in == null) throw new IllegalStateException("missing script gcra.lua");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read script gcra.lua", e);
    }
  }

  private static String digestHex(String algorithm, String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

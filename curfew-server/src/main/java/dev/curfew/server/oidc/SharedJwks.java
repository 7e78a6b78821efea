package dev.curfew.server.oidc;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.Clock;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The JWKS of a deployment whose nodes share Redis: every node signs its back-channel logout tokens
 * with the keys in its own data directory, so a relying party that fetches the key set from any node
 * must find the keys of all of them. Each node writes its public keys to the hash {@code
 * <prefix>:jwks} (field: {@code kid}; value: the JWK and the time it stays published until) on start
 * and every {@link #REFRESH_EVERY}, and serves the union of its own keys and every entry still
 * published. An entry is published for {@link LogoutSigningKeys#RETIRED_KEY_PUBLISHED_FOR} after its
 * node last wrote it, so a node that stops (or dies) leaves its keys in the set until the last token
 * it could have signed has expired, plus the relying parties' margin. Expired entries are removed
 * by whichever node reads them. If Redis cannot be read, a node serves its own keys and the others
 * it read last.
 */
public final class SharedJwks implements JwksSource, AutoCloseable {
  /** How often a node writes its keys again; far shorter than the time an entry stays published. */
  public static final Duration REFRESH_EVERY = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final Vertx vertx;
  private final Redis redis;
  private final String key;
  private final Supplier<Map<String, Object>> own;
  private final Clock clock;
  private final long timer;
  private volatile List<Map<String, Object>> othersLastRead = List.of();

  private SharedJwks(Vertx vertx, Redis redis, String keyPrefix, Supplier<Map<String, Object>> own, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.redis = Objects.requireNonNull(redis, "redis");
    this.key = keyPrefix + ":jwks";
    this.own = Objects.requireNonNull(own, "own");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timer = vertx.setPeriodic(REFRESH_EVERY.toMillis(), id -> publish());
  }

  /**
   * Starts publishing {@code own} (this node's {@link LogoutSigningKeys#jwks()}); the future completes
   * once this node's keys are in Redis, so that a token it signs can be verified from any node.
   */
  public static Future<SharedJwks> start(Vertx vertx, Redis redis, String keyPrefix, Supplier<Map<String, Object>> own,
      Clock clock) {
    SharedJwks shared = new SharedJwks(vertx, redis, keyPrefix, own, clock);
    return shared.publish().map(shared).onFailure(e -> shared.close());
  }

  /** Writes this node's keys, each published until {@link LogoutSigningKeys#RETIRED_KEY_PUBLISHED_FOR} from now. */
  Future<Void> publish() {
    List<Map<String, Object>> keys = keysOf(own.get());
    if (keys.isEmpty()) return Future.succeededFuture();
    long until = clock.millis() + LogoutSigningKeys.RETIRED_KEY_PUBLISHED_FOR.toMillis();
    Request hset = Request.cmd(Command.HSET).arg(key);
    for (Map<String, Object> jwk : keys) {
      hset.arg(String.valueOf(jwk.get("kid"))).arg(write(Map.of("jwk", jwk, "until", until)));
    }
    return redis.send(hset).mapEmpty();
  }

  @Override
  public Future<Map<String, Object>> jwks() {
    Map<String, Object> mine = own.get();
    return redis.send(Request.cmd(Command.HGETALL).arg(key)).map(r -> {
      othersLastRead = stillPublished(r);
      return union(mine, othersLastRead);
    }).otherwise(e -> union(mine, othersLastRead));
  }

  /** The entries whose time has not passed; the others are removed (by any node, at most once matters not). */
  private List<Map<String, Object>> stillPublished(Response all) {
    List<Map<String, Object>> out = new ArrayList<>();
    if (all == null) return out;
    long now = clock.millis();
    List<String> expired = new ArrayList<>();
    for (String kid : all.getKeys()) {
      try {
        Map<String, Object> entry = JSON.readValue(all.get(kid).toString(), MAP);
        if (((Number) entry.get("until")).longValue() <= now) {
          expired.add(kid);
        } else if (entry.get("jwk") instanceof Map<?, ?> jwk) {
          @SuppressWarnings("unchecked")
          Map<String, Object> k = (Map<String, Object>) jwk;
          Jwk.toKey(k); // an entry that is not a public key we could have written is not served
          out.add(k);
        }
      } catch (Exception unreadable) {
        expired.add(kid);
      }
    }
    if (!expired.isEmpty()) {
      Request hdel = Request.cmd(Command.HDEL).arg(key);
      expired.forEach(hdel::arg);
      redis.send(hdel);
    }
    return out;
  }

  private static Map<String, Object> union(Map<String, Object> mine, List<Map<String, Object>> others) {
    Map<String, Map<String, Object>> byKid = new LinkedHashMap<>();
    for (Map<String, Object> k : keysOf(mine)) byKid.put(String.valueOf(k.get("kid")), k);
    for (Map<String, Object> k : others) byKid.putIfAbsent(String.valueOf(k.get("kid")), k);
    return Map.of("keys", List.copyOf(byKid.values()));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> keysOf(Map<String, Object> jwks) {
    Object keys = jwks.get("keys");
    return keys instanceof List<?> l ? (List<Map<String, Object>>) l : List.of();
  }

  private static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(timer);
  }
}

package dev.curfew.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/**
 * Where {@code curfew serve} keeps the sessions ({@code store:} and its {@code redis:} section,
 * spec/cli-and-config.md): {@link Embedded}, the engine in this process, or {@link Redis}, shared
 * by every node. A {@code redis:} section beside {@code store: embedded} is checked like any other
 * and then has no effect, as before the store had a type: it is not kept.
 */
public sealed interface StoreConfig permits StoreConfig.Embedded, StoreConfig.Redis {

  /** {@code store: embedded}, the default: sessions in this process, recovered from the data directory. */
  StoreConfig EMBEDDED = new Embedded();

  /** {@code store: embedded}. */
  record Embedded() implements StoreConfig {}

  /**
   * {@code store: redis}.
   *
   * @param uri {@code redis.uri}: {@code redis://}, {@code rediss://} or {@code unix://}
   * @param keyPrefix {@code redis.key_prefix}: every key of this deployment starts with it
   */
  record Redis(String uri, String keyPrefix) implements StoreConfig {
    public Redis {
      java.util.Objects.requireNonNull(uri, "uri");
      java.util.Objects.requireNonNull(keyPrefix, "keyPrefix");
    }
  }

  /** {@code store} and {@code redis} of the configuration's root, with errors that name the key. */
  static StoreConfig parse(JsonNode root) {
    String store = CurfewConfig.oneOf("store", root.path("store"), "embedded", Set.of("embedded", "redis"));
    JsonNode redis = root.path("redis");
    if (!redis.isMissingNode()) {
      CurfewConfig.requireObject("redis", redis);
      CurfewConfig.onlyKeys("redis.", redis, Set.of("uri", "key_prefix"));
    }
    String uri = CurfewConfig.string("redis.uri", redis.path("uri"), "redis://127.0.0.1:6379");
    if (!uri.startsWith("redis://") && !uri.startsWith("rediss://") && !uri.startsWith("unix://")) {
      throw new ConfigException("redis.uri", "must start with redis://, rediss:// or unix://");
    }
    String keyPrefix = CurfewConfig.string("redis.key_prefix", redis.path("key_prefix"), "curfew");
    if (!keyPrefix.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new ConfigException("redis.key_prefix", "must be 1-64 of [A-Za-z0-9._-]");
    }
    return store.equals("redis") ? new Redis(uri, keyPrefix) : EMBEDDED;
  }
}

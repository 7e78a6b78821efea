package dev.curfew.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
   * @param endpoint one Redis ({@code redis.uri}) or the seed nodes of a Redis Cluster ({@code redis.nodes})
   * @param keyPrefix {@code redis.key_prefix}: every key of this deployment starts with it
   */
  record Redis(Endpoint endpoint, String keyPrefix) implements StoreConfig {
    public Redis {
      Objects.requireNonNull(endpoint, "endpoint");
      Objects.requireNonNull(keyPrefix, "keyPrefix");
    }

    /** One Redis at {@code uri}. */
    public Redis(String uri, String keyPrefix) {
      this(new Single(uri), keyPrefix);
    }
  }

  /** Where the Redis store is: {@link Single} or {@link Cluster}. */
  sealed interface Endpoint permits Single, Cluster {
    /** The URIs, for the start-up line (passwords are the caller's to redact). */
    List<String> uris();
  }

  /** {@code redis.uri}: one Redis (or one endpoint in front of several), {@code redis://}, {@code rediss://} or {@code unix://}. */
  record Single(String uri) implements Endpoint {
    public Single {
      Objects.requireNonNull(uri, "uri");
    }

    @Override
    public List<String> uris() {
      return List.of(uri);
    }
  }

  /**
   * {@code redis.nodes}: the seed nodes of a Redis Cluster. The client asks them for the cluster's
   * slot map and then talks to whichever primary holds a key's slot, so a few seeds (any primaries
   * or replicas) are enough, and the cluster may grow beyond them.
   */
  record Cluster(List<String> seeds) implements Endpoint {
    public Cluster {
      seeds = List.copyOf(seeds);
      if (seeds.isEmpty()) throw new IllegalArgumentException("a Redis Cluster needs at least one seed node");
    }

    @Override
    public List<String> uris() {
      return seeds;
    }
  }

  /** {@code store} and {@code redis} of the configuration's root, with errors that name the key. */
  static StoreConfig parse(JsonNode root) {
    String store = CurfewConfig.oneOf("store", root.path("store"), "embedded", Set.of("embedded", "redis"));
    JsonNode redis = root.path("redis");
    if (!CurfewConfig.absent(redis)) {
      CurfewConfig.requireObject("redis", redis);
      CurfewConfig.onlyKeys("redis.", redis, Set.of("uri", "nodes", "key_prefix"));
    }
    JsonNode nodes = redis.path("nodes");
    boolean cluster = !CurfewConfig.absent(nodes);
    if (cluster && !CurfewConfig.absent(redis.path("uri"))) {
      throw new ConfigException("redis.nodes", "give either redis.uri (one Redis) or redis.nodes (a Redis Cluster), not both");
    }
    Endpoint endpoint = cluster ? new Cluster(seeds(nodes))
        : new Single(uri("redis.uri", CurfewConfig.string("redis.uri", redis.path("uri"), "redis://127.0.0.1:6379")));
    String keyPrefix = CurfewConfig.string("redis.key_prefix", redis.path("key_prefix"), "curfew");
    if (!keyPrefix.matches("[A-Za-z0-9._-]{1,64}")) {
      throw new ConfigException("redis.key_prefix", "must be 1-64 of [A-Za-z0-9._-]");
    }
    return store.equals("redis") ? new Redis(endpoint, keyPrefix) : EMBEDDED;
  }

  /** {@code redis.nodes}: a non-empty list of distinct URIs, each checked as {@code redis.uri} is. */
  private static List<String> seeds(JsonNode nodes) {
    if (!nodes.isArray()) throw new ConfigException("redis.nodes", "must be a list of the cluster's seed nodes (redis://host:port), not " + CurfewConfig.kind(nodes));
    if (nodes.isEmpty()) throw new ConfigException("redis.nodes", "must list at least one seed node (redis://host:port)");
    List<String> seeds = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      String at = "redis.nodes[" + i + "]";
      String uri = uri(at, CurfewConfig.string(at, nodes.get(i), null));
      if (seeds.contains(uri)) throw new ConfigException(at, "\"" + uri + "\" is listed twice");
      seeds.add(uri);
    }
    return seeds;
  }

  private static String uri(String key, String uri) {
    if (uri == null || !uri.startsWith("redis://") && !uri.startsWith("rediss://") && !uri.startsWith("unix://")) {
      throw new ConfigException(key, "must start with redis://, rediss:// or unix://");
    }
    return uri;
  }
}

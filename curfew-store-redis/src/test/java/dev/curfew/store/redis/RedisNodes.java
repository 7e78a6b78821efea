package dev.curfew.store.redis;

import dev.curfew.core.AuditSink;
import dev.curfew.core.Clock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.audit.AuditRecord;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Several Curfew nodes over one real Redis, each with its own audit sink and event log, under a
 * key prefix of their own so that tests never meet each other's keys.
 */
final class RedisNodes implements AutoCloseable {
  static final String URI = System.getProperty("curfew.test.redis", "redis://127.0.0.1:6379");

  /** An event one node delivered to its own followers. */
  record Event(String node, String sessionId, String event, Map<String, Object> data, boolean remote) {}

  final Vertx vertx = Vertx.vertx();
  final String prefix = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  final List<Node> nodes = new ArrayList<>();
  final List<Event> events = new CopyOnWriteArrayList<>();
  /**
   * While set, the nodes' logs act as one trail shared by all (as with {@code audit: postgres}): a
   * claim is recorded once any node's log took a record of it, held or not (a held record stands
   * for one committed by a node that died before it learned so).
   */
  volatile boolean sharedTrail;
  /** Wraps each node's Redis client as the node starts (a test that counts what a node sends). */
  volatile java.util.function.UnaryOperator<Redis> wrapClient = r -> r;
  private final String uri;

  final class Node {
    final String name;
    final MemoryAuditSink sink = new MemoryAuditSink();
    /** While set, records are taken but never become durable: a node about to die. */
    volatile boolean hold;
    final RedisSessionStore store;

    Node(String name, Clock clock, List<Policy> policies, RedisSessionStore.Settings settings) throws Exception {
      this.name = name;
      SessionEvents local = (id, e, d) -> {
        events.add(new Event(name, id, e, d, false));
        return 0;
      };
      SessionEvents remote = (id, e, d) -> {
        events.add(new Event(name, id, e, d, true));
        return 0;
      };
      Redis redis = wrapClient.apply(Redis.createClient(vertx, options(uri).setMaxPoolSize(8).setMaxPoolWaiting(10_000)));
      this.store = get(RedisSessionStore.start(vertx, redis, name, clock, new Policies(policies, policies.get(0).name()),
          holding(), local, remote, null, settings.withPrefix(prefix)));
    }

    private AuditSink holding() {
      return new AuditSink() {
        @Override
        public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
          CompletableFuture<Void> durable = sink.append(records, bindings);
          return hold ? new CompletableFuture<>() : durable;
        }

        @Override
        public boolean writable() {
          return sink.writable();
        }

        @Override
        public CompletableFuture<Boolean> recorded(String claim) {
          if (!sharedTrail) return CompletableFuture.completedFuture(false);
          boolean found = nodes.stream().flatMap(n -> n.sink.records().stream())
              .anyMatch(r -> claim.equals(r.data().get("claim")));
          return CompletableFuture.completedFuture(found);
        }
      };
    }

    List<AuditRecord> records(String type) {
      return sink.records().stream().filter(r -> r.type().equals(type)).toList();
    }
  }

  RedisNodes() {
    this(URI);
  }

  /**
   * The client options for {@code uri}: one Redis, or with several URIs separated by commas, the seed
   * nodes of a Redis Cluster.
   */
  static RedisOptions options(String uri) {
    RedisOptions o = new RedisOptions();
    if (!uri.contains(",")) return o.setConnectionString(uri);
    o.setType(io.vertx.redis.client.RedisClientType.CLUSTER);
    for (String u : uri.split(",")) o.addConnectionString(u.trim());
    return o;
  }

  RedisNodes(String uri) {
    this.uri = uri;
  }

  Node add(String name, Clock clock, List<Policy> policies) throws Exception {
    return add(name, clock, policies, RedisSessionStore.Settings.defaults());
  }

  Node add(String name, Clock clock, List<Policy> policies, RedisSessionStore.Settings settings) throws Exception {
    Node n = new Node(name, clock, policies, settings);
    nodes.add(n);
    return n;
  }

  static Policy policy(String name, long idleMs, long absoluteMs, long warnMs, int maxExtensions) {
    return Policy.of(name, Duration.ofMillis(idleMs), Duration.ofMillis(absoluteMs), Duration.ofMillis(warnMs),
        maxExtensions);
  }

  static <T> T get(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    for (Node n : nodes) {
      try {
        get(n.store.close());
      } catch (Exception ignored) {
        // a node a test stopped already
      }
    }
    // Remove this test's keys.
    Redis cleaner = Redis.createClient(vertx, options(uri));
    try {
      var keys = get(cleaner.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.KEYS)
          .arg("{" + prefix + "*")));
      for (var k : keys) {
        get(cleaner.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.DEL).arg(k.toString())));
      }
    } catch (Exception ignored) {
      // a Redis a test stopped
    }
    cleaner.close();
    get(vertx.close());
  }
}

package dev.curfew.server.cli;

import dev.curfew.core.AuditSink;
import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.Policies;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.config.StoreConfig;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.metrics.CurfewMetrics;
import dev.curfew.server.oidc.JwksSource;
import dev.curfew.server.oidc.RedisSeenLogoutTokens;
import dev.curfew.server.oidc.SeenLogoutTokens;
import dev.curfew.server.oidc.SharedJwks;
import dev.curfew.server.security.RedisRateBuckets;
import dev.curfew.server.security.SharedRateBuckets;
import dev.curfew.store.embedded.EmbeddedStore;
import dev.curfew.store.redis.RedisSessionStore;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where {@code curfew serve} keeps the sessions ({@code store:} in the configuration): {@code
 * embedded}, the engine in this process with its state recovered from the data directory ({@link
 * Embedded}), or {@code redis}, shared by every node ({@link RedisBackend}). Either writes its records to
 * the {@link AuditBackend}'s sink.
 */
interface SessionBackend {

  /** The backend {@code cfg} names. */
  static SessionBackend of(CurfewConfig cfg) {
    return cfg.store() instanceof StoreConfig.Redis redis ? new RedisBackend(redis) : new Embedded();
  }

  /** What a backend starts with. */
  record Start(CurfewConfig cfg, String node, Path dataDir, Vertx vertx, SystemClock clock, Policies policies,
      AuditSink audit, String auditIn, EmbeddedStore store, SessionEventFanOut events, CurfewMetrics metrics,
      PrintStream log) {}

  /** Starts the sessions and says so on {@code log}; the store every request goes to. */
  SessionStore start(Start s) throws Exception;

  /** The name traces give the store: "embedded" or "redis". */
  String name();

  /** The buckets every node's rate limits share, or null: this node's own (docs/security.md). */
  SharedRateBuckets sharedRateBuckets();

  /** Where back-channel logout remembers the logout tokens it has seen (shared by every node with Redis). */
  SeenLogoutTokens seenLogoutTokens(Path dataDir, SystemClock clock);

  /**
   * What this node serves at {@code /.well-known/jwks.json}, given its own logout-signing keys: those
   * alone, or with Redis every node's (a relying party may fetch the set from any node).
   */
  default JwksSource jwks(Vertx vertx, Supplier<Map<String, Object>> own, SystemClock clock) throws Exception {
    return JwksSource.of(own);
  }

  /** At stop, before anything else of the sessions: no more timers. */
  void stopDeadlines();

  /** At stop, before the store closes: the sessions' last records are written. */
  void close(PrintStream log);

  /** {@code store: embedded}: the engine recovered from the data directory, advanced by a deadline driver. */
  final class Embedded implements SessionBackend {
    private DeadlineDriver driver;

    @Override
    public SessionStore start(Start s) throws Exception {
      CurfewConfig cfg = s.cfg();
      EmbeddedStore.Serving serving = s.store().serve(s.policies(), s.audit(), s.events(), s.metrics(),
          cfg.maxLiveSessions(), cfg.endedRetention(), cfg.rotationGrace());
      EmbeddedStore.Recovery r = serving.recovery();
      s.log().println("curfew: node " + s.node() + ", data in " + s.dataDir().toAbsolutePath() + "; recovered "
          + r.recoveredSessions() + " live sessions, " + r.expiredDuringDowntime() + " expired while down"
          + (s.store().log().recordsAtOpen() == 0 ? " (first start)"
              : r.cleanShutdown() ? "" : " (previous run did not stop cleanly)"));
      driver = serving.driver();
      ServeCommand.adoptConfiguredPolicies(cfg, serving.sessions(), s.log());
      return serving.sessions();
    }

    @Override
    public String name() {
      return "embedded";
    }

    @Override
    public SharedRateBuckets sharedRateBuckets() {
      return null;
    }

    @Override
    public SeenLogoutTokens seenLogoutTokens(Path dataDir, SystemClock clock) {
      return SeenLogoutTokens.inFile(dataDir.resolve("logout-tokens-seen"), clock);
    }

    @Override
    public void stopDeadlines() {
      if (driver != null) driver.close();
    }

    @Override
    public void close(PrintStream log) {
      // the store's close writes the final snapshot and node.stopped
    }
  }

  /**
   * {@code store: redis}: sessions in Redis, shared by every node; this node's audit trail (its
   * own Merkle tree) stays in its data directory (and PostgreSQL), with node.started and
   * node.stopped of its own.
   */
  final class RedisBackend implements SessionBackend {
    private final StoreConfig.Redis settings;
    private Redis client;
    private RedisSessionStore redis;
    private AuditSink audit;
    private String node;
    private final String keyPrefix;
    private SharedJwks jwks;

    RedisBackend(StoreConfig.Redis settings) {
      this.settings = java.util.Objects.requireNonNull(settings, "settings");
      this.keyPrefix = settings.keyPrefix();
    }

    @Override
    public SessionStore start(Start s) throws Exception {
      CurfewConfig cfg = s.cfg();
      node = s.node();
      audit = s.store().log(); // node.started and node.stopped are the journal's (mirrored with audit: postgres)
      client = Redis.createClient(s.vertx(), options(settings.endpoint()));
      try {
        redis = RedisSessionStore.start(s.vertx(), client,
            s.node(), s.clock(), s.policies(), s.audit(), s.events(), s.events().remote(), s.metrics(),
            RedisSessionStore.Settings.defaults()
                .withEndedRetention(cfg.endedRetention()).withPrefix(keyPrefix)
                .withMaxLiveSessions(cfg.maxLiveSessions()).withRotationGrace(cfg.rotationGrace())
                // One check.lua call may hold checks of several shards only on a single Redis (CheckBatches).
                .withChecksAcrossShards(settings.endpoint() instanceof StoreConfig.Single))
            .await(START_TIMEOUT_S, TimeUnit.SECONDS);
      } catch (dev.curfew.core.PolicyException e) {
        throw e;
      } catch (Throwable e) { // the Redis client's own errors (NOAUTH, WRONGPASS) are Throwables, not Exceptions
        if (e instanceof Error error && !e.getClass().getName().startsWith("io.vertx.")) throw error;
        throw new StartRefused(unusable(settings.endpoint(), e), e);
      }
      audit.append(List.of(AuditRecord.builder(RecordTypes.NODE_STARTED, s.clock().millis(), s.node())
          .put("version", Main.version()).put("store", "redis").build()), List.of()).get(30, TimeUnit.SECONDS);
      s.log().println("curfew: node " + s.node() + ", sessions in " + describe(settings.endpoint())
          + ", audit log in " + s.auditIn());
      return redis;
    }

    /** How long a start waits for Redis to answer (loading the policies, the scripts, the event relay). */
    static final int START_TIMEOUT_S = 30;

    /**
     * Why the start could not use Redis, naming the configuration key and the endpoint (its password
     * hidden): {@code redis.uri: Redis at redis://:***@host:6379 cannot be used: WRONGPASS ...}.
     */
    static String unusable(StoreConfig.Endpoint endpoint, Throwable e) {
      String key = endpoint instanceof StoreConfig.Cluster ? "redis.nodes" : "redis.uri";
      String why;
      if (e instanceof java.util.concurrent.TimeoutException) {
        why = "no answer within " + START_TIMEOUT_S + " s";
      } else if (e instanceof java.net.ConnectException || String.valueOf(e.getMessage()).contains("Connection refused")) {
        why = "connection refused";
      } else if (e instanceof java.net.UnknownHostException) {
        why = "unknown host " + e.getMessage();
      } else {
        String m = e.getMessage();
        why = m == null || m.isBlank() ? e.getClass().getSimpleName() : m.strip();
      }
      return key + ": " + describe(endpoint) + " cannot be used: " + why;
    }

    /**
     * The client's options: one Redis, or a Redis Cluster found through its seed nodes (the client
     * reads the slot map from them and sends each command to the primary of its key's slot).
     */
    static RedisOptions options(StoreConfig.Endpoint endpoint) {
      RedisOptions options = new RedisOptions().setMaxPoolSize(16).setMaxPoolWaiting(100_000);
      if (endpoint instanceof StoreConfig.Cluster cluster) {
        options.setType(RedisClientType.CLUSTER);
        cluster.seeds().forEach(options::addConnectionString);
      } else if (endpoint instanceof StoreConfig.Single single) {
        options.setConnectionString(single.uri());
      }
      return options;
    }

    /** For the start-up line, without passwords. */
    static String describe(StoreConfig.Endpoint endpoint) {
      List<String> shown = endpoint.uris().stream().map(ServeCommand::redactedUri).toList();
      return endpoint instanceof StoreConfig.Cluster ? "the Redis Cluster of seed nodes " + String.join(", ", shown)
          : "Redis at " + shown.get(0);
    }

    @Override
    public String name() {
      return "redis";
    }

    /** Redis not answering this node (its address, the password hidden), or empty: for {@code /readyz}. */
    java.util.Optional<dev.curfew.core.WriteOutage> unreachable() {
      RedisSessionStore r = redis;
      if (r == null) return java.util.Optional.empty();
      return r.unreachable(String.join(", ", settings.endpoint().uris().stream().map(ServeCommand::redactedUri).toList()));
    }

    /** The Redis store, once started. */
    RedisSessionStore store() {
      return redis;
    }

    @Override
    public SharedRateBuckets sharedRateBuckets() {
      // Every limit counts for the whole deployment, in Redis, on Redis's clock.
      return new RedisRateBuckets(client, keyPrefix, Duration.ofSeconds(2));
    }

    @Override
    public SeenLogoutTokens seenLogoutTokens(Path dataDir, SystemClock clock) {
      return new RedisSeenLogoutTokens(client, keyPrefix, clock);
    }

    @Override
    public JwksSource jwks(Vertx vertx, Supplier<Map<String, Object>> own, SystemClock clock) throws Exception {
      // Each node signs with its own keys: the set every node serves is all of theirs (docs/distributed.md).
      jwks = SharedJwks.start(vertx, client, keyPrefix, own, clock).await(30, TimeUnit.SECONDS);
      return jwks;
    }

    @Override
    public void stopDeadlines() {
      // Redis's due poller stops with the store
    }

    @Override
    public void close(PrintStream log) {
      if (jwks != null) jwks.close();
      if (redis == null) return;
      try {
        redis.close().await(10, TimeUnit.SECONDS);
        audit.append(List.of(AuditRecord.builder(RecordTypes.NODE_STOPPED, System.currentTimeMillis(), node)
            .put("version", Main.version()).build()), List.of()).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.println("curfew: Redis store did not close cleanly: " + e.getMessage());
      }
    }
  }
}

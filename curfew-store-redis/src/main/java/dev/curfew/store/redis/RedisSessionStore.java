package dev.curfew.store.redis;

import dev.curfew.core.Audience;
import dev.curfew.core.AuditSink;
import dev.curfew.core.ConcurrencyLimit;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.IdpLogout;
import dev.curfew.core.Policies;
import dev.curfew.core.PolicyChange;
import dev.curfew.core.PolicyException;
import dev.curfew.core.OpenRequest;
import dev.curfew.core.Policy;
import dev.curfew.core.Revocation;
import dev.curfew.core.RotationGrace;
import dev.curfew.core.SealedToken;
import dev.curfew.core.SessionAttributes;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionRules;
import dev.curfew.core.SessionSearch;
import dev.curfew.core.Refusals;
import dev.curfew.core.SessionRecords;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SessionStore;
import dev.curfew.core.StoreUnavailable;
import dev.curfew.core.TokenHash;
import dev.curfew.core.Tokens;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.CanonicalJson;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.Set;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sessions in Redis, for any number of stateless nodes. Every operation is one atomic script that
 * reads the deadlines against Redis's own clock and changes the session in the same step
 * ({@code session.lua}), so all nodes decide on one clock and a revoke on one node is seen by the
 * very next request on any other: there is no node-local cache to be stale.
 *
 * <p>Audit records are built with {@link SessionRecords}, as the embedded store builds them, from
 * what the script returned (with Redis's time), and written to this node's {@link AuditSink}; an answer is given only once they are durable. Every
 * change a script makes to a session (and every policy version added) leaves, in the same step, a
 * pending entry with a lease that holds what its record needs ({@link Claims}); the node removes it
 * once the record is durable, and a node that dies before that leaves it to another node, which
 * writes the same record when the lease runs out ({@link DuePoller}). Endings and warnings found by
 * the deadline scheduler are claimed atomically, so each is emitted by one node.
 *
 * <p>Fail closed: when Redis cannot be reached (or does not answer within the timeout), or the audit
 * sink cannot be written, every operation answers {@link Decision.Verdict#UNAVAILABLE}; the client
 * reconnects by itself, so service resumes when Redis returns.
 */
public final class RedisSessionStore implements SessionStore {
  private static final System.Logger LOG = System.getLogger(RedisSessionStore.class.getName());
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  /**
   * Tunables; {@link #defaults()} suit most deployments.
   *
   * @param rotationGrace how long the previous token of a rotation is handed the new token instead of
   *     a replay verdict; every node should be given the same (each rotation stores its own end)
   * @param maxLiveSessions the most live sessions the deployment holds ({@code max_live_sessions}), at
   *     least {@link RedisKeys#SHARDS}: each shard holds at most its share ({@link #shardCap}), so that
   *     the shards together never hold more, each decided atomically in its own slot; every node
   *     should be given the same
   * @param checksAcrossShards whether one {@code check.lua} call may hold checks of tokens of several
   *     shards ({@link CheckBatches}): only with a single Redis; on a Redis Cluster the keys of one
   *     call must be in one slot, so checks are gathered per shard (false, the default)
   */
  public record Settings(String prefix, Duration timeout, Duration lease, Duration endedRetention, int claimBatch,
      Duration maxPollInterval, RotationGrace rotationGrace, int maxLiveSessions, boolean checksAcrossShards) {
    public Settings {
      Objects.requireNonNull(prefix, "prefix");
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
      if (lease.toMillis() < 100) throw new IllegalArgumentException("lease must be at least 100ms");
      if (claimBatch < 1) throw new IllegalArgumentException("claimBatch < 1");
      Objects.requireNonNull(rotationGrace, "rotationGrace");
      if (maxLiveSessions < RedisKeys.SHARDS) {
        throw new IllegalArgumentException("max_live_sessions must be at least " + RedisKeys.SHARDS
            + " with store: redis (each of the " + RedisKeys.SHARDS + " shards holds a share of it): " + maxLiveSessions);
      }
    }

    /**
     * The share of {@code maxLiveSessions} shard {@code n} may hold: an equal part, the remainder
     * one each to the first shards, so that the shares add up to the limit exactly.
     */
    public long shardCap(int n) {
      return maxLiveSessions / RedisKeys.SHARDS + (n < maxLiveSessions % RedisKeys.SHARDS ? 1 : 0);
    }

    public static Settings defaults() {
      return new Settings("curfew", Duration.ofSeconds(2), Duration.ofSeconds(5),
          Duration.ofMillis(SessionRules.DEFAULT_ENDED_RETENTION_MS), 256, Duration.ofMillis(100), RotationGrace.DEFAULT,
          Integer.MAX_VALUE, false);
    }

    public Settings withPrefix(String p) {
      return new Settings(p, timeout, lease, endedRetention, claimBatch, maxPollInterval,
          rotationGrace, maxLiveSessions, checksAcrossShards);
    }

    public Settings withLease(Duration d) {
      return new Settings(prefix, timeout, d, endedRetention, claimBatch, maxPollInterval,
          rotationGrace, maxLiveSessions, checksAcrossShards);
    }

    public Settings withEndedRetention(Duration d) {
      return new Settings(prefix, timeout, lease, d, claimBatch, maxPollInterval,
          rotationGrace, maxLiveSessions, checksAcrossShards);
    }

    public Settings withTimeout(Duration d) {
      return new Settings(prefix, d, lease, endedRetention, claimBatch, maxPollInterval,
          rotationGrace, maxLiveSessions, checksAcrossShards);
    }

    public Settings withRotationGrace(RotationGrace g) {
      return new Settings(prefix, timeout, lease, endedRetention, claimBatch, maxPollInterval,
          g, maxLiveSessions, checksAcrossShards);
    }

    /** See {@link #checksAcrossShards}: true only when the client talks to a single Redis, not a cluster. */
    public Settings withChecksAcrossShards(boolean across) {
      return new Settings(prefix, timeout, lease, endedRetention, claimBatch, maxPollInterval, rotationGrace,
          maxLiveSessions, across);
    }

    public Settings withMaxLiveSessions(int n) {
      return new Settings(prefix, timeout, lease, endedRetention, claimBatch, maxPollInterval,
          rotationGrace, n, checksAcrossShards);
    }
  }

  final Vertx vertx;
  final Redis redis;
  final RedisKeys keys;
  final Scripts scripts;
  final String node;
  final SessionRecords records;
  final AuditSink sink;
  final SessionEvents events;
  final EngineMetrics metrics;
  final Settings settings;
  private final Policies policies;
  private final PolicySync policySync;
  private final RedisSearch search;
  private final EventRelay relay;
  private final DuePoller poller;
  private final CheckBatches checks;
  private final long timeoutMs;
  private final dev.curfew.core.Clock nodeClock;
  private volatile long liveSessions;
  private volatile long clockSkewMs;
  private volatile boolean skewReported;
  private long liveTimer = -1;
  private long policyClaimTimer = -1;

  /**
   * @param events where this node's events go (its event streams, gateway and notifier)
   * @param remoteEvents where other nodes' events go (this node's event streams and gateway; their
   *     notifier already told the apps)
   */
  private RedisSessionStore(Vertx vertx, Redis redis, String node, dev.curfew.core.Clock nodeClock, Policies policies,
      AuditSink sink,
      SessionEvents events, SessionEvents remoteEvents, EngineMetrics metrics, Settings settings) {
    this.vertx = vertx;
    this.redis = redis;
    this.node = node;
    this.records = new SessionRecords(node);
    this.nodeClock = nodeClock;
    this.policies = policies;
    this.sink = sink;
    this.events = events == null ? SessionEvents.NONE : events;
    this.metrics = metrics == null ? EngineMetrics.NONE : metrics;
    this.settings = settings;
    this.keys = new RedisKeys(settings.prefix());
    this.scripts = new Scripts(redis);
    this.timeoutMs = settings.timeout().toMillis();
    this.checks = new CheckBatches((k, a) -> run(scripts.check, k, a), settings.checksAcrossShards(),
        CHECK_BATCH, CHECKS_IN_FLIGHT);
    this.policySync = new PolicySync(this, policies);
    this.poller = new DuePoller(this);
    this.search = new RedisSearch(this);
    this.relay = new EventRelay(this, remoteEvents == null ? SessionEvents.NONE : remoteEvents, poller, policySync);
  }

  /**
   * Connects, loads the shared policy versions, subscribes to the other nodes' events and starts
   * claiming deadlines. The Redis client is owned by the store from here on.
   *
   * @param nodeClock this node's clock: never used to decide anything (Redis's clock decides), only
   *     compared with Redis's to report this node's skew ({@link #clockSkewMs()})
   */
  public static Future<RedisSessionStore> start(Vertx vertx, Redis redis, String node, dev.curfew.core.Clock nodeClock,
      Policies policies, AuditSink sink, SessionEvents events, SessionEvents remoteEvents, EngineMetrics metrics,
      Settings settings) {
    try {
      policies.all().forEach(RedisSessionStore::requireSupported);
    } catch (PolicyException e) {
      return Future.failedFuture(e);
    }
    RedisSessionStore store = new RedisSessionStore(vertx, redis, node, nodeClock, policies, sink, events, remoteEvents,
        metrics, settings);
    // What this node was configured with becomes the latest version everywhere, unless it already is.
    List<Policy> configured = policies.all();
    return store.policySync.load()
        .compose(v -> {
          Future<Void> chain = Future.succeededFuture();
          for (Policy p : configured) chain = chain.compose(x -> store.adopt(p).mapEmpty());
          return chain;
        })
        .compose(v -> store.relay.start())
        .map(v -> {
          store.poller.start();
          store.liveTimer = vertx.setPeriodic(0, 1000, id -> store.countLive());
          // Policy versions a node added but did not record within the lease (it died) are recorded here.
          store.policyClaimTimer = vertx.setPeriodic(Math.max(50, settings.lease().toMillis() / 2), id -> {
            if (store.sink.writable()) store.policySync.takeOver();
          });
          return store;
        });
  }

  public Future<Void> close() {
    if (liveTimer >= 0) vertx.cancelTimer(liveTimer);
    if (policyClaimTimer >= 0) vertx.cancelTimer(policyClaimTimer);
    poller.stop();
    return relay.stop().eventually(() -> redis.close());
  }

  /** This node's clock minus Redis's, as last seen; deadlines never depend on it. */
  public long clockSkewMs() {
    return clockSkewMs;
  }

  /** Called with Redis's time as each deadline claim answers. */
  void sawRedisTime(long redisNowMs) {
    long skew = nodeClock.millis() - redisNowMs;
    clockSkewMs = skew;
    if (Math.abs(skew) > 1_000 && !skewReported) {
      skewReported = true;
      LOG.log(System.Logger.Level.WARNING, "this node's clock is " + skew + " ms off Redis's; "
          + "sessions are decided on Redis's clock, so enforcement is unaffected, but check the node's time service");
    }
  }

  @Override
  public Policies policies() {
    return policies;
  }

  @Override
  public long liveSessions() {
    return liveSessions;
  }

  private void countLive() {
    // One GET per shard (each in its own slot: a batch across slots is refused by a Redis Cluster).
    List<Future<Response>> gets = new ArrayList<>();
    for (int i = 0; i < RedisKeys.SHARDS; i++) gets.add(redis.send(Request.cmd(Command.GET).arg(keys.live(i))));
    Future.all(gets).timeout(timeoutMs, TimeUnit.MILLISECONDS).onComplete(done -> {
      if (done.failed()) {
        if (unreachableSinceMs < 0) unreachableSinceMs = nodeClock.millis();
        unreachableError = done.cause() instanceof java.util.concurrent.TimeoutException
            ? "no answer within " + timeoutMs + " ms" : String.valueOf(done.cause().getMessage());
        return;
      }
      unreachableSinceMs = -1;
      long n = 0;
      for (int i = 0; i < done.result().size(); i++) {
        Response r = done.result().resultAt(i);
        n += r == null ? 0 : r.toLong();
      }
      liveSessions = n;
    });
  }

  /**
   * Redis as this node's once-a-second count of live sessions last found it: not answering (since
   * when, and why), or empty while it answers. Every operation meanwhile answers 503, so a node that
   * reports an outage here should get no traffic ({@code /readyz}).
   *
   * @param where how the outage names Redis (its address, the password hidden)
   */
  public java.util.Optional<dev.curfew.core.WriteOutage> unreachable(String where) {
    long since = unreachableSinceMs;
    if (since < 0) return java.util.Optional.empty();
    return java.util.Optional.of(new dev.curfew.core.WriteOutage("session_store", where, unreachableError, since, -1));
  }

  /** A script's answer, bounded by the timeout. */
  Future<Response> run(Scripts.Script s, List<String> k, List<String> args) {
    return scripts.run(s, k, args).timeout(timeoutMs, TimeUnit.MILLISECONDS);
  }

  static Decision unavailable(String detail) {
    return new Decision(Decision.Verdict.UNAVAILABLE, null, null, detail, null, DONE);
  }

  /** When the periodic count found Redis not answering (-1: it answers), and why; written on the event loop. */
  private volatile long unreachableSinceMs = -1;
  private volatile String unreachableError = "";

  private static final String REDIS_DOWN = "the session store (Redis) cannot be reached";
  private static final String AUDIT_DOWN = "the audit log cannot be written";

  /**
   * What a failed Redis call tells the client, as far as this node can know it. A call that timed out
   * was sent: Redis may run it when it answers again (a paused or overloaded Redis does), so a change
   * answered 503 may still take effect, and the detail says so. A connection refused or lost, or a
   * command Redis refused with an error (the error's code, such as {@code OOM}, is named), did not
   * reach Redis or was not run.
   *
   * @param changes whether the call changes state (an opening, extension, touch, acknowledgement,
   *     logout, revocation, policy version)
   */
  static String unavailableDetail(Throwable failure, long timeoutMs, boolean changes) {
    for (Throwable e = failure; e != null; e = e.getCause() == e ? null : e.getCause()) {
      if (e instanceof java.util.concurrent.TimeoutException) {
        String within = timeoutMs % 1000 == 0 ? timeoutMs / 1000 + " s" : timeoutMs + " ms";
        return "no answer from the session store (Redis) within " + within
            + (changes ? "; the change may still take effect" : "");
      }
      if (e instanceof Response r && r.type() == io.vertx.redis.client.ResponseType.ERROR) {
        String message = String.valueOf(e.getMessage());
        String code = message.indexOf(' ') < 0 ? message : message.substring(0, message.indexOf(' '));
        // The client's own code for a connection that closed: nothing answered.
        if (code.equals("CONNECTION_CLOSED")) return REDIS_DOWN;
        return "the session store (Redis) answered with an error (" + code + ")";
      }
    }
    return REDIS_DOWN;
  }

  // ---------------------------------------------------------------- open

  @Override
  public CompletableFuture<Decision> open(OpenRequest request) {
    String subject = request.subject();
    Audience audience = request.audience();
    String actor = request.actor();
    Policy policy = request.policy();
    Map<String, Object> attrs = request.attributes();
    if (!sink.writable()) return CompletableFuture.completedFuture(unavailable(AUDIT_DOWN));
    // Every session of a subject is opened in the subject's shard (its token and id drawn to fall
    // there), so that open.lua counts the subject's live sessions and adds one in one atomic step.
    int shard = RedisKeys.shardOfSubject(subject);
    String token = tokenInShard(shard);
    TokenHash hash = TokenHash.of(token);
    String id;
    do {
      id = Tokens.newSessionId();
    } while (RedisKeys.shardOfId(id) != shard);
    String sessionId = id;
    long retention = settings.endedRetention().toMillis();
    ConcurrencyLimit limit = policy.concurrency();
    List<String> args = List.of(
        keys.shard(shard), sessionId, Long.toString(retention), subject, policy.name(),
        Integer.toString(policy.version()), Long.toString(policy.idleTimeoutMs()),
        Long.toString(policy.absoluteTimeoutMs()), Long.toString(policy.warnBeforeMs()),
        Integer.toString(policy.maxExtensions()),
        Long.toString(policy.renewEvery() == null ? 0 : policy.renewEvery().toMillis()), hash.toHex(),
        CanonicalJson.write(attrs), keys.dueChannel(), audience.wire(),
        Integer.toString(limit.maxSessionsPerSubject()), limit.whenExceeded().wire(), limit.scope().wire(),
        ConcurrencyLimit.displacement(limit), Long.toString(settings.lease().toMillis()),
        Long.toString(settings.shardCap(shard)), actor == null ? "" : actor,
        request.parentSessionId() == null ? "" : request.parentSessionId());
    // open.lua adds the session to its subject's live set (RedisKeys#subjectLive) in the same step.
    Future<Decision> answer = run(scripts.open, List.of(keys.session(sessionId), keys.token(hash)), args)
        .map(r -> {
          String verdict = r.get(0).toString();
          if (verdict.equals("REFUSED")) return refusedOpening(r, sessionId, subject, policy, actor, audience);
          if (verdict.equals("FULL")) {
            // The same answer as the embedded engine's: the deployment holds as many sessions as it may.
            return unavailable("live session limit reached (" + settings.maxLiveSessions() + ")");
          }
          if (!"ALLOWED".equals(verdict)) {
            return unavailable("session id collision, try again");
          }
          long now = r.get(1).toLong();
          Row row = Row.of(sessionId, r, 5);
          // The sessions it displaced ended in the same step: their records come first.
          List<CompletableFuture<Void>> durables = new ArrayList<>();
          for (int i = 5 + Row.FIELDS; i < r.size(); i++) {
            durables.add(endedHere(Row.of(r.get(i).get(0).toString(), r.get(i), 1)));
          }
          durables.add(recordChange(r.get(3).toString(), row, 0));
          SessionStatus status = row.status(now);
          // No page follows a session yet; lists of sessions (the admin console's, on any node) learn of it here.
          publish(sessionId, "status", status.toMap());
          return Decision.issued(status, token, CompletableFuture.allOf(durables.toArray(new CompletableFuture<?>[0])));
        });
    return settle(answer, true);
  }

  /** An opening the subject's limit refused: recorded as {@code session.refused} under the id it would have had. */
  private Decision refusedOpening(Response r, String sessionId, String subject, Policy policy, String actor,
      Audience audience) {
    long now = r.get(1).toLong();
    List<Object> live = new ArrayList<>();
    for (Response x : r.get(2)) live.add(x.toString());
    ConcurrencyLimit limit = policy.concurrency();
    AuditRecord rec = records.openingRefused(new SessionRecords.About(sessionId, subject, policy.name(),
        policy.version()), now, limit, live, actor, audience);
    return new Decision(Decision.Verdict.REFUSED, null, EndReason.CONCURRENCY_LIMIT,
        ConcurrencyLimit.refusal(subject, live.size(), policy.name(), limit), null,
        sink.append(List.of(rec), List.of()));
  }

  // ---------------------------------------------------------------- token operations

  /** The most checks one {@code check.lua} call holds. */
  static final int CHECK_BATCH = 128;
  /** The {@code check.lua} calls a lane of {@link CheckBatches} has under way at once. */
  static final int CHECKS_IN_FLIGHT = 2;

  /**
   * One round trip in the common case ({@code check.lua}: a current token of a live session), shared
   * with the checks that arrive while this node's previous call is under way ({@link CheckBatches});
   * every other case (unknown, replayed, ended, expired just now) goes on to {@code session.lua}.
   */
  @Override
  public CompletableFuture<Decision> check(String token, boolean touch, Audience usedAt) {
    if (!sink.writable()) return CompletableFuture.completedFuture(unavailable(AUDIT_DOWN));
    // The places the enforcement point speaks for, as the scripts compare them ('': the holder's own endpoints).
    List<String> checkArgs = List.of(touch ? "1" : "0", usedAt == null ? "" : usedAt.wire());
    if (!Tokens.wellFormed(token)) return byToken(token, "check", checkArgs);
    TokenHash hash = TokenHash.of(token);
    int shard = RedisKeys.shardOf(hash);
    String hex = hash.toHex();
    Future<Decision> answer = checks.check(shard, keys.token(shard, hex), keys.shard(shard), hex, checkArgs.get(0),
            checkArgs.get(1))
        .compose(r -> {
          // SLOW (or ERROR: this token's check failed in the script): session.lua decides it.
          if (r.size() < 6) {
            return Future.fromCompletionStage(byToken(token, "check", checkArgs));
          }
          String id = r.get(4).toString();
          Outcome o = new Outcome("ALLOWED", r.get(1).toLong(), r.get(2).toString(), "", Row.ofLive(id, r.get(5)));
          return checked(o, token, hash, shard, usedAt);
        });
    return settle(answer, touch);
  }

  @Override
  public CompletableFuture<Decision> extend(String token) {
    return byToken(token, "extend", List.of());
  }

  @Override
  public CompletableFuture<Decision> acknowledgeWarning(String token) {
    return byToken(token, "ack", List.of());
  }

  @Override
  public CompletableFuture<Decision> logout(String token) {
    return byToken(token, "logout", List.of());
  }

  private CompletableFuture<Decision> byToken(String token, String op, List<String> opArgs) {
    if (!sink.writable()) return CompletableFuture.completedFuture(unavailable(AUDIT_DOWN));
    if (!Tokens.wellFormed(token)) {
      metrics.checked(EndReason.UNKNOWN.wire());
      return CompletableFuture.completedFuture(
          new Decision(Decision.Verdict.ENDED, null, EndReason.UNKNOWN, null, null, DONE));
    }
    TokenHash hash = TokenHash.of(token);
    int shard = RedisKeys.shardOf(hash);
    Future<Decision> answer = run(scripts.session, List.of(keys.token(hash)), sessionArgs("token", op, shard,
        hash.toHex(), opArgs))
        .compose(r -> {
          Outcome o = Outcome.of(r);
          if (o.row == null) {
            metrics.checked(EndReason.UNKNOWN.wire());
            return Future.succeededFuture(new Decision(Decision.Verdict.ENDED, null, EndReason.UNKNOWN, null, null, DONE));
          }
          if (o.verdict.equals("ENDED")) return Future.succeededFuture(ended(o, false));
          if (o.verdict.equals("WRONG_AUDIENCE")) return Future.succeededFuture(wrongAudience(o, opArgs.get(1)));
          return switch (op) {
            case "check" -> checked(o, token, hash, shard, opArgs.get(1).isEmpty() ? null : Audience.fromWire(opArgs.get(1)));
            case "extend" -> Future.succeededFuture(extended(o));
            case "ack" -> Future.succeededFuture(acknowledged(o));
            case "logout" -> Future.succeededFuture(allowed(o, endedHere(o.row)));
            default -> throw new IllegalStateException("operation " + op);
          };
        });
    return settle(answer, !op.equals("check") || opArgs.get(0).equals("1"));
  }

  List<String> sessionArgsForId(String op, String id, List<String> opArgs) {
    return sessionArgs("id", op, RedisKeys.shardOfId(id), "", opArgs);
  }

  /** An ENDED answer met outside a request (policy application): recorded like any other. */
  Decision endedOutcome(Outcome o) {
    return ended(o, true);
  }

  private List<String> sessionArgs(String mode, String op, int shard, String tokenHex, List<String> opArgs) {
    List<String> a = new ArrayList<>(6 + opArgs.size());
    a.add(mode);
    a.add(op);
    a.add(keys.shard(shard));
    a.add(tokenHex);
    a.add(Long.toString(settings.endedRetention().toMillis()));
    a.add(Long.toString(settings.lease().toMillis()));
    a.addAll(opArgs);
    return a;
  }

  /** A script's answer: verdict, Redis's time, a flag, an extra value and the session's row. */
  record Outcome(String verdict, long now, String flag, String extra, Row row) {
    static Outcome of(Response r) {
      String verdict = r.get(0).toString();
      long now = r.get(1).toLong();
      if (r.size() <= 2) return new Outcome(verdict, now, "", "", null);
      String id = r.get(4).toString();
      return new Outcome(verdict, now, r.get(2).toString(), r.get(3).toString(), Row.of(id, r, 5));
    }
  }

  private Future<Decision> checked(Outcome o, String presentedToken, TokenHash presented, int shard, Audience usedAt) {
    metrics.checked("valid");
    if (o.flag.equals("grace")) return Future.succeededFuture(inGrace(o, presentedToken));
    // A database, SSH or MCP gateway cannot hand its client a new token (Audience#takesNewTokens).
    if (!o.flag.equals("rotate_due") || usedAt != null && !usedAt.takesNewTokens()) {
      return Future.succeededFuture(allowed(o, DONE));
    }
    // renew_every: a second round trip, only when a rotation is due. The new token must fall in the
    // session's shard, so that it finds the session's keys.
    String newToken = tokenInShard(shard);
    TokenHash hash = TokenHash.of(newToken);
    long graceMs = settings.rotationGrace().windowMs(o.row.renewMs());
    return run(scripts.session, List.of(keys.token(presented)), sessionArgs("token", "rotate", shard,
        presented.toHex(), List.of(hash.toHex(), SealedToken.seal(newToken, presentedToken), Long.toString(graceMs))))
        .map(r -> {
          Outcome rot = Outcome.of(r);
          if (rot.row != null && rot.verdict.equals("ENDED")) return ended(rot, false);
          if (rot.flag.equals("grace")) return inGrace(rot, presentedToken);
          if (rot.row == null || !rot.flag.equals("rotated")) return allowed(o, DONE);
          CompletableFuture<Void> durable = recordChange(rot.extra, rot.row, 0);
          return new Decision(Decision.Verdict.ALLOWED, rot.row.status(rot.now), null, null, newToken, durable);
        });
  }

  /** A new token whose key falls in {@code shard} (one draw in {@link RedisKeys#SHARDS} does). */
  private static String tokenInShard(int shard) {
    String token;
    do {
      token = Tokens.newToken();
    } while (RedisKeys.shardOf(TokenHash.of(token)) != shard);
    return token;
  }

  /** The previous token within its rotation grace: valid, and handed the current token it alone can unseal. */
  private static Decision inGrace(Outcome o, String presentedToken) {
    String current = SealedToken.open(o.extra, presentedToken);
    if (current == null) throw new IllegalStateException(o.row.id() + ": the sealed token does not open");
    return new Decision(Decision.Verdict.ALLOWED, o.row.status(o.now), null, null, current, DONE);
  }

  private Decision extended(Outcome o) {
    Row s = o.row;
    if (o.verdict.equals("REFUSED")) {
      String why = Refusals.extensionText(o.flag, s.maxExtensions(), s.absoluteExpiresAt());
      // The script says whether this refusal is recorded (its repeats) or only counted (empty).
      CompletableFuture<Void> durable = o.extra.isEmpty() ? DONE
          : sink.append(List.of(records.extensionRefused(s.about(), o.now, why, Long.parseLong(o.extra))), List.of());
      return new Decision(Decision.Verdict.REFUSED, s.status(o.now), null, why, null, durable);
    }
    CompletableFuture<Void> durable = recordChange(o.extra, s, 0);
    SessionStatus status = s.status(o.now);
    publish(s.id(), "extended", status.toMap());
    publish(s.id(), "status", status.toMap());
    return allowed(o, durable);
  }

  /** A warning acknowledged (once, for a warning that was sent), or the refusal of one. */
  private Decision acknowledged(Outcome o) {
    Row s = o.row;
    if (o.verdict.equals("REFUSED")) {
      String why = Refusals.acknowledgementText(o.flag);
      CompletableFuture<Void> durable = o.extra.isEmpty() ? DONE
          : sink.append(List.of(records.refused(s.about(), o.now, o.flag, Long.parseLong(o.extra), null)), List.of());
      return new Decision(Decision.Verdict.REFUSED, s.status(o.now), null, why, null, durable);
    }
    return allowed(o, recordChange(o.extra, s, 0));
  }

  /** A live session presented outside its audience: refused untouched; the script says whether to record it. */
  private Decision wrongAudience(Outcome o, String usedAtWire) {
    Row s = o.row;
    Audience usedAt = Audience.fromWire(usedAtWire);
    metrics.checked(Decision.WRONG_AUDIENCE_REASON);
    CompletableFuture<Void> durable = !o.flag.equals("refused_record") ? DONE
        : sink.append(List.of(records.refused(s.about(), o.now, Decision.WRONG_AUDIENCE_REASON,
            Long.parseLong(o.extra), usedAt)), List.of());
    return new Decision(Decision.Verdict.WRONG_AUDIENCE, null, null, Refusals.wrongAudienceText(s.audience(), usedAt),
        null, durable);
  }

  /**
   * A token or id found ended: if the script ended it just now (deadline passed, or a replayed
   * token), this node records the ending; a refused token is recorded at most once a second.
   */
  private Decision ended(Outcome o, boolean withStatus) {
    Row s = o.row;
    CompletableFuture<Void> durable = DONE;
    switch (o.flag) {
      case "expired", "replayed" -> durable = endedHere(s);
      case "refused_record" -> durable = sink.append(List.of(records.refused(s.about(), o.now, s.endReason(),
          Long.parseLong(o.extra), null)), List.of());
      default -> { }
    }
    metrics.checked(s.endReason());
    return new Decision(Decision.Verdict.ENDED, withStatus ? s.status(o.now) : null, s.reason(), null, null, durable);
  }

  private static Decision allowed(Outcome o, CompletableFuture<Void> durable) {
    return new Decision(Decision.Verdict.ALLOWED, o.row.status(o.now), null, null, null, durable);
  }

  /**
   * Records and announces an ending that a script performed for this node, then clears its
   * pending entry once the record is durable. Until then, the entry lets another node record it
   * should this one die.
   */
  CompletableFuture<Void> endedHere(Row s) {
    if (s.reason() == EndReason.IDLE_TIMEOUT || s.reason() == EndReason.ABSOLUTE_TIMEOUT) {
      metrics.expired(s.detectedBy(), s.endedAt() - s.deadline());
    }
    CompletableFuture<Void> durable = sink.append(List.of(endRecord(s)), List.of());
    publish(s.id(), s.reason().event(), SessionEvents.endedData(s.reason(), s.endedAt()));
    durable.thenRun(() -> confirm(RedisKeys.shardOfId(s.id()), Claims.endingMember(s.id())));
    return durable;
  }

  /**
   * Records a change a script made and left a pending entry for ({@link Claims}), then clears the
   * entry once the record is durable. The record is built from the entry alone, as a node that takes
   * the entry over after its lease builds it, so both write the same record.
   *
   * @param deliveredTo the event streams a warning reached
   */
  CompletableFuture<Void> recordChange(String member, Row s, long deliveredTo) {
    CompletableFuture<Void> durable = sink.append(Claims.records(records, member, s, deliveredTo), List.of());
    durable.thenRun(() -> confirm(RedisKeys.shardOfId(s.id()), member));
    return durable;
  }

  /**
   * The record of an ending, from the session's own fields: the same whichever node writes it, with
   * its claim ({@link Claims#endingClaim}).
   */
  AuditRecord endRecord(Row s) {
    return endRecordOf(s).with("claim", Claims.endingClaim(s.id()));
  }

  private AuditRecord endRecordOf(Row s) {
    EndReason reason = s.reason();
    return switch (reason) {
      case IDLE_TIMEOUT, ABSOLUTE_TIMEOUT -> records.expired(s.about(), s.endedAt(), reason, s.deadline(),
          s.lastActivityAt(), s.detectedBy());
      case LOGGED_OUT -> records.loggedOut(s.about(), s.endedAt());
      case CONCURRENCY_LIMIT -> records.displaced(s.about(), s.endedAt(), s.reasonText(), s.displacedBy());
      default -> records.revoked(s.about(), s.endedAt(), reason, s.revokedBy(), s.reasonText());
    };
  }

  /**
   * A pending entry taken over from a node that did not remove it within the lease: {@code record}
   * writes its record, unless the trail this node shares with the others already holds its claim
   * ({@link AuditSink#recorded}: the other node made it durable, then died before removing the
   * entry), in which case the entry is only removed. {@code record} runs on this store's context.
   */
  CompletableFuture<Void> takeOver(String member, String claim, java.util.function.Supplier<CompletableFuture<Void>> record) {
    if (claim == null) return record.get();
    io.vertx.core.Context context = vertx.getOrCreateContext();
    CompletableFuture<Void> done = new CompletableFuture<>();
    sink.recorded(claim).whenComplete((recorded, error) -> context.runOnContext(v -> {
      if (error != null) {
        // Not known: the entry stays, and is taken over again after the lease.
        done.completeExceptionally(error);
      } else if (recorded) {
        LOG.log(System.Logger.Level.DEBUG, "claim " + claim + " is recorded already; its entry is removed");
        confirmEntry(member, claim);
        done.complete(null);
      } else {
        record.get().whenComplete((x, e) -> {
          if (e != null) done.completeExceptionally(e);
          else done.complete(null);
        });
      }
    }));
    return done;
  }

  private void confirmEntry(String member, String claim) {
    if (member.startsWith("c|")) {
      redis.send(Request.cmd(Command.ZREM).arg(keys.policiesPending()).arg(member));
    } else {
      confirm(RedisKeys.shardOfId(member.split("\\|")[1]), member);
    }
  }

  /**
   * Removes a pending entry once its record is durable, retrying for as long as the lease lasts: an
   * entry left behind would be recorded a second time by the node that claims it next.
   */
  void confirm(int shard, String member) {
    confirm(shard, member, 0);
  }

  private void confirm(int shard, String member, int attempt) {
    redis.send(Request.cmd(Command.ZREM).arg(keys.pending(shard)).arg(member)).onFailure(e -> {
      long delay = 50L << Math.min(attempt, 5);
      if ((attempt + 1) * 50L * 8 < settings.lease().toMillis() * 2) {
        vertx.setTimer(delay, id -> confirm(shard, member, attempt + 1));
      } else {
        LOG.log(System.Logger.Level.WARNING, "could not confirm " + member + " (it may be recorded twice): "
            + e.getMessage());
      }
    });
  }

  /** Delivers an event here and to the other nodes. Returns the streams reached on this node. */
  int publish(String sessionId, String event, Map<String, Object> data) {
    int reached = events.publish(sessionId, event, data);
    relay.broadcast(sessionId, event, data);
    return reached;
  }

  // ---------------------------------------------------------------- backend operations

  @Override
  public CompletableFuture<Decision> get(String sessionId) {
    return byId(sessionId, "get", List.of());
  }

  @Override
  public CompletableFuture<Decision> revoke(String sessionId, String actor, String reasonText, EndReason reason) {
    return byId(sessionId, "revoke", List.of(actor == null ? "unknown" : actor, reasonText == null ? "" : reasonText,
        SessionStore.revocable(reason).wire()));
  }

  private CompletableFuture<Decision> byId(String sessionId, String op, List<String> opArgs) {
    if (!sink.writable()) return CompletableFuture.completedFuture(unavailable(AUDIT_DOWN));
    if (sessionId == null || !sessionId.startsWith("s_") || sessionId.length() > 64) {
      return CompletableFuture.completedFuture(notFound());
    }
    Future<Decision> answer = run(scripts.session, List.of(keys.session(sessionId)),
        sessionArgs("id", op, RedisKeys.shardOfId(sessionId), "", opArgs))
        .map(r -> {
          Outcome o = Outcome.of(r);
          if (o.row == null) return notFound();
          if (o.verdict.equals("ENDED")) return ended(o, true);
          return op.equals("revoke") ? allowed(o, endedHere(o.row)) : allowed(o, DONE);
        });
    return settle(answer, op.equals("revoke"));
  }

  private static Decision notFound() {
    return new Decision(Decision.Verdict.NOT_FOUND, null, null, null, null, DONE);
  }

  @Override
  public CompletableFuture<Revocation> revokeSubject(String subject, String actor, String reasonText) {
    if (!sink.writable()) return CompletableFuture.completedFuture(new Revocation(-1, DONE));
    Future<Revocation> answer = members(subject).compose(ids -> {
      List<Future<Decision>> each = new ArrayList<>();
      for (String id : ids) {
        each.add(Future.fromCompletionStage(revoke(id, actor, reasonText)));
      }
      return Future.all(each).map(all -> {
        int n = 0;
        List<CompletableFuture<Void>> durables = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
          Decision d = all.resultAt(i);
          if (d.verdict() == Decision.Verdict.UNAVAILABLE) return new Revocation(-1, DONE);
          if (d.allowed()) n++;
          durables.add(d.durable());
        }
        return new Revocation(n, CompletableFuture.allOf(durables.toArray(new CompletableFuture<?>[0])));
      });
    });
    return answer.toCompletionStage().toCompletableFuture()
        .exceptionally(e -> new Revocation(-1, DONE));
  }

  @Override
  public CompletableFuture<List<SessionStatus>> sessionsOf(String subject) {
    Future<List<SessionStatus>> answer = members(subject).compose(ids -> {
      List<Future<Response>> each = new ArrayList<>();
      for (String id : ids) {
        each.add(run(scripts.session, List.of(keys.session(id)), sessionArgs("id", "peek", RedisKeys.shardOfId(id), "",
            List.of())));
      }
      return Future.all(each).map(all -> {
        List<SessionStatus> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
          Outcome o = Outcome.of(all.resultAt(i));
          if (o.row != null && !o.row.ended() && o.now < o.row.expiresAt()) {
            out.add(o.row.status(o.now));
          }
        }
        out.sort((a, b) -> Long.compare(a.createdAtMs(), b.createdAtMs()));
        return out;
      });
    });
    return settleQuery(answer);
  }

  /** One pass over the shards' live sessions in bounded steps ({@link RedisSearch}); fails when Redis cannot be reached. */
  @Override
  public CompletableFuture<SessionSearch.Page> search(SessionSearch.Query query) {
    Objects.requireNonNull(query, "query");
    return settleQuery(search.search(query));
  }

  /** The subject's live sessions, oldest first, from the set open.lua and the ending keep in step. */
  private Future<List<String>> members(String subject) {
    return redis.send(Request.cmd(Command.ZRANGE).arg(keys.subjectLive(subject)).arg(0).arg(-1))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .map(r -> {
          List<String> ids = new ArrayList<>();
          if (r != null) for (Response x : r) ids.add(x.toString());
          return ids;
        });
  }

  // ---------------------------------------------------------------- policies

  @Override
  public CompletableFuture<PolicyChange> changePolicy(Policy values, boolean applyToLive, String actor) {
    requireSupported(values);
    // Redis unreachable, silent or erring: StoreUnavailable, whose detail says whether the version may still be added.
    return settleQuery(policySync.change(values, applyToLive, actor, true), true);
  }

  /**
   * Refuses what this store does not enforce yet, rather than accept it and ignore it: {@code
   * resume_within} ({@link dev.curfew.core.Resumption}) is kept by the embedded store only, since
   * open.lua does not remember idle-expired sessions for resuming. {@code curfew serve} asks before
   * it opens anything.
   */
  public static void requireSupported(Policy p) {
    if (p.resumeWithin() != null) {
      throw new PolicyException("resume_within", "policy \"" + p.name()
          + "\": resume_within is not supported with store: redis (the embedded store supports it); remove it");
    }
  }

  /** Adopts a policy from configuration: a new version only when its values differ from the latest. */
  public Future<PolicyChange> adopt(Policy values) {
    return policySync.change(values, false, "config", false);
  }

  // ---------------------------------------------------------------- notifications

  @Override
  public CompletableFuture<Void> recordNotification(String sessionId, Map<String, Object> data) {
    Future<Void> answer = run(scripts.session, List.of(keys.session(sessionId)),
        sessionArgs("id", "peek", RedisKeys.shardOfId(sessionId), "", List.of()))
        .compose(r -> {
          Outcome o = Outcome.of(r);
          if (o.row == null) return Future.succeededFuture();
          return Future.fromCompletionStage(sink.append(List.of(records.notified(o.row.about(), o.now, data)),
              List.of()));
        });
    return answer.toCompletionStage().toCompletableFuture();
  }

  // ---------------------------------------------------------------- identity providers

  @Override
  public CompletableFuture<Revocation> endIdpSessions(IdpLogout logout) {
    Objects.requireNonNull(logout, "logout");
    Revocation unavailable = new Revocation(-1, DONE);
    if (!sink.writable()) return CompletableFuture.completedFuture(unavailable);
    Future<List<String>> candidates = logout.bySubjectOnly() ? members(logout.subject()) : allSessionIds();
    Future<Revocation> answer = candidates.compose(ids -> {
      List<Future<String>> each = new ArrayList<>();
      for (String id : ids) each.add(endIfMatching(id, logout));
      return Future.all(each).map(all -> {
        List<Object> ended = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
          if (all.resultAt(i) != null) ended.add(all.resultAt(i));
        }
        return ended;
      });
    }).compose(ended -> {
      // Each ending's own record was appended by endedHere; the logout's record follows them.
      CompletableFuture<Void> durable = sink.append(List.of(records.idpLogoutAccepted(nodeClock.millis(), logout,
          ended)), List.of());
      return Future.succeededFuture(new Revocation(ended.size(), durable));
    });
    return answer.toCompletionStage().toCompletableFuture().exceptionally(e -> unavailable);
  }

  /** Ends session {@code id} if {@code logout} matches it; the id when it ended here, else null. */
  private Future<String> endIfMatching(String id, IdpLogout logout) {
    return run(scripts.session, List.of(keys.session(id)), sessionArgsForId("peek", id, List.of())).compose(r -> {
      Outcome o = Outcome.of(r);
      if (o.row == null || o.row.ended() || !logout.matches(o.row.subject(), o.row.attributeMap())) {
        return Future.succeededFuture((String) null);
      }
      return Future.fromCompletionStage(byId(id, "revoke",
          List.of(logout.actor(), logout.reasonText(), EndReason.IDP_LOGOUT.wire())))
          .map(d -> d.allowed() ? id : null);
    });
  }

  /**
   * Every live session id, shard by shard: a logout by IdP session id may concern any subject.
   * {@code ZSCAN} may hand an id twice while Redis rehashes a set; each is listed once.
   */
  private Future<List<String>> allSessionIds() {
    Set<String> ids = new LinkedHashSet<>();
    List<Future<Void>> shards = new ArrayList<>();
    for (int n = 0; n < RedisKeys.SHARDS; n++) {
      shards.add(eachLiveId(n, 1000, step -> {
        ids.addAll(step);
        return Future.succeededFuture();
      }));
    }
    return Future.all(shards).map(all -> new ArrayList<>(ids));
  }

  /**
   * Walks shard {@code shard}'s live sessions, {@code count} ids a {@code ZSCAN} step, handing each
   * step's ids to {@code step} before the next is read. A live session is in its shard's deadline
   * set until it ends; the set being a key of the shard's slot, it is read from the right node of a
   * Redis Cluster too (a {@code SCAN} walks only the node it is sent to). An id may come twice while
   * Redis rehashes the set.
   */
  Future<Void> eachLiveId(int shard, int count, Function<List<String>, Future<Void>> step) {
    return eachLiveId(keys.due(shard), "0", count, step);
  }

  private Future<Void> eachLiveId(String key, String cursor, int count, Function<List<String>, Future<Void>> step) {
    return redis.send(Request.cmd(Command.ZSCAN).arg(key).arg(cursor).arg("COUNT").arg(count))
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .compose(r -> {
          String next = r.get(0).toString();
          Response members = r.get(1);
          List<String> ids = new ArrayList<>(members.size() / 2);
          // ZSCAN answers member, score, member, score, ...
          for (int i = 0; i < members.size(); i += 2) ids.add(members.get(i).toString());
          return step.apply(ids).compose(v -> next.equals("0") ? Future.succeededFuture()
              : eachLiveId(key, next, count, step));
        });
  }

  @Override
  public CompletableFuture<Void> recordAuditRead(Map<String, Object> data) {
    return sink.append(List.of(records.auditRead(nodeClock.millis(), data)), List.of());
  }

  @Override
  public CompletableFuture<Void> recordIdpLogoutRefused(Map<String, Object> data) {
    return sink.append(List.of(records.idpLogoutRefused(nodeClock.millis(), data)), List.of());
  }

  @Override
  public CompletableFuture<Void> recordGatewayEvent(String sessionId, String type, Map<String, Object> data) {
    SessionRecords.requireGatewayType(type);
    if (sessionId == null) return appendWithoutSession(type, data);
    Future<Void> answer = run(scripts.session, List.of(keys.session(sessionId)),
        sessionArgs("id", "peek", RedisKeys.shardOfId(sessionId), "", List.of()))
        .compose(r -> {
          Outcome o = Outcome.of(r);
          if (o.row == null) return Future.fromCompletionStage(appendWithoutSession(type, data));
          return Future.fromCompletionStage(sink.append(List.of(records.gatewayEvent(o.row.about(), o.now, type, data)),
              List.of()));
        });
    return answer.toCompletionStage().toCompletableFuture();
  }

  private CompletableFuture<Void> appendWithoutSession(String type, Map<String, Object> data) {
    return sink.append(List.of(records.gatewayEvent(null, nodeClock.millis(), type, data)), List.of());
  }

  /**
   * An answer that never fails: Redis unreachable, slow or refusing becomes UNAVAILABLE (fail
   * closed), with a detail that says which ({@link #unavailableDetail}).
   *
   * @param changes whether the operation changes state (a timeout then leaves it undecided)
   */
  private CompletableFuture<Decision> settle(Future<Decision> answer, boolean changes) {
    return answer.recover(e -> {
      LOG.log(System.Logger.Level.DEBUG, "session store unavailable: " + e);
      return Future.succeededFuture(unavailable(unavailableDetail(e, timeoutMs, changes)));
    }).toCompletionStage().toCompletableFuture();
  }

  /** As {@link #settle} for an answer that is not a decision: a failure becomes {@link StoreUnavailable}. */
  private <T> CompletableFuture<T> settleQuery(Future<T> answer) {
    return settleQuery(answer, false);
  }

  private <T> CompletableFuture<T> settleQuery(Future<T> answer, boolean changes) {
    return answer.recover(e -> {
      LOG.log(System.Logger.Level.DEBUG, "session store unavailable: " + e);
      return Future.failedFuture(e instanceof StoreUnavailable ? e
          : new StoreUnavailable(unavailableDetail(e, timeoutMs, changes), e));
    }).toCompletionStage().toCompletableFuture();
  }
}

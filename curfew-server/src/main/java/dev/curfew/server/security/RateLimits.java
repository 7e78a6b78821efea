package dev.curfew.server.security;

import dev.curfew.core.Clock;
import dev.curfew.server.security.RateLimiter.Rate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The rate limits of a deployment, shared by the API and the gateway:
 * <ul>
 *   <li>{@code open_per_key}, {@code open_per_subject}: sessions opened, per API key and per subject;
 *   <li>{@code extend_per_subject}: extensions, per subject;
 *   <li>{@code failed_checks_per_key}: checks of unknown tokens through an API key ({@code /v1/check},
 *       {@code /v1/introspect}, {@code /v1/revoke});
 *   <li>{@code failed_checks_per_address}: unknown session tokens and wrong API keys from one client
 *       address (holder endpoints, forward-auth, the gateway, any key-authenticated route).
 * </ul>
 * A failed check is one that presented a token this server never issued (or has forgotten): what a
 * guesser produces. A token of an ended session is not a failure: returning users present those,
 * and the answer (401 with the reason) says nothing a guesser could use. Failure limits are asked
 * before the check ({@link #failedChecksFrom}: once the bucket is empty, even a right guess is not
 * looked at) and charged after it ({@link #failedCheckFrom}).
 *
 * <p><b>Across nodes.</b> With {@link SharedRateBuckets} (the Redis store), every limit counts for
 * the whole deployment. Openings and extensions take their token from the shared bucket (one call
 * to Redis before the operation, which goes to Redis anyway). Failed checks are charged to the
 * shared bucket after the answer, and the node remembers until when the shared bucket said it is
 * empty; the question asked before every request that presents a credential is answered from that
 * memory (and from the node's own buckets, which also count every failure here), so that checking
 * a cookie costs no extra round trip. A node that has not yet seen the shared bucket empty lets at
 * most the failures it has in flight through before it learns: each is charged, and the first
 * answer blocks the address on that node too. When the shared store cannot be asked, the node's own
 * buckets decide (per node, as without Redis).
 */
public final class RateLimits {
  /**
   * What {@code rate_limits} in the configuration sets.
   *
   * @param maxTracked keys (addresses, subjects) each limiter keeps at most; see {@link RateLimiter}
   * @param trustedProxies addresses or CIDR networks whose {@code X-Forwarded-For} names the client
   */
  public record Settings(boolean enabled, Rate openPerKey, Rate openPerSubject, Rate extendPerSubject,
      Rate failedChecksPerKey, Rate failedChecksPerAddress, int maxTracked, List<String> trustedProxies) {
    public Settings {
      Objects.requireNonNull(openPerKey, "openPerKey");
      Objects.requireNonNull(openPerSubject, "openPerSubject");
      Objects.requireNonNull(extendPerSubject, "extendPerSubject");
      Objects.requireNonNull(failedChecksPerKey, "failedChecksPerKey");
      Objects.requireNonNull(failedChecksPerAddress, "failedChecksPerAddress");
      if (maxTracked < 1) throw new IllegalArgumentException("maxTracked < 1: " + maxTracked);
      trustedProxies = List.copyOf(trustedProxies);
      ClientAddresses.trusting(trustedProxies); // validates
    }

    /**
     * The defaults: generous where a real deployment is busy (an app opens sessions at its login
     * rate; a gateway checks every request), tight where only a person acts (a subject logs in or
     * extends a few times an hour) or only a guesser fails (unknown tokens).
     */
    public static Settings defaults() {
      return new Settings(true,
          Rate.of(6000, Duration.ofMinutes(1)),   // 100 opens/s sustained per key, bursts of 6000
          Rate.of(20, Duration.ofMinutes(1)),     // a person logs in far less often
          Rate.of(20, Duration.ofMinutes(1)),     // extensions are clicks, and the policy caps them
          Rate.of(6000, Duration.ofMinutes(1)),   // unknown tokens through one gateway key
          Rate.of(100, Duration.ofMinutes(1)),    // unknown tokens or keys from one address
          100_000, List.of());
    }

    public Settings withEnabled(boolean on) {
      return new Settings(on, openPerKey, openPerSubject, extendPerSubject, failedChecksPerKey,
          failedChecksPerAddress, maxTracked, trustedProxies);
    }
  }

  /** A refused request: which limit, and when to try again. */
  public record Refusal(String limit, long retryAfterMs, String detail) {
    /** For {@code Retry-After}: whole seconds, rounded up, at least 1. */
    public long retryAfterSeconds() {
      return Math.max(1, (retryAfterMs + 999) / 1000);
    }
  }

  private final boolean enabled;
  private final RateLimiter openPerKey;
  private final RateLimiter openPerSubject;
  private final RateLimiter extendPerSubject;
  private final RateLimiter failedChecksPerKey;
  private final RateLimiter failedChecksPerAddress;
  private final ClientAddresses addresses;
  private final SharedRateBuckets shared;
  private final Clock clock;
  private final BlockedUntil failedKeysBlocked;
  private final BlockedUntil failedAddressesBlocked;

  /** Limits of this node alone. */
  public RateLimits(Settings s, Clock clock) {
    this(s, clock, null);
  }

  /** Limits counted in {@code shared} buckets for every node (null: this node alone); see the class comment. */
  public RateLimits(Settings s, Clock clock, SharedRateBuckets shared) {
    this.enabled = s.enabled();
    this.shared = shared;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.failedKeysBlocked = new BlockedUntil(s.maxTracked());
    this.failedAddressesBlocked = new BlockedUntil(s.maxTracked());
    this.openPerKey = new RateLimiter(s.openPerKey(), clock, s.maxTracked());
    this.openPerSubject = new RateLimiter(s.openPerSubject(), clock, s.maxTracked());
    this.extendPerSubject = new RateLimiter(s.extendPerSubject(), clock, s.maxTracked());
    this.failedChecksPerKey = new RateLimiter(s.failedChecksPerKey(), clock, s.maxTracked());
    this.failedChecksPerAddress = new RateLimiter(s.failedChecksPerAddress(), clock, s.maxTracked());
    this.addresses = ClientAddresses.trusting(s.trustedProxies());
  }

  private static final RateLimits UNLIMITED = new RateLimits(Settings.defaults().withEnabled(false), () -> 0L);

  /** No limits: what embedding code gets unless it asks for limits ({@code curfew serve} always does). */
  public static RateLimits unlimited() {
    return UNLIMITED;
  }

  public boolean enabled() {
    return enabled;
  }

  /** The key that {@code failed_checks_per_address} counts a request under; see {@link ClientAddresses}. */
  public String clientKey(String peer, List<String> forwardedFor) {
    return addresses.clientKey(peer, forwardedFor);
  }

  /** Opening a session for {@code subject} with the API key {@code keyName} (null: not through a key): null, or the refusal. */
  public CompletableFuture<Refusal> open(String keyName, String subject) {
    if (!enabled) return CompletableFuture.completedFuture(null);
    CompletableFuture<Refusal> byKey = keyName == null ? CompletableFuture.completedFuture(null)
        : take("open_per_key", openPerKey, keyName, wait -> new Refusal("open_per_key", wait, "the API key \""
            + keyName + "\" opened sessions faster than " + openPerKey.rate() + "; retry in " + seconds(wait)));
    return byKey.thenCompose(refused -> refused != null ? CompletableFuture.completedFuture(refused)
        : take("open_per_subject", openPerSubject, subject, wait -> new Refusal("open_per_subject", wait,
            "sessions for this subject were opened faster than " + openPerSubject.rate() + "; retry in " + seconds(wait))));
  }

  /** An extension by the session holder of a session of {@code subject}: null, or the refusal. */
  public CompletableFuture<Refusal> extend(String subject) {
    if (!enabled) return CompletableFuture.completedFuture(null);
    return take("extend_per_subject", extendPerSubject, subject, wait -> new Refusal("extend_per_subject", wait,
        "sessions of this subject were extended faster than " + extendPerSubject.rate() + "; retry in " + seconds(wait)));
  }

  /** A token from the shared bucket, or from this node's when there is none or it cannot be asked. */
  private CompletableFuture<Refusal> take(String limit, RateLimiter local, String key,
      java.util.function.LongFunction<Refusal> refusal) {
    if (shared == null) {
      long wait = local.tryAcquire(key);
      return CompletableFuture.completedFuture(wait == 0 ? null : refusal.apply(wait));
    }
    return shared.take(limit, key, local.rate()).handle((wait, err) -> {
      long w = err != null ? local.tryAcquire(key) : wait;
      return w == 0 ? null : refusal.apply(w);
    });
  }

  /** Before a token check through the API key {@code keyName}: refused while its failures are used up. */
  public Refusal failedChecksOf(String keyName) {
    if (!enabled) return null;
    long wait = Math.max(failedChecksPerKey.peek(keyName), failedKeysBlocked.remaining(keyName, clock.millis()));
    return wait == 0 ? null : new Refusal("failed_checks_per_key", wait, "the API key \"" + keyName
        + "\" presented unknown tokens faster than " + failedChecksPerKey.rate() + "; retry in " + seconds(wait));
  }

  /** After a check through {@code keyName} found the token unknown. */
  public void failedCheckOf(String keyName) {
    if (!enabled) return;
    failedChecksPerKey.record(keyName);
    charge("failed_checks_per_key", failedChecksPerKey, keyName, failedKeysBlocked);
  }

  /** Before anything that presents a credential from {@code clientKey}: refused while its failures are used up. */
  public Refusal failedChecksFrom(String clientKey) {
    if (!enabled) return null;
    long wait = Math.max(failedChecksPerAddress.peek(clientKey),
        failedAddressesBlocked.remaining(clientKey, clock.millis()));
    return wait == 0 ? null : new Refusal("failed_checks_per_address", wait, "unknown session tokens or API keys came "
        + "from this address faster than " + failedChecksPerAddress.rate() + "; retry in " + seconds(wait));
  }

  /** After an unknown session token or a wrong API key from {@code clientKey}. */
  public void failedCheckFrom(String clientKey) {
    if (!enabled) return;
    failedChecksPerAddress.record(clientKey);
    charge("failed_checks_per_address", failedChecksPerAddress, clientKey, failedAddressesBlocked);
  }

  /** Counts a failure in the shared bucket too, and remembers until when it is empty. */
  private void charge(String limit, RateLimiter local, String key, BlockedUntil blocked) {
    if (shared == null) return;
    shared.charge(limit, key, local.rate()).whenComplete((wait, err) -> {
      if (err == null && wait > 0) blocked.block(key, clock.millis() + wait, clock.millis());
    });
  }

  /**
   * Until when a shared bucket was last said to be empty, per key, in bounded memory: at most
   * {@code max} keys; when full, keys whose time has passed are dropped (at most once a second), and
   * a key that still finds no room is not remembered (this node's own bucket still counts it).
   */
  private static final class BlockedUntil {
    private final ConcurrentHashMap<String, Long> until = new ConcurrentHashMap<>();
    private final int max;
    private final AtomicLong lastSweepMs = new AtomicLong(Long.MIN_VALUE);

    BlockedUntil(int max) {
      this.max = max;
    }

    void block(String key, long untilMs, long nowMs) {
      if (until.size() >= max && !until.containsKey(key)) {
        long last = lastSweepMs.get();
        if ((last == Long.MIN_VALUE || nowMs - last >= 1000) && lastSweepMs.compareAndSet(last, nowMs)) {
          until.values().removeIf(t -> t <= nowMs);
        }
        if (until.size() >= max) return;
      }
      until.merge(key, untilMs, Math::max);
    }

    long remaining(String key, long nowMs) {
      if (until.isEmpty()) return 0;
      Long t = until.get(key);
      return t == null ? 0 : Math.max(0, t - nowMs);
    }
  }

  private static String seconds(long ms) {
    return Math.max(1, (ms + 999) / 1000) + " s";
  }
}

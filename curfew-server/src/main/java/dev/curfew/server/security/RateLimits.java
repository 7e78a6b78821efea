package dev.curfew.server.security;

import dev.curfew.core.Clock;
import dev.curfew.server.security.RateLimiter.Rate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

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

  public RateLimits(Settings s, Clock clock) {
    this.enabled = s.enabled();
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

  /** Opening a session for {@code subject} with the API key {@code keyName} (null: not through a key). */
  public Refusal open(String keyName, String subject) {
    if (!enabled) return null;
    if (keyName != null) {
      long wait = openPerKey.tryAcquire(keyName);
      if (wait > 0) {
        return new Refusal("open_per_key", wait, "the API key \"" + keyName + "\" opened sessions faster than "
            + openPerKey.rate() + "; retry in " + seconds(wait));
      }
    }
    long wait = openPerSubject.tryAcquire(subject);
    return wait == 0 ? null : new Refusal("open_per_subject", wait,
        "sessions for this subject were opened faster than " + openPerSubject.rate() + "; retry in " + seconds(wait));
  }

  /** An extension by the session holder of a session of {@code subject}. */
  public Refusal extend(String subject) {
    if (!enabled) return null;
    long wait = extendPerSubject.tryAcquire(subject);
    return wait == 0 ? null : new Refusal("extend_per_subject", wait,
        "sessions of this subject were extended faster than " + extendPerSubject.rate() + "; retry in " + seconds(wait));
  }

  /** Before a token check through the API key {@code keyName}: refused while its failures are used up. */
  public Refusal failedChecksOf(String keyName) {
    if (!enabled) return null;
    long wait = failedChecksPerKey.peek(keyName);
    return wait == 0 ? null : new Refusal("failed_checks_per_key", wait, "the API key \"" + keyName
        + "\" presented unknown tokens faster than " + failedChecksPerKey.rate() + "; retry in " + seconds(wait));
  }

  /** After a check through {@code keyName} found the token unknown. */
  public void failedCheckOf(String keyName) {
    if (enabled) failedChecksPerKey.record(keyName);
  }

  /** Before anything that presents a credential from {@code clientKey}: refused while its failures are used up. */
  public Refusal failedChecksFrom(String clientKey) {
    if (!enabled) return null;
    long wait = failedChecksPerAddress.peek(clientKey);
    return wait == 0 ? null : new Refusal("failed_checks_per_address", wait, "unknown session tokens or API keys came "
        + "from this address faster than " + failedChecksPerAddress.rate() + "; retry in " + seconds(wait));
  }

  /** After an unknown session token or a wrong API key from {@code clientKey}. */
  public void failedCheckFrom(String clientKey) {
    if (enabled) failedChecksPerAddress.record(clientKey);
  }

  private static String seconds(long ms) {
    return Math.max(1, (ms + 999) / 1000) + " s";
  }
}

package dev.curfew.core;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The design of a session's life: one version of a named policy. Immutable; build with {@link
 * #builder(String)} or {@link #of}. Validation runs in the constructor, so an invalid policy
 * cannot exist.
 *
 * @param name the policy's name ({@code standard})
 * @param version 1 for the first version, one more for every change
 * @param idleTimeout how long without activity before the session ends
 * @param absoluteTimeout how long from creation before the session ends whatever the activity
 * @param warnBefore how long before {@code expires_at} the warning fires; zero: no warning
 * @param maxExtensions how many user-confirmed extensions a session may use; 0: none
 * @param renewEvery the token is rotated at this interval; null: never
 * @param complyWith ids of compliance presets the policy declares it meets
 * @param concurrency how many live sessions a subject may hold when one is opened under this policy
 * @param resumeWithin after an idle expiry, how long a new session of the same subject, audience
 *     and policy continues where the user was ({@link Resumption}); null: never
 */
public record Policy(
    String name,
    int version,
    Duration idleTimeout,
    Duration absoluteTimeout,
    Duration warnBefore,
    int maxExtensions,
    Duration renewEvery,
    List<String> complyWith,
    ConcurrencyLimit concurrency,
    Duration resumeWithin) {

  /** Longest timeout accepted: 400 days. Beyond that a "session" is no longer a timeout design. */
  public static final Duration MAX_TIMEOUT = Duration.ofDays(400);

  public static final int MAX_EXTENSIONS_LIMIT = 1_000_000;

  public Policy {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(idleTimeout, "idle_timeout");
    Objects.requireNonNull(absoluteTimeout, "absolute_timeout");
    Objects.requireNonNull(warnBefore, "warn_before");
    complyWith = complyWith == null ? List.of() : List.copyOf(complyWith);
    concurrency = concurrency == null ? ConcurrencyLimit.NONE : concurrency;
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new PolicyException("name", "must be 1-64 of [A-Za-z0-9._-], the first a letter or digit, not \"" + name + "\"");
    }
    if (version < 1) {
      throw new PolicyException("version", "must be at least 1, not " + version);
    }
    requirePositive("idle_timeout", idleTimeout);
    requirePositive("absolute_timeout", absoluteTimeout);
    if (idleTimeout.compareTo(absoluteTimeout) > 0) {
      throw new PolicyException("idle_timeout", Durations.format(idleTimeout) + " is longer than absolute_timeout ("
          + Durations.format(absoluteTimeout) + ")");
    }
    if (absoluteTimeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new PolicyException("absolute_timeout", longest(absoluteTimeout));
    }
    if (warnBefore.isNegative()) {
      throw new PolicyException("warn_before", "must not be negative, not -" + Durations.format(warnBefore.abs()));
    }
    if (warnBefore.compareTo(idleTimeout) >= 0) {
      throw new PolicyException("warn_before", Durations.format(warnBefore) + " must be shorter than idle_timeout ("
          + Durations.format(idleTimeout) + ")");
    }
    if (maxExtensions < 0 || maxExtensions > MAX_EXTENSIONS_LIMIT) {
      throw new PolicyException("max_extensions",
          "must be 0.." + MAX_EXTENSIONS_LIMIT + ", not " + maxExtensions);
    }
    if (renewEvery != null) {
      requirePositive("renew_every", renewEvery);
      // A rotation interval longer than any session is never reached; the limit also keeps its
      // milliseconds within what the audit records' canonical JSON holds (2^53-1).
      if (renewEvery.compareTo(MAX_TIMEOUT) > 0) {
        throw new PolicyException("renew_every", longest(renewEvery));
      }
    }
    requireWholeMillis("idle_timeout", idleTimeout);
    requireWholeMillis("absolute_timeout", absoluteTimeout);
    requireWholeMillis("warn_before", warnBefore);
    if (renewEvery != null) {
      requireWholeMillis("renew_every", renewEvery);
    }
    if (resumeWithin != null) {
      requirePositive("resume_within", resumeWithin);
      if (resumeWithin.compareTo(Resumption.MAX_RESUME_WITHIN) > 0) {
        throw new PolicyException("resume_within", Durations.format(resumeWithin) + " is longer than "
            + Durations.format(Resumption.MAX_RESUME_WITHIN) + " (an ended session is remembered for a day)");
      }
      requireWholeMillis("resume_within", resumeWithin);
    }
  }

  /** A policy without {@code resume_within}. */
  public Policy(String name, int version, Duration idleTimeout, Duration absoluteTimeout, Duration warnBefore,
      int maxExtensions, Duration renewEvery, List<String> complyWith, ConcurrencyLimit concurrency) {
    this(name, version, idleTimeout, absoluteTimeout, warnBefore, maxExtensions, renewEvery, complyWith, concurrency,
        null);
  }

  /** The same values with {@code resume_within} {@code d} (null: none). */
  public Policy withResumeWithin(Duration d) {
    return new Policy(name, version, idleTimeout, absoluteTimeout, warnBefore, maxExtensions, renewEvery, complyWith,
        concurrency, d);
  }

  /** {@code resume_within} in milliseconds; 0: none. */
  public long resumeWithinMs() {
    return resumeWithin == null ? 0 : resumeWithin.toMillis();
  }

  /** A policy without a limit on concurrent sessions. */
  public Policy(String name, int version, Duration idleTimeout, Duration absoluteTimeout, Duration warnBefore,
      int maxExtensions, Duration renewEvery, List<String> complyWith) {
    this(name, version, idleTimeout, absoluteTimeout, warnBefore, maxExtensions, renewEvery, complyWith,
        ConcurrencyLimit.NONE);
  }

  /** The same values with {@code limit} on concurrent sessions. */
  public Policy withConcurrency(ConcurrencyLimit limit) {
    return new Policy(name, version, idleTimeout, absoluteTimeout, warnBefore, maxExtensions, renewEvery, complyWith,
        limit, resumeWithin);
  }

  /** The error of a duration beyond {@link #MAX_TIMEOUT}; the key is the exception's. */
  private static String longest(Duration d) {
    return Durations.format(d) + " is longer than the longest timeout (" + Durations.format(MAX_TIMEOUT) + ")";
  }

  /** Deadlines are kept in milliseconds: a finer duration would be silently rounded. */
  private static void requireWholeMillis(String key, Duration d) {
    if (d.getNano() % 1_000_000 != 0) {
      throw new PolicyException(key, "must be a whole number of milliseconds, not " + Durations.format(d));
    }
  }

  private static void requirePositive(String key, Duration d) {
    if (d.isNegative() || d.isZero()) {
      throw new PolicyException(key, "must be more than 0s" + (d.isZero() ? "" : ", not -" + Durations.format(d.abs())));
    }
  }

  public static Policy of(String name, Duration idle, Duration absolute, Duration warnBefore, int maxExtensions) {
    return new Policy(name, 1, idle, absolute, warnBefore, maxExtensions, null, List.of());
  }

  public long idleTimeoutMs() {
    return idleTimeout.toMillis();
  }

  public long absoluteTimeoutMs() {
    return absoluteTimeout.toMillis();
  }

  public long warnBeforeMs() {
    return warnBefore.toMillis();
  }

  /** The same policy values under the next version number. */
  public Policy nextVersion(Policy values) {
    return new Policy(name, version + 1, values.idleTimeout, values.absoluteTimeout, values.warnBefore,
        values.maxExtensions, values.renewEvery, values.complyWith, values.concurrency, values.resumeWithin);
  }

  public Policy withVersion(int v) {
    return new Policy(name, v, idleTimeout, absoluteTimeout, warnBefore, maxExtensions, renewEvery, complyWith,
        concurrency, resumeWithin);
  }

  /** True when {@code other} has the same values (name and version aside). */
  public boolean sameValues(Policy other) {
    return idleTimeout.equals(other.idleTimeout) && absoluteTimeout.equals(other.absoluteTimeout)
        && warnBefore.equals(other.warnBefore) && maxExtensions == other.maxExtensions
        && java.util.Objects.equals(renewEvery, other.renewEvery) && complyWith.equals(other.complyWith)
        && concurrency.equals(other.concurrency) && Objects.equals(resumeWithin, other.resumeWithin);
  }

  /*
   * "Tighter or equal", field by field: the one definition that apply_to_live (spec/http-api.md,
   * PUT /v1/policies: "may only shorten deadlines") uses in every store.
   *   idle_timeout, absolute_timeout: shorter is tighter (the session ends sooner).
   *   max_extensions: fewer is tighter (the session can be kept alive less).
   *   renew_every: shorter is tighter (a stolen token is useful for less time); none (null) is the
   *     loosest of all, since the token then never changes.
   *   warn_before: not a limit on the session's life, so neither direction loosens it. The new
   *     value is taken (an operator may correct a warning), unless it would no longer fit under the
   *     effective idle timeout, in which case the old one is kept.
   *   comply_with: a declaration, not a limit: the new one is taken.
   *   max_sessions_per_subject, when_exceeded, limit_scope: applied when a session opens, never to
   *     a live one: the new values are taken.
   *   resume_within: not a limit on the session's life (an ended session stays ended; a resumed one
   *     is a new session with its own deadlines): the new value is taken.
   */

  /**
   * The first field in which {@code next} is looser than this policy (snake_case, as in the
   * contract), or null when {@code next} is tighter or equal in every field.
   */
  public String loosenedField(Policy next) {
    if (next.idleTimeout.compareTo(idleTimeout) > 0) return "idle_timeout";
    if (next.absoluteTimeout.compareTo(absoluteTimeout) > 0) return "absolute_timeout";
    if (next.maxExtensions > maxExtensions) return "max_extensions";
    if (renewEvery != null && (next.renewEvery == null || next.renewEvery.compareTo(renewEvery) > 0)) {
      return "renew_every";
    }
    return null;
  }

  /**
   * The policy a live session runs under once {@code next} is applied to it: {@code next}'s name
   * and version, each field the tighter of this policy's and {@code next}'s. Nothing of this policy
   * is ever loosened, whichever version the session started under.
   */
  public Policy narrowedBy(Policy next) {
    Duration idle = min(idleTimeout, next.idleTimeout);
    Duration absolute = min(absoluteTimeout, next.absoluteTimeout);
    Duration renew = renewEvery == null ? next.renewEvery
        : next.renewEvery == null ? renewEvery : min(renewEvery, next.renewEvery);
    // warnBefore < idleTimeout holds for both policies, and idle is one of the two idle timeouts.
    Duration warn = next.warnBefore.compareTo(idle) < 0 ? next.warnBefore : warnBefore;
    return new Policy(next.name, next.version, idle, absolute, warn, Math.min(maxExtensions, next.maxExtensions),
        renew, next.complyWith, next.concurrency, next.resumeWithin);
  }

  /**
   * Refuses {@code next} as a version applied to live sessions when it is looser than this one in
   * any field: an IllegalArgumentException (a 400 at the API) naming the field.
   */
  public void requireNotLoosenedBy(Policy next) {
    String field = loosenedField(next);
    if (field != null) {
      throw new PolicyException(field, "apply_to_live may only tighten a policy: " + name + " would loosen " + field
          + " (tighter means shorter timeouts and renew_every, fewer max_extensions)");
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Collects policy values; {@link #build()} validates them. */
  public static final class Builder {
    private final String name;
    private int version = 1;
    private Duration idleTimeout = Duration.ofMinutes(15);
    private Duration absoluteTimeout = Duration.ofHours(12);
    private Duration warnBefore = Duration.ofMinutes(2);
    private int maxExtensions = 10;
    private Duration renewEvery;
    private List<String> complyWith = List.of();
    private ConcurrencyLimit concurrency = ConcurrencyLimit.NONE;
    private Duration resumeWithin;

    private Builder(String name) {
      this.name = name;
    }

    public Builder version(int v) { this.version = v; return this; }
    public Builder idleTimeout(Duration d) { this.idleTimeout = d; return this; }
    public Builder absoluteTimeout(Duration d) { this.absoluteTimeout = d; return this; }
    public Builder warnBefore(Duration d) { this.warnBefore = d; return this; }
    public Builder maxExtensions(int n) { this.maxExtensions = n; return this; }
    public Builder renewEvery(Duration d) { this.renewEvery = d; return this; }
    public Builder complyWith(List<String> ids) { this.complyWith = ids; return this; }
    public Builder concurrency(ConcurrencyLimit c) { this.concurrency = c; return this; }
    public Builder resumeWithin(Duration d) { this.resumeWithin = d; return this; }

    public Policy build() {
      return new Policy(name, version, idleTimeout, absoluteTimeout, warnBefore, maxExtensions, renewEvery, complyWith,
          concurrency, resumeWithin);
    }
  }
}

package dev.curfew.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the previous token of a rotated session stays usable ({@code rotation_grace}).
 *
 * <p>Why a grace at all: with {@code renew_every}, a browser (or a proxy in front of Curfew) sends
 * several requests at once with the same cookie. The first one to arrive after the rotation is due
 * rotates the token; the others are already on the wire with the previous token. Under a strict
 * replay rule they would end the session as {@code replayed}, and the user would be logged out for
 * having loaded a page with four images. Within the grace such a request is answered as valid and
 * handed the new token (see {@link SealedToken}); after it, the previous token is a replay again.
 *
 * <p>Bounds: the grace is at most {@link #MAX} (a stolen previous token is worth at most that much
 * longer than without a grace), and never longer than the policy's {@code renew_every}, so that by
 * the time the next rotation can happen the previous token's grace is over and the token handed out
 * within a grace is always the current one.
 */
public record RotationGrace(Duration duration) {
  /** The longest grace accepted (declared first: the constructor of the constants below reads it). */
  public static final Duration MAX = Duration.ofSeconds(30);
  /** A few seconds covers a page's parallel requests and a proxy's round trip. */
  public static final RotationGrace DEFAULT = new RotationGrace(Duration.ofSeconds(5));
  /** No grace: the previous token is a replay from the instant of the rotation. */
  public static final RotationGrace NONE = new RotationGrace(Duration.ZERO);

  public RotationGrace {
    Objects.requireNonNull(duration, "rotation_grace");
    if (duration.isNegative()) {
      throw new IllegalArgumentException("must not be negative, not -" + Durations.format(duration.abs()));
    }
    if (duration.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("must be at most " + Durations.format(MAX) + ", not "
          + Durations.format(duration));
    }
    if (duration.getNano() % 1_000_000 != 0) {
      throw new IllegalArgumentException("must be a whole number of milliseconds, not " + Durations.format(duration));
    }
  }

  public static RotationGrace of(Duration duration) {
    return new RotationGrace(duration);
  }

  /** The grace of one rotation under a policy that rotates every {@code renewEveryMs}. */
  public long windowMs(long renewEveryMs) {
    return Math.min(duration.toMillis(), Math.max(0, renewEveryMs));
  }
}

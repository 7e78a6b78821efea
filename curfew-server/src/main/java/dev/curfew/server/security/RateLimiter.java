package dev.curfew.server.security;

import dev.curfew.core.Clock;
import dev.curfew.core.Durations;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket per key (an API key's name, a subject, a client address), in bounded memory.
 *
 * <p><b>The bucket.</b> A {@link Rate} of {@code limit} per {@code per} holds at most {@code limit}
 * tokens and refills one every {@code T = per / limit}; a request takes one, and is refused when
 * none is left. So a quiet key may burst {@code limit} requests at once, and sustain {@code limit}
 * per {@code per}.
 *
 * <p><b>As one number.</b> The bucket is kept the way the Generic Cell Rate Algorithm keeps it
 * (ITU-T Recommendation I.371, the "virtual scheduling" form): not a token count and a refill time,
 * but one instant per key, the theoretical arrival time {@code TAT}: when the bucket will be full
 * again. A request at {@code t} conforms iff {@code max(TAT, t) - t <= tau}, with the tolerance
 * {@code tau = (limit - 1) * T}; a conforming request moves {@code TAT} to {@code max(TAT, t) + T}.
 * One long per key, updated with compare-and-set, so the event loops that share a limiter never
 * block each other; and a key whose {@code TAT} has passed holds a full bucket, the same as no
 * entry at all, which is what makes the memory bound below cheap.
 *
 * <p><b>Bounded memory.</b> At most {@code maxKeys} keys are tracked. When a new key arrives at
 * that bound, entries whose bucket is full again are dropped (at most once a second, so that a flood
 * of new keys does not scan the table on every request); if none can go, the new key shares one
 * overflow bucket with every other untracked key. Under a flood of more distinct keys than the
 * bound, newcomers are thus limited together, never unlimited.
 *
 * <p>Time is the injected {@link Clock}, in microseconds internally so that rates like 7 per second
 * lose nothing to rounding.
 */
public final class RateLimiter {
  /** At most {@code limit} in a burst, refilled at {@code limit} per {@code per}. */
  public record Rate(int limit, Duration per) {
    public Rate {
      Objects.requireNonNull(per, "per");
      if (limit < 1) throw new IllegalArgumentException("limit < 1: " + limit);
      if (per.toMillis() < 1) throw new IllegalArgumentException("per < 1ms: " + per);
      if (per.toMillis() > Duration.ofDays(1).toMillis()) throw new IllegalArgumentException("per > 1d: " + per);
      if (per.toMillis() * 1000 / limit < 1) {
        throw new IllegalArgumentException("limit " + limit + " per " + per + " is more than one per microsecond");
      }
    }

    public static Rate of(int limit, Duration per) {
      return new Rate(limit, per);
    }

    /** {@code 20 per 1m}. */
    @Override
    public String toString() {
      return limit + " per " + Durations.format(per);
    }
  }

  private static final long SWEEP_INTERVAL_MS = 1000;

  private final Rate rate;
  private final Clock clock;
  private final int maxKeys;
  private final long intervalMicros;
  private final long toleranceMicros;
  private final ConcurrentHashMap<String, AtomicLong> arrivals = new ConcurrentHashMap<>();
  private final AtomicLong overflow = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong lastSweepMs = new AtomicLong(Long.MIN_VALUE);

  public RateLimiter(Rate rate, Clock clock, int maxKeys) {
    this.rate = Objects.requireNonNull(rate, "rate");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxKeys < 1) throw new IllegalArgumentException("maxKeys < 1: " + maxKeys);
    this.maxKeys = maxKeys;
    this.intervalMicros = intervalMicros(rate);
    this.toleranceMicros = (rate.limit() - 1) * intervalMicros;
  }

  public Rate rate() {
    return rate;
  }

  /** The time between two tokens of {@code rate}, in microseconds. */
  static long intervalMicros(Rate rate) {
    return rate.per().toMillis() * 1000 / rate.limit();
  }

  /**
   * Takes a token for {@code key}: 0 when one was there, else the milliseconds until one will be
   * (nothing is taken then).
   */
  public long tryAcquire(String key) {
    AtomicLong tat = bucket(key);
    long now = nowMicros();
    while (true) {
      long current = tat.get();
      long start = Math.max(current, now);
      long early = start - now - toleranceMicros;
      if (early > 0) return ceilMillis(early);
      if (tat.compareAndSet(current, start + intervalMicros)) return 0;
    }
  }

  /** Whether {@link #tryAcquire} would succeed now: 0, or the milliseconds until it would. Takes nothing. */
  public long peek(String key) {
    AtomicLong tat = arrivals.get(key);
    if (tat == null) tat = arrivals.size() >= maxKeys ? overflow : null;
    if (tat == null) return 0;
    long now = nowMicros();
    long early = Math.max(tat.get(), now) - now - toleranceMicros;
    return early > 0 ? ceilMillis(early) : 0;
  }

  /**
   * Takes a token for something that already happened (a failed check: counted after the answer),
   * even from an empty bucket, which then stays empty for one more interval at most.
   */
  public void record(String key) {
    AtomicLong tat = bucket(key);
    long now = nowMicros();
    long ceiling = now + toleranceMicros + intervalMicros;
    tat.updateAndGet(current -> Math.min(Math.max(current, now) + intervalMicros, ceiling));
  }

  /** Keys tracked now (not counting the overflow bucket). */
  public int trackedKeys() {
    return arrivals.size();
  }

  private AtomicLong bucket(String key) {
    Objects.requireNonNull(key, "key");
    AtomicLong tat = arrivals.get(key);
    if (tat != null) return tat;
    if (arrivals.size() >= maxKeys && !sweep()) return overflow;
    return arrivals.computeIfAbsent(key, k -> new AtomicLong(Long.MIN_VALUE));
  }

  /** Drops the keys whose bucket is full again; true when there is room afterwards. */
  private boolean sweep() {
    long nowMs = clock.millis();
    long last = lastSweepMs.get();
    if (last != Long.MIN_VALUE && nowMs - last < SWEEP_INTERVAL_MS) return arrivals.size() < maxKeys;
    if (!lastSweepMs.compareAndSet(last, nowMs)) return arrivals.size() < maxKeys;
    long now = Math.multiplyExact(nowMs, 1000L);
    arrivals.values().removeIf(tat -> tat.get() <= now);
    return arrivals.size() < maxKeys;
  }

  private long nowMicros() {
    return Math.multiplyExact(clock.millis(), 1000L);
  }

  private static long ceilMillis(long micros) {
    return (micros + 999) / 1000;
  }
}

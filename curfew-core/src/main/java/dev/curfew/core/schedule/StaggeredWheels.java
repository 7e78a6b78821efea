package dev.curfew.core.schedule;

import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Several {@link TimerWheel}s whose clocks are offset from one another, each timer always in the
 * same one (chosen by {@code shardOf}).
 *
 * <p>Why: a hierarchical wheel re-hashes a whole coarse bucket in the one tick at which time
 * reaches it. When many deadlines share a coarse bucket (a million sessions with similar
 * timeouts), that tick does hundreds of thousands of moves, and every expiry due meanwhile waits
 * tens of milliseconds. Giving wheel {@code i} the clock {@code now + i * spreadMs / shards} (and its
 * timers the same shift) puts the bucket boundaries of the wheels at different instants, so each
 * tick cascades at most one wheel's share of a bucket: about {@code 1 / shards} of the work. A
 * timer still fires exactly when {@code deadline <= now}: the shift is added on both sides.
 *
 * <p>The offsets are {@code i * spreadMs / shards + i % 64}. The first term staggers the boundaries
 * of the coarse buckets the spread is sized for. The second staggers the 64 ms buckets of level 1
 * too: with offsets that are all multiples of 64 ms, every wheel's level-1 boundary falls on the
 * same tick, and that tick re-hashes 64 ms of deadlines of all wheels at once
 * ({@code StaggeredWheelsBurstTest}).
 *
 * <p>Single-threaded, like {@link TimerWheel}: callers synchronize.
 */
public final class StaggeredWheels<T extends Timer> {
  private final TimerWheel<T>[] wheels;
  private final long[] offsetsMs;
  private final ToIntFunction<? super T> shardOf;

  @SuppressWarnings("unchecked")
  public StaggeredWheels(long nowMs, int shards, long spreadMs, ToIntFunction<? super T> shardOf) {
    if (shards < 1) throw new IllegalArgumentException("shards < 1: " + shards);
    if (spreadMs < 0) throw new IllegalArgumentException("spreadMs < 0: " + spreadMs);
    this.wheels = new TimerWheel[shards];
    this.offsetsMs = new long[shards];
    this.shardOf = shardOf;
    for (int i = 0; i < shards; i++) {
      offsetsMs[i] = spreadMs * i / shards + i % TimerWheel.BUCKETS_PER_LEVEL;
      wheels[i] = new TimerWheel<>(shifted(nowMs, offsetsMs[i]));
    }
  }

  private int shard(T timer) {
    return Math.floorMod(shardOf.applyAsInt(timer), wheels.length);
  }

  private static long shifted(long ms, long offsetMs) {
    return ms > Long.MAX_VALUE - offsetMs ? Long.MAX_VALUE : ms + offsetMs;
  }

  /** Schedules or moves {@code timer} to {@code deadlineMs} (a deadline <= now fires at the next advance). */
  public void schedule(T timer, long deadlineMs) {
    int i = shard(timer);
    wheels[i].schedule(timer, shifted(deadlineMs, offsetsMs[i]));
  }

  public void deschedule(T timer) {
    wheels[shard(timer)].deschedule(timer);
  }

  /** Fires every timer whose deadline is <= {@code nowMs}; see {@link TimerWheel#advance}. */
  public int advance(long nowMs, Consumer<? super T> fired) {
    int n = 0;
    for (int i = 0; i < wheels.length; i++) {
      n += wheels[i].advance(shifted(nowMs, offsetsMs[i]), fired);
    }
    return n;
  }

  /** The unshifted deadline of a scheduled {@code timer}. */
  public long deadlineMs(T timer) {
    long d = timer.deadlineMs();
    return d == Long.MAX_VALUE ? d : d - offsetsMs[shard(timer)];
  }

  /** A lower bound of the earliest deadline, or Long.MAX_VALUE when none is scheduled. */
  public long nextDeadlineMs() {
    long min = Long.MAX_VALUE;
    for (int i = 0; i < wheels.length; i++) {
      long next = wheels[i].nextDeadlineMs();
      if (next != Long.MAX_VALUE) min = Math.min(min, Math.max(0, next - offsetsMs[i]));
    }
    return min;
  }

  /** Timers the wheels' cascades have moved to a lower level so far ({@link TimerWheel#rehashed()}). */
  long rehashed() {
    long n = 0;
    for (TimerWheel<T> w : wheels) n += w.rehashed();
    return n;
  }

  public int size() {
    int n = 0;
    for (TimerWheel<T> w : wheels) n += w.size();
    return n;
  }

  public void checkInvariants() {
    for (int i = 0; i < wheels.length; i++) {
      try {
        wheels[i].checkInvariants();
      } catch (IllegalStateException e) {
        throw new IllegalStateException("wheel " + i + " (offset " + offsetsMs[i] + " ms): " + e.getMessage(), e);
      }
    }
  }
}

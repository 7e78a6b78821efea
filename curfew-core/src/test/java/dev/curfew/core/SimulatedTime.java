package dev.curfew.core;

import java.time.Duration;
import java.time.Instant;

/**
 * Simulated real time for {@link SystemClock}: a monotonic clock that only the test moves, and a
 * wall clock that follows it plus an offset that the test can step either way (as NTP or an
 * operator would), deterministically.
 */
final class SimulatedTime implements SystemClock.Source {
  private final long startWallMs;
  private long monotonicNanos;
  private long wallOffsetMs;
  /** Monotonic nanos that pass during the next wall-clock readings (a reader preempted between the two). */
  private long stallNanos;
  private int stalledReads;

  SimulatedTime(Instant start) {
    this.startWallMs = start.toEpochMilli();
    this.monotonicNanos = 7_000_000_123L; // an arbitrary origin, as System.nanoTime's is
  }

  @Override
  public synchronized long wallMillis() {
    long wall = startWallMs + Math.floorDiv(monotonicNanos - 7_000_000_123L, 1_000_000L) + wallOffsetMs;
    if (stalledReads > 0) {
      stalledReads--;
      monotonicNanos += stallNanos;
    }
    return wall;
  }

  @Override
  public synchronized long monotonicNanos() {
    return monotonicNanos;
  }

  /** Real time passes. */
  synchronized void advance(Duration d) {
    monotonicNanos = Math.addExact(monotonicNanos, d.toNanos());
  }

  /** The wall clock is stepped by {@code ms} (negative: backwards); real time does not move. */
  synchronized void stepWall(long ms) {
    wallOffsetMs += ms;
  }

  /** The next {@code reads} wall-clock readings each take {@code d} of monotonic time. */
  synchronized void stallWallReads(int reads, Duration d) {
    stalledReads = reads;
    stallNanos = d.toNanos();
  }
}

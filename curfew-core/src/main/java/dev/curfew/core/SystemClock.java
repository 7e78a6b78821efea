package dev.curfew.core;

/**
 * The node's wall clock, corrected by the monotonic clock: it reads the wall clock once, then
 * advances by {@link System#nanoTime()}. A wall-clock step (NTP, an operator) can therefore never
 * make a session live longer than its policy allows in real elapsed time, and the instant never
 * goes backwards. {@link #resync()} re-reads the wall clock, but only forwards.
 */
public final class SystemClock implements Clock {
  private final long baseWallMs;
  private final long baseNanos;
  private volatile long floorMs;

  public SystemClock() {
    this.baseWallMs = System.currentTimeMillis();
    this.baseNanos = System.nanoTime();
  }

  @Override
  public long millis() {
    long now = baseWallMs + (System.nanoTime() - baseNanos) / 1_000_000L;
    long floor = floorMs;
    return Math.max(now, floor);
  }

  /** The difference between the wall clock and this clock, in ms (positive: wall is ahead). */
  public long wallSkewMillis() {
    return System.currentTimeMillis() - millis();
  }

  /** Moves this clock forward to the wall clock when the wall clock is ahead; never backwards. */
  public void resync() {
    long wall = System.currentTimeMillis();
    if (wall > millis()) {
      floorMs = wall;
    }
  }
}

package dev.curfew.core;

import java.time.Duration;
import java.time.Instant;

/** A clock that moves only when told to: the virtual time of tests and of {@code policy explain}. */
public final class ManualClock implements Clock {
  private volatile long nowMs;

  public ManualClock(Instant start) {
    this.nowMs = start.toEpochMilli();
  }

  public static ManualClock at(String instant) {
    return new ManualClock(Instant.parse(instant));
  }

  @Override
  public long millis() {
    return nowMs;
  }

  public synchronized void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("duration < 0: " + duration);
    }
    nowMs = Math.addExact(nowMs, duration.toMillis());
  }

  public void advanceMillis(long ms) {
    advance(Duration.ofMillis(ms));
  }

  /** Moves the clock to {@code epochMs}, which must not lie in the past. */
  public synchronized void setMillis(long epochMs) {
    if (epochMs < nowMs) {
      throw new IllegalArgumentException("clock would go back: " + epochMs + " < " + nowMs);
    }
    nowMs = epochMs;
  }
}

package dev.curfew.core;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Which of many alike records to write, so that a client cannot flood the trail: the same event
 * (its key) once per window, the next record counting the events in between ({@code repeats}). At
 * most {@link #MAX_REMEMBERED} keys are kept; beyond that the ones whose window has passed are
 * forgotten. Used for the protocol gateways' refused connections ({@code RefusalLimit}) and for reads
 * of the trail.
 */
public final class RecordCoalescing {
  /** Keys kept before those whose window has passed are dropped. */
  public static final int MAX_REMEMBERED = 10_000;

  private final long windowNanos;
  private final LongSupplier nanoTime;
  private final Map<String, long[]> last = new ConcurrentHashMap<>(); // {at (nanoTime), repeats}

  public RecordCoalescing(long windowMs) {
    this(windowMs, System::nanoTime);
  }

  /** {@code nanoTime}: the monotonic clock the window is measured on (tests move it by hand). */
  public RecordCoalescing(long windowMs, LongSupplier nanoTime) {
    if (windowMs < 1) throw new IllegalArgumentException("windowMs < 1: " + windowMs);
    this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMs);
    this.nanoTime = java.util.Objects.requireNonNull(nanoTime, "nanoTime");
  }

  /** -1: the same event was recorded within the window (counted for the next record); else the events not recorded since. */
  public long repeatsBefore(String key) {
    long now = nanoTime.getAsLong();
    if (last.size() > MAX_REMEMBERED) last.values().removeIf(s -> now - s[0] >= windowNanos);
    long[] result = {0};
    last.compute(key, (k, s) -> {
      if (s != null && now - s[0] < windowNanos) {
        s[1]++;
        result[0] = -1;
        return s;
      }
      result[0] = s == null ? 0 : s[1];
      return new long[] {now, 0};
    });
    return result[0];
  }
}

package dev.curfew.gateway.mcp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Which refused tokens to record: the same refusal (its key) once per {@link #WINDOW_MS}, the next
 * record counting the refusals in between. At most {@link #MAX_REMEMBERED} keys are kept; beyond
 * that the ones whose window has passed are forgotten.
 */
final class RefusalCoalescing {
  static final long WINDOW_MS = 60_000;
  static final int MAX_REMEMBERED = 10_000;

  private final Map<String, long[]> last = new ConcurrentHashMap<>(); // {at (nanoTime), repeats}

  /** -1: the same refusal was recorded within the window (counted for the next record); else the refusals not recorded since. */
  long repeatsBefore(String key) {
    long now = System.nanoTime();
    long window = TimeUnit.MILLISECONDS.toNanos(WINDOW_MS);
    if (last.size() > MAX_REMEMBERED) last.values().removeIf(s -> now - s[0] >= window);
    long[] result = {0};
    last.compute(key, (k, s) -> {
      if (s != null && now - s[0] < window) {
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

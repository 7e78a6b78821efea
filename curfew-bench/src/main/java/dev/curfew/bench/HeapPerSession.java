package dev.curfew.bench;

import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Heap per live session: opens N sessions (distinct subjects, no attributes) in an engine with a
 * discarding audit sink and reports the growth of the used heap after full GCs, divided by N.
 * Run: {@code java -cp curfew-bench.jar dev.curfew.bench.HeapPerSession 1000000}.
 */
public final class HeapPerSession {
  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    Policy p = Policy.of("bench", Duration.ofHours(1), Duration.ofHours(12), Duration.ofMinutes(2), 10);
    SessionEngine engine = new SessionEngine(new SystemClock(), "bench", new Policies(List.of(p), "bench"),
        new DiscardingSink(), null, null, SessionEngine.Limits.defaults());
    long before = usedAfterGc();
    for (int i = 0; i < n; i++) {
      engine.open("user" + i, null, Map.of());
    }
    long after = usedAfterGc();
    System.out.printf("sessions=%d live=%d heap_growth_bytes=%d bytes_per_session=%.1f%n",
        n, engine.liveSessions(), after - before, (after - before) / (double) n);
  }

  /** Used heap after three full collections, 200 ms apart (what Scaling measures with too). */
  static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}

package dev.curfew.bench;

import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Check-and-touch cost in CPU time rather than wall time: on a machine shared with other work, a
 * throughput figure mostly measures how often the thread was scheduled, while the thread's own CPU
 * time per check still says what a check costs (cache contention from neighbours included). Opens N
 * sessions as {@link CheckBenchmark} does, then checks random ones (tokens from a {@code String[]},
 * the old benchmark method) in rounds of two seconds, printing CPU and wall nanoseconds per check.
 * Run: {@code java -Xmx4g -cp curfew-bench.jar dev.curfew.bench.CheckCpuTime 1000000}.
 */
public final class CheckCpuTime {
  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Policy p = Policy.of("bench", Duration.ofHours(1), Duration.ofHours(12), Duration.ofMinutes(2), 10);
    SessionEngine engine = new SessionEngine(new SystemClock(), "bench", new Policies(List.of(p), "bench"),
        new DiscardingSink(), null, null, SessionEngine.Limits.defaults());
    String[] tokens = new String[n];
    for (int i = 0; i < n; i++) {
      tokens[i] = engine.open("user" + i, null, Map.of()).token();
    }
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    SplittableRandom rnd = new SplittableRandom(17);
    long sink = 0;
    for (int round = 0; round < rounds; round++) {
      long ops = 0;
      long t0 = System.nanoTime();
      long c0 = mx.getCurrentThreadCpuTime();
      while (System.nanoTime() - t0 < 2_000_000_000L) {
        for (int k = 0; k < 1000; k++, ops++) {
          sink += engine.check(tokens[rnd.nextInt(n)], true).hashCode();
        }
      }
      long c1 = mx.getCurrentThreadCpuTime();
      System.out.printf("sessions=%d round=%d cpu_ns_per_check=%.0f wall_ns_per_check=%.0f%n",
          n, round, (c1 - c0) / (double) ops, (System.nanoTime() - t0) / (double) ops);
    }
    if (sink == 42) System.out.println();
  }
}

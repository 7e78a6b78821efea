package dev.curfew.bench;

import dev.curfew.core.EngineMetrics;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import dev.curfew.store.embedded.EmbeddedStore;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one snapshot of the embedded store costs with N live sessions: wall time, the CPU time of
 * the thread that takes it, and the file's size, for {@code --rounds} snapshots in a row (the first
 * ones include the JIT's warm-up). The store's own schedule is set to an hour so that only these run.
 * Run: {@code java -Xmx6g -cp curfew-bench.jar dev.curfew.bench.SnapshotCost 1000000 [--rounds 4]}.
 */
public final class SnapshotCost {
  public static void main(String[] args) throws Exception {
    int n = 1_000_000;
    int rounds = 4;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--rounds")) {
        rounds = Integer.parseInt(args[++i]);
      } else {
        n = Integer.parseInt(args[i]);
      }
    }
    Path dir = Files.createTempDirectory("curfew-snapshot-cost");
    try (EmbeddedStore store = EmbeddedStore.open(dir,
        EmbeddedStore.Options.defaults().withSnapshotInterval(Duration.ofHours(1)), "bench")) {
      Policy p = Policy.of("p", Duration.ofHours(1), Duration.ofHours(12), Duration.ofMinutes(2), 3);
      SessionEngine engine = new SessionEngine(new SystemClock(), "bench", new Policies(List.of(p), "p"), store.log(), null,
          EngineMetrics.NONE, SessionEngine.Limits.defaults());
      store.recover(engine);
      for (int i = 0; i < n; i++) engine.open("user" + i, "p", Map.of());
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      for (int r = 0; r < rounds; r++) {
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        store.snapshot();
        System.out.printf("snapshot sessions=%d wall_ms=%.0f cpu_ms=%.0f bytes=%d%n", n, (System.nanoTime() - t0) / 1e6,
            (threads.getCurrentThreadCpuTime() - cpu0) / 1e6, Files.size(dir.resolve("snapshot.json")));
      }
    } finally {
      try (var all = Files.walk(dir)) {
        all.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}

package dev.curfew.store.embedded;

import dev.curfew.core.Decision;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SystemClock;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The process that {@link CrashTest} kills: a server on the embedded store that opens sessions as
 * fast as it can from a few threads and prints {@code ACK <session id> <token>} for each session
 * only after its record is durable, i.e. exactly what an API would have acknowledged.
 */
public final class CrashChild {
  static final int THREADS = 4;

  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(args[0]);
    SystemClock clock = new SystemClock();
    EmbeddedStore store = EmbeddedStore.open(dataDir, EmbeddedStore.Options.defaults().withClock(clock)
        .withSnapshotInterval(Duration.ofMillis(300)).withSegmentMaxBytes(256 * 1024), "crash-child");
    SessionEngine engine = new SessionEngine(clock, "crash-child", policies(), store.log(), SessionEvents.NONE,
        EngineMetrics.NONE, SessionEngine.Limits.defaults());
    store.recover(engine);
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, "UTF-8");
    out.println("READY");
    out.flush();
    for (int t = 0; t < THREADS; t++) {
      int id = t;
      Thread worker = new Thread(() -> {
        for (long i = 0; ; i++) {
          Decision d = engine.open("user-" + id + "-" + i, null, Map.of());
          d.durable().join();
          String line = "ACK " + d.status().sessionId() + " " + d.token() + "\n";
          synchronized (out) {
            out.print(line); // one write per line: a kill cuts at most the last one
            out.flush();
          }
        }
      });
      worker.start();
    }
    Thread.sleep(Long.MAX_VALUE);
  }

  static Policies policies() {
    return new Policies(List.of(Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12),
        Duration.ofMinutes(2), 3)), "standard");
  }
}

package dev.curfew.bench;

import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;

/**
 * Expiry event lateness with N live sessions: opens N sessions whose idle deadlines fall over a
 * window (several policies with different idle timeouts, opened over the opening phase), runs the
 * real 1 ms deadline driver on the system clock, and records each timer-detected expiry's lateness
 * (detection instant minus deadline, as the engine measures it) in an HdrHistogram.
 * Run: {@code java -Xmx6g -cp curfew-bench.jar dev.curfew.bench.ExpiryLateness 1000000}.
 */
public final class ExpiryLateness {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    Recorder lateness = new Recorder(3);
    List<Policy> list = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      // idle timeouts from 40 s to 59 s: expiries spread over about 20 s after the opening phase
      list.add(Policy.of("p" + i, Duration.ofSeconds(40 + i), Duration.ofHours(1), Duration.ofSeconds(10), 3));
    }
    long[] counts = new long[2];
    EngineMetrics metrics = new EngineMetrics() {
      @Override
      public void expired(String detectedBy, long latenessMs) {
        if (detectedBy.equals("timer")) {
          lateness.recordValue(latenessMs);
        }
      }
    };
    SessionEngine engine = new SessionEngine(new SystemClock(), "bench", new Policies(list, "p0"), new DiscardingSink(),
        null, metrics, SessionEngine.Limits.defaults());
    DeadlineDriver driver = new DeadlineDriver(engine).start();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      engine.open("user" + i, "p" + (i % 20), Map.of());
    }
    double openSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("opened %d sessions in %.1f s; live=%d%n", n, openSeconds, engine.liveSessions());
    while (engine.liveSessions() > 0) {
      Thread.sleep(1000);
      System.out.printf("live=%d%n", engine.liveSessions());
    }
    driver.close();
    Histogram h = lateness.getIntervalHistogram();
    System.out.printf("expiries=%d lateness_ms p50=%d p99=%d p99.9=%d max=%d mean=%.2f%n", h.getTotalCount(),
        h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), h.getMean());
  }
}

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
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.Histogram;

/**
 * Expiry event lateness with N live sessions: opens N sessions whose idle deadlines fall over a
 * window (several policies with different idle timeouts, opened over the opening phase), runs the
 * real 1 ms deadline driver on the system clock, and records each timer-detected expiry's lateness
 * (detection instant minus deadline, as the engine measures it) in an HdrHistogram.
 *
 * <p>With {@code --check-rate R} a second thread runs R check-and-touch calls a second on the same
 * engine (paced every millisecond, catching up when late) on random ones of {@code --hot H} (default
 * 100,000) more sessions with a 1 h idle timeout, opened first, which never expire during the run:
 * the lateness is then measured while checks run, as in a server. The achieved rate is printed.
 * {@code --idle S} (default 40) sets the shortest idle timeout, for short smoke runs; it must stay
 * longer than the opening phase.
 * Run: {@code java -Xmx6g -cp curfew-bench.jar dev.curfew.bench.ExpiryLateness 1000000 [--check-rate 20000]}.
 *
 * <p>A third thread, the stall watcher, parks for 1 ms over and over while the sessions expire and
 * records how late it wakes. Its figures (the {@code stalls} line) tell the machine from the engine:
 * where the watcher too wakes tens of milliseconds late, the whole process was held up (by a
 * collector's pause, another process, or the kernel), and the driver's lateness is not its own.
 */
public final class ExpiryLateness {
  public static void main(String[] args) throws Exception {
    int n = 1_000_000;
    int checkRate = 0;
    int hotOption = 100_000;
    int idle = 40;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--check-rate" -> checkRate = Integer.parseInt(args[++i]);
        case "--hot" -> hotOption = Integer.parseInt(args[++i]);
        case "--idle" -> idle = Integer.parseInt(args[++i]);
        default -> n = Integer.parseInt(args[i]);
      }
    }
    final int rate = checkRate;
    final int hot = rate == 0 ? 0 : hotOption;
    Recorder lateness = new Recorder(3);
    List<Policy> list = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      // idle timeouts from 40 s to 59 s (--idle moves the 40): expiries spread over about 20 s after the
      // opening phase
      list.add(Policy.of("p" + i, Duration.ofSeconds(idle + i), Duration.ofHours(1), Duration.ofSeconds(Math.min(10, idle / 2)), 3));
    }
    list.add(Policy.of("hot", Duration.ofHours(1), Duration.ofHours(12), Duration.ofMinutes(2), 10));
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
    String[] hotTokens = new String[hot];
    for (int i = 0; i < hot; i++) {
      hotTokens[i] = engine.open("hot" + i, "hot", Map.of()).token();
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong checks = new AtomicLong();
    Thread checker = null;
    if (rate > 0) {
      checker = new Thread(() -> paceChecks(engine, hotTokens, rate, stop, checks), "checks");
      checker.setDaemon(true);
      checker.start();
    }
    long c0 = System.nanoTime();
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      engine.open("user" + i, "p" + (i % 20), Map.of());
    }
    double openSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("opened %d sessions in %.1f s; live=%d%n", n, openSeconds, engine.liveSessions());
    Histogram overshoot = new Histogram(3);
    Thread watcher = new Thread(() -> watchStalls(overshoot, stop), "stall-watcher");
    watcher.setDaemon(true);
    watcher.start();
    while (engine.liveSessions() > hot) {
      Thread.sleep(1000);
      System.out.printf("live=%d%n", engine.liveSessions());
    }
    stop.set(true);
    watcher.join();
    if (checker != null) {
      checker.join();
      System.out.printf("checks=%d achieved_rate=%.0f/s (target %d/s)%n", checks.get(),
          checks.get() / ((System.nanoTime() - c0) / 1e9), rate);
    }
    driver.close();
    Histogram h = lateness.getIntervalHistogram();
    System.out.printf("expiries=%d lateness_ms p50=%d p99=%d p99.9=%d max=%d mean=%.2f%n", h.getTotalCount(),
        h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9), h.getMaxValue(), h.getMean());
    System.out.printf("stalls: a 1 ms park woke late by p50=%.2f p99=%.2f max=%.2f ms; %d of %d parks over 5 ms late%n",
        overshoot.getValueAtPercentile(50) / 1e6, overshoot.getValueAtPercentile(99) / 1e6, overshoot.getMaxValue() / 1e6,
        overshoot.getTotalCount() - overshoot.getCountBetweenValues(0, 5_000_000), overshoot.getTotalCount());
  }

  /** Parks 1 ms over and over until stopped, recording how late each wake-up came (ns). */
  static void watchStalls(Histogram overshoot, AtomicBoolean stop) {
    while (!stop.get()) {
      long before = System.nanoTime();
      LockSupport.parkNanos(1_000_000);
      overshoot.recordValue(Math.max(0, System.nanoTime() - before - 1_000_000));
    }
  }

  /** R check-and-touch calls a second on random tokens, R/1000 each millisecond, until stopped. */
  static void paceChecks(SessionEngine engine, String[] tokens, int perSecond, AtomicBoolean stop, AtomicLong done) {
    SplittableRandom random = new SplittableRandom(17);
    long start = System.nanoTime();
    long issued = 0;
    while (!stop.get()) {
      long due = (System.nanoTime() - start) * perSecond / 1_000_000_000L;
      while (issued < due) {
        engine.check(tokens[random.nextInt(tokens.length)], true);
        issued++;
      }
      done.set(issued);
      LockSupport.parkNanos(1_000_000);
    }
  }
}

package dev.curfew.bench;

import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.Decision;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SystemClock;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * How cost grows with the number of live sessions. For each size N, in a fresh engine on the
 * system clock with the real 1 ms deadline driver running and an audit sink that drops records:
 * <ol>
 *   <li>opens N sessions with a 1 h idle timeout (they never expire during the run);
 *   <li>check-and-touch throughput: one thread, {@code check(token, true)} on a random one of the N
 *       (fixed seed), a warm-up then a measured interval;
 *   <li>heap per session: used heap after full GCs, with the test's own token array dropped, minus
 *       the used heap before the engine existed, divided by N;
 *   <li>expiry lateness: a window of W = min(N, window) more sessions, opened after the N, with idle
 *       timeouts of 4 to 13 s, so that every expiry happens after all sessions are open and while the
 *       N long sessions stay in the index and in the timer wheels; each timer-detected expiry's
 *       lateness (detection minus deadline, as the engine measures it) goes to an HdrHistogram. The
 *       same W for every size above it keeps the expiry rate equal, so what changes is only N.
 * </ol>
 * Prints one {@code RESULT|scaling|...} line per size, writes a CSV and draws a PNG of the three
 * figures against N (log scale).
 *
 * <p>Run: {@code java -Xmx14g -cp curfew-bench.jar dev.curfew.bench.Scaling --sizes
 * 10000,100000,1000000,10000000 --csv scaling.csv --png docs/benchmarks-scaling.png}; options
 * {@code --warmup S} (default 5), {@code --measure S} (default 10), {@code --window W} (default
 * 100000), {@code --seed L} (default 17).
 */
public final class Scaling {
  record Row(int sessions, double openSeconds, double checksPerSecond, double bytesPerSession, int window,
      long expiries, long p50, long p99, long max) {}

  public static void main(String[] args) throws Exception {
    List<Integer> sizes = List.of(10_000, 100_000, 1_000_000, 10_000_000);
    double warmup = 5;
    double measure = 10;
    int window = 100_000;
    long seed = 17;
    String csv = null;
    String png = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--sizes" -> {
          List<Integer> s = new ArrayList<>();
          for (String v : args[++i].split(",")) {
            s.add(Integer.parseInt(v.trim()));
          }
          sizes = s;
        }
        case "--warmup" -> warmup = Double.parseDouble(args[++i]);
        case "--measure" -> measure = Double.parseDouble(args[++i]);
        case "--window" -> window = Integer.parseInt(args[++i]);
        case "--seed" -> seed = Long.parseLong(args[++i]);
        case "--csv" -> csv = args[++i];
        case "--png" -> png = args[++i];
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    System.out.printf(Locale.ROOT, "seed=%d warmup=%.0fs measure=%.0fs window=%d max_heap=%d MiB%n", seed, warmup,
        measure, window, Runtime.getRuntime().maxMemory() >> 20);
    List<Row> rows = new ArrayList<>();
    for (int n : sizes) {
      Row r = run(n, Math.min(n, window), warmup, measure, seed);
      rows.add(r);
      System.out.printf(Locale.ROOT, "RESULT|scaling|%d|%.0f|%.1f|%d|%d|%d|%d|%d%n", r.sessions(),
          r.checksPerSecond(), r.bytesPerSession(), r.window(), r.expiries(), r.p50(), r.p99(), r.max());
    }
    if (csv != null) {
      try (PrintWriter w = new PrintWriter(new File(csv), StandardCharsets.UTF_8)) {
        w.println("sessions,open_s,checks_per_s,bytes_per_session,window,expiries,lateness_p50_ms,"
            + "lateness_p99_ms,lateness_max_ms");
        for (Row r : rows) {
          w.printf(Locale.ROOT, "%d,%.1f,%.0f,%.1f,%d,%d,%d,%d,%d%n", r.sessions(), r.openSeconds(),
              r.checksPerSecond(), r.bytesPerSession(), r.window(), r.expiries(), r.p50(), r.p99(), r.max());
        }
      }
    }
    if (png != null) {
      plot(new File(png), rows);
    }
  }

  static Row run(int n, int window, double warmup, double measure, long seed) throws InterruptedException {
    Recorder lateness = new Recorder(3);
    List<Policy> policies = new ArrayList<>();
    policies.add(Policy.of("long", Duration.ofHours(1), Duration.ofHours(12), Duration.ofMinutes(2), 10));
    for (int i = 0; i < 10; i++) {
      policies.add(Policy.of("w" + i, Duration.ofSeconds(4 + i), Duration.ofHours(1), Duration.ofSeconds(1), 3));
    }
    EngineMetrics metrics = new EngineMetrics() {
      @Override
      public void expired(String detectedBy, long latenessMs) {
        if (detectedBy.equals("timer")) {
          lateness.recordValue(latenessMs);
        }
      }
    };
    long before = HeapPerSession.usedAfterGc();
    // room for the N and the window: the default limit (10 M live sessions) refused the whole window
    // at N = 10 M, which then recorded no expiry at all
    SessionEngine.Limits limits = new SessionEngine.Limits(Math.max(SessionEngine.Limits.defaults().maxLiveSessions(), n + window),
        SessionEngine.Limits.defaults().endedRetentionMs());
    SessionEngine engine = new SessionEngine(new SystemClock(), "bench", new Policies(policies, "long"),
        new DiscardingSink(), null, metrics, limits);
    DeadlineDriver driver = new DeadlineDriver(engine).start();
    try {
      String[] tokens = new String[n];
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        tokens[i] = engine.open("user" + i, "long", Map.of()).token();
        if (tokens[i] == null) throw new IllegalStateException("n=" + n + ": session " + i + " was refused");
      }
      double openSeconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "n=%d opened in %.1f s; live=%d%n", n, openSeconds, engine.liveSessions());

      SplittableRandom random = new SplittableRandom(seed);
      checks(engine, tokens, random, warmup);
      double rate = checks(engine, tokens, random, measure);
      System.out.printf(Locale.ROOT, "n=%d check-and-touch %.0f/s%n", n, rate);

      tokens = null;
      double bytes = (HeapPerSession.usedAfterGc() - before) / (double) n;
      System.out.printf(Locale.ROOT, "n=%d heap %.1f bytes/session%n", n, bytes);

      lateness.getIntervalHistogram(); // start clean: nothing of the N can have expired
      for (int i = 0; i < window; i++) {
        if (!engine.open("win" + i, "w" + (i % 10), Map.of()).allowed()) {
          throw new IllegalStateException("n=" + n + ": window session " + i + " was refused");
        }
      }
      long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (engine.liveSessions() > n && System.nanoTime() < giveUp) {
        Thread.sleep(200);
      }
      if (engine.liveSessions() != n) {
        System.out.printf("n=%d WARNING: %d window sessions still live after 60 s%n", n, engine.liveSessions() - n);
      }
      Histogram h = lateness.getIntervalHistogram();
      System.out.printf("n=%d lateness over %d expiries: p50=%d p99=%d max=%d ms%n", n, h.getTotalCount(),
          h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getMaxValue());
      return new Row(n, openSeconds, rate, bytes, window, h.getTotalCount(), h.getValueAtPercentile(50),
          h.getValueAtPercentile(99), h.getMaxValue());
    } finally {
      driver.close();
    }
  }

  /** Check-and-touch on random tokens for the given seconds, one thread; answers checks per second. */
  static double checks(SessionEngine engine, String[] tokens, SplittableRandom random, double seconds) {
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long ops = 0;
    int sink = 0;
    long now;
    do {
      for (int i = 0; i < 1024; i++) {
        Decision d = engine.check(tokens[random.nextInt(tokens.length)], true);
        sink += d.hashCode();
      }
      ops += 1024;
      now = System.nanoTime();
    } while (now < end);
    if (sink == 42) {
      System.out.print("");
    }
    return ops / ((now - start) / 1e9);
  }

  static void plot(File file, List<Row> rows) throws IOException {
    int k = rows.size();
    double[] xs = new double[k];
    double[] rate = new double[k];
    double[] bytes = new double[k];
    double[] p50 = new double[k];
    double[] p99 = new double[k];
    double[] max = new double[k];
    for (int i = 0; i < k; i++) {
      Row r = rows.get(i);
      xs[i] = r.sessions();
      rate[i] = r.checksPerSecond();
      bytes[i] = r.bytesPerSession();
      p50[i] = r.p50();
      p99[i] = r.p99();
      max[i] = r.max();
    }
    LogPlot.write(file, "Curfew: how cost grows with live sessions (curfew-bench Scaling)", "live sessions", List.of(
        new LogPlot.Panel("check-and-touch, one thread", "checks/s", List.of(new LogPlot.Series("checks/s", xs, rate))),
        new LogPlot.Panel("heap per live session", "bytes", List.of(new LogPlot.Series("bytes", xs, bytes))),
        new LogPlot.Panel("expiry lateness (1 ms driver)", "ms", List.of(new LogPlot.Series("p50", xs, p50),
            new LogPlot.Series("p99", xs, p99), new LogPlot.Series("max", xs, max)))));
  }

}

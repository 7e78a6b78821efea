package dev.curfew.bench.reliability;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The soak: a real {@code curfew serve} holding a population of live sessions (50,000 by default)
 * under paced mixed traffic for a while (10 minutes by default): touches, passive reads,
 * extensions, warning acknowledgements, logouts, revocations, reads of ended sessions, and a short
 * policy whose sessions keep expiring (and being replaced), so that the timers fire all along.
 * Every answer is judged as in the crash loop. It reports:
 * <ul>
 *   <li>heap: the live heap after a full GC once the population is open and again after the
 *       traffic (same population), and the heap after each young GC minute by minute (GC log);
 *   <li>errors: unexpected answers, requests without an answer, and ledger violations;
 *   <li>lateness: {@code lateness_ms} of every timer-detected expiry in the traffic window, from the
 *       audit trail after a clean stop, against the bound of docs/benchmarks.md (p99 ≤ 5 ms, max ≤ 20 ms);
 *   <li>that the audit log verifies.
 * </ul>
 * Usage: {@code Soak --server "java -jar curfew-server/target/curfew.jar" [--sessions N] [--seconds S]
 * [--rate OPS_PER_S] [--workers W] [--work DIR] [--seed S]}.
 */
public final class Soak {
  public record Options(int sessions, int seconds, double rate, int workers, List<String> server, Path work, long seed,
      List<String> jvmOptions) {
    public static Options defaults(List<String> server, Path work) {
      return new Options(50_000, 600, 1000, 16, server, work, 1, List.of("-Xmx1g"));
    }

    public Options with(int sessions, int seconds, double rate) {
      return new Options(sessions, seconds, rate, workers, server, work, seed, jvmOptions);
    }
  }

  /** Heap after young GCs within one minute of the traffic window, in MiB. */
  public record HeapMinute(int minute, int collections, double minMiB, double maxMiB) {}

  public record Report(int sessions, int seconds, long fillMs, Map<String, Long> acknowledged, double opsPerSecond,
      long failures, long errors, long violations, List<String> firstViolations, double heapAfterFillMiB,
      double heapAfterTrafficMiB, List<HeapMinute> heapByMinute, Lateness.Figures lateness, long liveAtEnd,
      int verifyExit, String loadBefore, String loadAfter) {
    public double heapGrowthMiB() {
      return heapAfterTrafficMiB - heapAfterFillMiB;
    }

    /** The published lateness target (docs/benchmarks.md): p99 ≤ 5 ms, max ≤ 20 ms. */
    public boolean latenessTargetHeld() {
      return lateness.p99() <= 5 && lateness.max() <= 20;
    }
  }

  static final long ENDED_RETENTION_MS = 30_000;

  /** Rate limits off: one client address holds 50,000 sessions and reads forgotten ones (docs/reliability.md). */
  private static final String CONFIG = """
      snapshot_interval: 10s
      rate_limits:
        enabled: false
      ended_retention: 30s
      default_policy: long
      policies:
        long:
          idle_timeout: 30m
          absolute_timeout: 12h
          warn_before: 2m
          max_extensions: 10
        short:
          idle_timeout: 15s
          absolute_timeout: 1m
          warn_before: 5s
          max_extensions: 1
      """;

  private final Options o;
  private final PrintStream out;

  public Soak(Options options, PrintStream out) {
    this.o = options;
    this.out = out;
  }

  public Report run() throws Exception {
    Files.createDirectories(o.work());
    Path data = o.work().resolve("data");
    Path config = o.work().resolve("curfew.yaml");
    Path gcLog = o.work().resolve("gc.log");
    Files.writeString(config, CONFIG);
    List<String> jvm = new ArrayList<>(o.jvmOptions());
    jvm.add("-Xlog:gc:file=" + gcLog + ":uptime");
    String loadBefore = CrashLoop.loadAverage();
    out.printf("soak: %d sessions, %d s, %.0f ops/s, %d workers; load average %s; work dir %s%n", o.sessions(),
        o.seconds(), o.rate(), o.workers(), loadBefore, o.work());
    ServerProcess server = ServerProcess.start(o.server(), jvm, config, data, o.work().resolve("server.log"));
    try {
      return measure(server, data, gcLog, loadBefore);
    } finally {
      if (server.alive()) server.kill();
    }
  }

  private Report measure(ServerProcess server, Path data, Path gcLog, String loadBefore) throws Exception {
    int port = server.awaitReady(120_000);
    Api api = new Api(Api.client(), port, Files.readString(data.resolve("api-key")).trim());
    List<Traffic.PolicySpec> policies = new ArrayList<>(Collections.nCopies(19,
        new Traffic.PolicySpec("long", 1_800_000, 43_200_000)));
    policies.add(new Traffic.PolicySpec("short", 15_000, 60_000)); // 1 in 20 opens: keeps expiring
    Judge judge = new Judge(ENDED_RETENTION_MS);
    Traffic traffic = new Traffic(new Traffic.Settings(o.workers(), o.sessions() / o.workers(), o.rate(), policies, false),
        judge, o.seed());

    long fillStart = System.nanoTime();
    traffic.start(api, true);
    if (!traffic.awaitFilled(600_000)) throw new IllegalStateException("the population did not open within 10 minutes");
    traffic.stop();
    long fillMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fillStart);
    double heapAfterFill = fullGc(server.pid(), gcLog);
    out.printf("opened %d sessions in %.1f s; heap after a full GC: %.1f MiB%n", traffic.active(), fillMs / 1000.0, heapAfterFill);

    long windowStart = System.currentTimeMillis();
    double uptimeAtStart = lastUptime(gcLog);
    traffic.start(api);
    long acknowledgedBefore = total(traffic.acknowledged());
    long started = System.nanoTime();
    for (int tick = 1; System.nanoTime() - started < TimeUnit.SECONDS.toNanos(o.seconds()); tick++) {
      Thread.sleep(Math.min(10_000, Math.max(1, TimeUnit.SECONDS.toMillis(o.seconds())
          - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))));
      out.printf("%5.0f s: %d acknowledged operations, %d sessions held, %d live on the server, %d failures, %d errors,"
              + " %d violations; load average %s%n", (System.nanoTime() - started) / 1e9,
          total(traffic.acknowledged()) - acknowledgedBefore, traffic.active(), liveSessions(api), traffic.failures(),
          traffic.errors(), judge.count(), CrashLoop.loadAverage());
    }
    traffic.stop();
    long windowEnd = System.currentTimeMillis();
    double elapsed = (System.nanoTime() - started) / 1e9;
    long acknowledged = total(traffic.acknowledged()) - acknowledgedBefore;
    long liveAtEnd = liveSessions(api);
    double heapAfterTraffic = fullGc(server.pid(), gcLog);
    List<HeapMinute> minutes = heapByMinute(GcLog.read(gcLog), uptimeAtStart, o.seconds());
    int exit = server.stop();
    if (exit != 0 && exit != 143) judge.violation("stop", null, "clean stop exited " + exit);
    int verify = verify(data);
    if (verify != 0) judge.violation("audit", null, "audit verify exited " + verify);
    Lateness.Figures lateness = Lateness.read(data, windowStart, windowEnd);
    Report r = new Report(o.sessions(), o.seconds(), fillMs, traffic.acknowledged(), acknowledged / elapsed,
        traffic.failures(), traffic.errors(), judge.count(), judge.first(), heapAfterFill, heapAfterTraffic, minutes,
        lateness, liveAtEnd, verify, loadBefore, CrashLoop.loadAverage());
    print(r);
    return r;
  }

  /** Runs a full GC in the server ({@code jcmd PID GC.run}) and returns the heap after it, in MiB. */
  private static double fullGc(long pid, Path gcLog) throws Exception {
    int before = (int) GcLog.read(gcLog).stream().filter(GcLog.Collection::full).count();
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    ServerProcess.Result r = ServerProcess.run(List.of(jcmd), List.of(Long.toString(pid), "GC.run"), 120_000);
    if (r.exit() != 0) throw new IllegalStateException("jcmd GC.run failed: " + r.output());
    for (int i = 0; i < 100; i++) {
      List<GcLog.Collection> full = GcLog.read(gcLog).stream().filter(GcLog.Collection::full).toList();
      if (full.size() > before) return full.get(full.size() - 1).afterMiB();
      Thread.sleep(100);
    }
    throw new IllegalStateException("no full GC in " + gcLog + " after jcmd GC.run");
  }

  private static double lastUptime(Path gcLog) throws IOException {
    List<GcLog.Collection> all = GcLog.read(gcLog);
    return all.isEmpty() ? 0 : all.get(all.size() - 1).uptimeSeconds();
  }

  static List<HeapMinute> heapByMinute(List<GcLog.Collection> all, double fromUptime, int seconds) {
    List<HeapMinute> out = new ArrayList<>();
    for (int m = 0; m * 60 < seconds; m++) {
      double lo = fromUptime + m * 60;
      double hi = lo + 60;
      List<GcLog.Collection> in = all.stream()
          .filter(c -> !c.full() && c.uptimeSeconds() > lo && c.uptimeSeconds() <= hi).toList();
      if (in.isEmpty()) continue;
      out.add(new HeapMinute(m + 1, in.size(), in.stream().mapToDouble(GcLog.Collection::afterMiB).min().orElse(0),
          in.stream().mapToDouble(GcLog.Collection::afterMiB).max().orElse(0)));
    }
    return out;
  }

  private static long liveSessions(Api api) {
    try {
      for (String line : api.metrics().body().split("\n")) {
        if (line.startsWith("curfew_live_sessions ")) return (long) Double.parseDouble(line.substring(21).trim());
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return -1;
  }

  private int verify(Path data) throws IOException, InterruptedException {
    ServerProcess.Result key = ServerProcess.run(o.server(), List.of("audit", "public-key", "--data", data.toString()), 120_000);
    Path pub = o.work().resolve("curfew.pub");
    Files.writeString(pub, key.output().trim() + "\n");
    ServerProcess.Result r = ServerProcess.run(o.server(),
        List.of("audit", "verify", "--data", data.toString(), "--public-key", pub.toString()), 600_000);
    if (r.exit() != 0) out.println("audit verify: " + r.output());
    return r.exit();
  }

  private static long total(Map<String, Long> m) {
    return m.values().stream().mapToLong(Long::longValue).sum();
  }

  private void print(Report r) {
    out.println("---- soak report");
    out.printf("%d sessions opened in %.1f s, then %d s of traffic at %.0f acknowledged operations/s: %s%n",
        r.sessions(), r.fillMs() / 1000.0, r.seconds(), r.opsPerSecond(), r.acknowledged());
    out.printf("live sessions on the server at the end: %d%n", r.liveAtEnd());
    out.printf("errors: %d unexpected answers, %d requests without an answer, %d violations%n", r.errors(), r.failures(),
        r.violations());
    r.firstViolations().forEach(v -> out.println("  " + v));
    out.printf("heap after full GC: %.1f MiB after opening, %.1f MiB after the traffic (%+.1f MiB)%n",
        r.heapAfterFillMiB(), r.heapAfterTrafficMiB(), r.heapGrowthMiB());
    for (HeapMinute m : r.heapByMinute()) {
      out.printf("  minute %d: %d young GCs, heap after them %.0f-%.0f MiB%n", m.minute(), m.collections(), m.minMiB(), m.maxMiB());
    }
    out.printf("lateness: %s; target p99 <= 5 ms, max <= 20 ms: %s%n", r.lateness().describe(),
        r.latenessTargetHeld() ? "held" : "NOT held");
    out.printf("audit verify exit %d; load average %s before, %s after%n", r.verifyExit(), r.loadBefore(), r.loadAfter());
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.defaults(List.of("java", "-jar", "curfew-server/target/curfew.jar"),
        Files.createTempDirectory("curfew-soak"));
    int sessions = o.sessions();
    int seconds = o.seconds();
    double rate = o.rate();
    int workers = o.workers();
    List<String> server = o.server();
    Path work = o.work();
    long seed = o.seed();
    for (int i = 0; i + 1 < args.length; i += 2) {
      String v = args[i + 1];
      switch (args[i]) {
        case "--sessions" -> sessions = Integer.parseInt(v);
        case "--seconds" -> seconds = Integer.parseInt(v);
        case "--rate" -> rate = Double.parseDouble(v);
        case "--workers" -> workers = Integer.parseInt(v);
        case "--server" -> server = List.of(v.trim().split("\\s+"));
        case "--work" -> work = Path.of(v);
        case "--seed" -> seed = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Report r = new Soak(new Options(sessions, seconds, rate, workers, server, work, seed, o.jvmOptions()), System.out).run();
    boolean ok = r.violations() == 0 && r.errors() == 0 && r.failures() == 0 && r.verifyExit() == 0;
    System.exit(ok ? 0 : 1);
  }
}

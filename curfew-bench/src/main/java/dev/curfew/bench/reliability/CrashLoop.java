package dev.curfew.bench.reliability;

import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The crash loop: a real {@code curfew serve} under mixed load, killed with SIGKILL at random
 * moments (some while it is still starting, i.e. recovering), restarted, and checked after every
 * restart against the harness's own ledger of acknowledged changes:
 * <ul>
 *   <li>no acknowledged change lost: every session opened is known (by token and by id), still
 *       valid unless it ended, and ended only for a reason it was given or by a timeout no earlier
 *       than its durable activity allows;
 *   <li>nothing ended revived: a session acknowledged or seen as ended is never valid again, and no
 *       session is valid past its latest possible deadline;
 *   <li>the audit log verifies ({@code curfew audit verify}) after every kill, against the last
 *       checkpoint the server published before it (so nothing it covered was lost or rewritten);
 *   <li>at the end, after a clean stop, the log itself: each acknowledged session and ending is
 *       recorded, no session ends twice, nothing follows an ending but refusals.
 * </ul>
 * Usage: {@code CrashLoop --kills N --server "java -jar curfew-server/target/curfew.jar" [--work DIR]
 * [--seed S] [--workers W] [--load-ms MIN:MAX] [--startup-kills FRACTION]}. Exit 0 when nothing was
 * violated.
 */
public final class CrashLoop {
  /** What to run; see the class comment for the command-line names. */
  public record Options(int kills, List<String> server, Path work, long seed, int workers, long loadMinMs,
      long loadMaxMs, double startupKillFraction, List<String> jvmOptions) {
    public static Options defaults(List<String> server, Path work) {
      return new Options(50, server, work, System.nanoTime(), 4, 300, 3000, 0.15, List.of("-Xmx512m"));
    }

    public Options withKills(int n) {
      return new Options(n, server, work, seed, workers, loadMinMs, loadMaxMs, startupKillFraction, jvmOptions);
    }

    public Options withSeed(long s) {
      return new Options(kills, server, work, s, workers, loadMinMs, loadMaxMs, startupKillFraction, jvmOptions);
    }

    public Options withLoadMs(long min, long max) {
      return new Options(kills, server, work, seed, workers, min, max, startupKillFraction, jvmOptions);
    }

    public Options withWorkers(int w) {
      return new Options(kills, server, work, seed, w, loadMinMs, loadMaxMs, startupKillFraction, jvmOptions);
    }

    public Options withStartupKillFraction(double f) {
      return new Options(kills, server, work, seed, workers, loadMinMs, loadMaxMs, f, jvmOptions);
    }
  }

  /** The outcome: counts for the report, and the violations (empty when all held). */
  public record Report(int kills, int killsDuringStart, int verifyRuns, long sessions, java.util.Map<String, Long> acknowledged,
      long checks, List<Long> restartMillis, long auditRecords, java.util.Map<String, Long> auditTypes,
      long violations, List<String> firstViolations, long elapsedMs) {
    public boolean passed() {
      return violations == 0;
    }
  }

  static final List<Traffic.PolicySpec> POLICIES = List.of(
      new Traffic.PolicySpec("long", 600_000, 3_600_000),
      new Traffic.PolicySpec("short", 2_000, 6_000));

  /** Rate limits off: the harness is one client opening and ending sessions fast (docs/reliability.md). */
  private static final String CONFIG = """
      snapshot_interval: 1s
      rate_limits:
        enabled: false
      default_policy: long
      policies:
        long:
          idle_timeout: 10m
          absolute_timeout: 1h
          warn_before: 1m
          max_extensions: 3
        short:
          idle_timeout: 2s
          absolute_timeout: 6s
          warn_before: 1s
          max_extensions: 2
      """;

  private final Options options;
  private final PrintStream out;
  private final Judge judge = new Judge();
  private final Random random;
  private final HttpClient http = Api.client();
  private final Path data;
  private final Path config;
  private final Path serverLog;
  private final Path publicKey;
  private final Path kept;
  private int verifyRuns;
  private long checks;
  private boolean haveCheckpoint;

  public CrashLoop(Options options, PrintStream out) throws IOException {
    this.options = options;
    this.out = out;
    this.random = new Random(options.seed());
    Files.createDirectories(options.work());
    this.data = options.work().resolve("data");
    this.config = options.work().resolve("curfew.yaml");
    this.serverLog = options.work().resolve("server.log");
    this.publicKey = options.work().resolve("curfew.pub");
    this.kept = options.work().resolve("kept-checkpoint.txt");
    Files.writeString(config, CONFIG);
  }

  /** Runs the loop; whatever happens, no server it started is left running. */
  public Report run() throws Exception {
    Thread killer = new Thread(this::killCurrent, "crash-loop-cleanup");
    Runtime.getRuntime().addShutdownHook(killer);
    try {
      return loop();
    } finally {
      killCurrent();
      Runtime.getRuntime().removeShutdownHook(killer);
    }
  }

  private volatile ServerProcess current;

  private ServerProcess spawn() throws IOException {
    current = ServerProcess.start(options.server(), options.jvmOptions(), config, data, serverLog);
    return current;
  }

  private void killCurrent() {
    ServerProcess s = current;
    if (s != null && s.alive()) {
      try {
        s.kill();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Acknowledged operations other than opens that each load window runs before its kill. */
  static final int MIN_MIXED_PER_LOAD = 25;

  private static long mixedOperations(Traffic traffic) {
    return traffic.acknowledged().entrySet().stream().filter(e -> !e.getKey().equals("opened"))
        .mapToLong(java.util.Map.Entry::getValue).sum();
  }

  private Report loop() throws Exception {
    long began = System.nanoTime();
    out.printf("crash loop: %d kills, seed %d, work dir %s%n", options.kills(), options.seed(), options.work());
    Traffic traffic = new Traffic(new Traffic.Settings(options.workers(), 40, 0, POLICIES, true), judge, options.seed());
    List<Long> restartMs = new ArrayList<>();
    int duringStart = 0;
    String apiKey = null;
    for (int kill = 1; kill <= options.kills(); kill++) {
      ServerProcess server = spawn();
      if (kill > 1 && random.nextDouble() < options.startupKillFraction()) {
        long waitMs = 300 + random.nextInt(2700); // JVM start, recovery, or just after listening
        Thread.sleep(waitMs);
        boolean ready = server.ready();
        server.kill();
        duringStart++;
        out.printf("kill %d: SIGKILL %d ms after spawn, %s%n", kill, waitMs, ready ? "after it listened, before load"
            : "while it was starting (recovering)");
        verify(kill);
        continue;
      }
      int port = awaitReady(server);
      if (port < 0) break;
      restartMs.add(server.startMillis());
      if (apiKey == null) {
        apiKey = Files.readString(data.resolve("api-key")).trim();
        ServerProcess.Result k = ServerProcess.run(options.server(), List.of("audit", "public-key", "--data", data.toString()), 60_000);
        if (k.exit() != 0) throw new IllegalStateException("audit public-key failed: " + k.output());
        Files.writeString(publicKey, k.output().trim() + "\n");
      }
      Api api = new Api(http, port, apiKey);
      int checked = checkAll(api, traffic.ledger(), "after restart " + (kill - 1));
      long mixedBefore = mixedOperations(traffic);
      traffic.start(api);
      long loadMs = options.loadMinMs() + (long) (random.nextDouble() * (options.loadMaxMs() - options.loadMinMs()));
      Thread.sleep(loadMs);
      // A busy machine may spend the whole window refilling the population with opens: the kill
      // waits (at most a minute) until the mixed load (touches, extensions, ends, reads) has run too.
      long waitUntil = System.nanoTime() + 60_000_000_000L;
      while (mixedOperations(traffic) < mixedBefore + MIN_MIXED_PER_LOAD && System.nanoTime() < waitUntil) {
        Thread.sleep(20);
      }
      keepCheckpoint(api);
      Thread.sleep(random.nextInt(200)); // a few more acknowledged changes after the checkpoint
      server.kill();
      traffic.stop();
      long[] rec = server.recovered();
      out.printf("kill %d: SIGKILL after %d ms of load; started in %d ms (recovered %s live, %s expired while down);"
              + " %d sessions checked; %d tracked, %d violations so far; load average %s%n", kill, loadMs,
          server.startMillis(), rec == null ? "?" : rec[0], rec == null ? "?" : rec[1], checked, traffic.ledger().size(),
          judge.count(), loadAverage());
      verify(kill);
    }
    // The last restart: check everything once more, stop cleanly, verify, and read the log itself.
    ServerProcess server = spawn();
    int port = awaitReady(server);
    if (port > 0 && apiKey != null) {
      restartMs.add(server.startMillis());
      Api api = new Api(http, port, apiKey);
      int checked = checkAll(api, traffic.ledger(), "after the last restart");
      keepCheckpoint(api);
      int exit = server.stop(); // 143: the JVM's exit after SIGTERM once its shutdown hook ran
      if (exit != 0 && exit != 143) judge.violation("stop", null, "clean stop exited " + exit + ": " + server.tail());
      out.printf("final: started in %d ms, %d sessions checked, stopped cleanly (exit %d)%n", server.startMillis(), checked, exit);
    }
    verify(options.kills() + 1);
    AuditLogCheck.Summary log = AuditLogCheck.check(data, traffic.ledger(), judge);
    if (!"node.stopped".equals(log.lastType())) {
      judge.violation("log", null, "the last record after the clean stop is " + log.lastType() + ", not node.stopped");
    }
    Report report = new Report(options.kills(), duringStart, verifyRuns, traffic.ledger().size(), traffic.acknowledged(),
        checks, restartMs, log.records(), log.byType(), judge.count(), judge.first(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
    print(report);
    return report;
  }

  /** The port, or -1 (a violation) when the server did not come up: a crash must never keep it down. */
  private int awaitReady(ServerProcess server) throws InterruptedException {
    try {
      return server.awaitReady(120_000);
    } catch (Exception e) {
      judge.violation("restart", null, "the server did not start after a crash: " + e.getMessage());
      if (server.alive()) server.kill();
      return -1;
    }
  }

  /** Asks the server about every tracked session, by token and by id, in parallel. */
  private int checkAll(Api api, List<Tracked> ledger, String context) throws Exception {
    if (ledger.isEmpty()) return 0;
    List<Tracked> shuffled = new ArrayList<>(ledger);
    Collections.shuffle(shuffled, random);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> futures = new ArrayList<>();
      int slice = (shuffled.size() + 7) / 8;
      for (int i = 0; i < shuffled.size(); i += slice) {
        List<Tracked> part = shuffled.subList(i, Math.min(shuffled.size(), i + slice));
        futures.add(pool.submit(() -> {
          for (Tracked t : part) check(api, t, context);
          return null;
        }));
      }
      for (Future<?> f : futures) f.get(10, TimeUnit.MINUTES);
    } finally {
      pool.shutdownNow();
    }
    checks += ledger.size();
    return ledger.size();
  }

  /** A check's request, retried: on a machine this loaded an answer can take longer than a timeout. */
  private Api.Answer patiently(Traffic.Call call, Tracked t, String context) throws InterruptedException {
    IOException last = null;
    for (int attempt = 0; attempt < 4; attempt++) {
      try {
        return call.send();
      } catch (IOException e) {
        last = e;
        Thread.sleep(500L << attempt);
      }
    }
    judge.violation("unanswered", t, context + ": no answer in 4 attempts: " + last);
    return null;
  }

  private void check(Api api, Tracked t, String context) throws IOException, InterruptedException {
    Api.Answer byToken = patiently(() -> api.status(t.token), t, context);
    if (byToken == null) return;
    long now = System.currentTimeMillis();
    if (byToken.status() == 200) {
      judge.answer(t, true, null, now, context + " (token)");
    } else if (byToken.status() == 401) {
      judge.answer(t, false, byToken.reason(), now, context + " (token)");
    } else {
      judge.violation("error", t, context + ": GET /v1/session answered " + byToken.status() + " " + byToken.body());
    }
    Api.Answer byId = patiently(() -> api.get(t.sessionId), t, context);
    if (byId == null) return;
    now = System.currentTimeMillis();
    switch (byId.status()) {
      case 200 -> judge.answer(t, true, null, now, context + " (id)");
      case 410 -> judge.answer(t, false, byId.reason(), now, context + " (id)");
      case 404 -> judge.violation("lost", t, context + ": GET /v1/sessions/{id} answered 404");
      default -> judge.violation("error", t, context + ": GET /v1/sessions/{id} answered " + byId.status() + " " + byId.body());
    }
  }

  /** The 1-minute load average (Linux), to say how busy the machine was; "?" elsewhere. */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  /** Keeps the checkpoint the server publishes now: every later log must extend it. */
  private void keepCheckpoint(Api api) throws IOException, InterruptedException {
    Api.Answer c = api.checkpoint();
    if (c.status() == 200) {
      Files.writeString(kept, c.body());
      haveCheckpoint = true;
    }
  }

  private void verify(int after) throws IOException, InterruptedException {
    if (!Files.exists(publicKey)) return; // killed before the first start finished: nothing to verify against yet
    List<String> args = new ArrayList<>(List.of("audit", "verify", "--data", data.toString(), "--public-key", publicKey.toString()));
    if (haveCheckpoint) args.addAll(List.of("--trusted-checkpoint", kept.toString()));
    ServerProcess.Result r = ServerProcess.run(options.server(), args, 300_000);
    verifyRuns++;
    if (r.exit() != 0) {
      judge.violation("audit", null, "audit verify after kill " + after + " exited " + r.exit() + ": " + r.output().trim());
      Files.writeString(options.work().resolve("verify-failure-" + after + ".txt"), r.output(), StandardCharsets.UTF_8);
    }
  }

  private void print(Report r) {
    List<Long> sorted = new ArrayList<>(r.restartMillis());
    Collections.sort(sorted);
    out.println("---- crash loop report");
    out.printf("kills (SIGKILL): %d, of which during start-up: %d; audit verify runs: %d (all exit 0: %s)%n",
        r.kills(), r.killsDuringStart(), r.verifyRuns(), r.firstViolations().stream().noneMatch(v -> v.startsWith("audit")));
    out.printf("sessions tracked: %d; acknowledged operations: %s%n", r.sessions(), r.acknowledged());
    out.printf("session checks after restarts (token and id): %d%n", r.checks());
    if (!sorted.isEmpty()) {
      out.printf("start to listening: min %d ms, median %d ms, max %d ms (%d starts)%n", sorted.get(0),
          sorted.get(sorted.size() / 2), sorted.get(sorted.size() - 1), sorted.size());
    }
    out.printf("audit log: %d records: %s%n", r.auditRecords(), r.auditTypes());
    out.printf("violations: %d%n", r.violations());
    r.firstViolations().forEach(v -> out.println("  " + v));
    out.printf("elapsed: %.1f s; result: %s%n", r.elapsedMs() / 1000.0, r.passed() ? "PASS" : "FAIL");
  }

  public static void main(String[] args) throws Exception {
    Options o = Options.defaults(List.of("java", "-jar", "curfew-server/target/curfew.jar"),
        Files.createTempDirectory("curfew-crash-loop"));
    for (int i = 0; i < args.length; i += 2) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null) throw new IllegalArgumentException(args[i] + " needs a value");
      switch (args[i]) {
        case "--kills" -> o = o.withKills(Integer.parseInt(v));
        case "--server" -> o = new Options(o.kills(), List.of(v.trim().split("\\s+")), o.work(), o.seed(), o.workers(),
            o.loadMinMs(), o.loadMaxMs(), o.startupKillFraction(), o.jvmOptions());
        case "--work" -> o = new Options(o.kills(), o.server(), Path.of(v), o.seed(), o.workers(), o.loadMinMs(),
            o.loadMaxMs(), o.startupKillFraction(), o.jvmOptions());
        case "--seed" -> o = o.withSeed(Long.parseLong(v));
        case "--workers" -> o = o.withWorkers(Integer.parseInt(v));
        case "--load-ms" -> {
          String[] mm = v.split(":");
          o = o.withLoadMs(Long.parseLong(mm[0]), Long.parseLong(mm[1]));
        }
        case "--startup-kills" -> o = o.withStartupKillFraction(Double.parseDouble(v));
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    Report r = new CrashLoop(o, System.out).run();
    System.exit(r.passed() ? 0 : 1);
  }
}

package dev.curfew.bench;

import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.store.embedded.AuditFileVerifier;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.AuditTrail;
import dev.curfew.store.embedded.EmbeddedStore;
import dev.curfew.store.embedded.FileAuditLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The audit trail on disk, through the store's own writer (FileAuditLog group commit, fsync per
 * batch) with the AuditTrail attached (Merkle tree in a FileHashStore, a signed checkpoint every
 * second, the session index):
 *
 * <pre>
 * java -cp curfew-bench/target/curfew-bench.jar dev.curfew.bench.AuditTrailBenchmark append DIR [records] [threads]
 *   threads append one record per call, each with up to 256 calls in flight (like concurrent API requests)
 * java -cp ... AuditTrailBenchmark build DIR [records]      writes a log fast (1000-record appends)
 * java -cp ... AuditTrailBenchmark verify DIR               audit verify over the files (kept and archived)
 * java -cp ... AuditTrailBenchmark evidence DIR [lookups]   reopens the trail, times evidence bundles
 * </pre>
 */
public final class AuditTrailBenchmark {
  private static final int WINDOW = 256;

  private AuditTrailBenchmark() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path dir = Path.of(args[1]);
    System.out.println("load average at start: " + Files.readString(Path.of("/proc/loadavg")).trim());
    switch (mode) {
      case "append" -> append(dir, arg(args, 2, 2_000_000), (int) arg(args, 3, 4));
      case "build" -> build(dir, arg(args, 2, 10_000_000));
      case "verify" -> verify(dir);
      case "evidence" -> evidence(dir, (int) arg(args, 2, 200));
      default -> throw new IllegalArgumentException("mode: append | build | verify | evidence");
    }
    System.out.println("load average at end: " + Files.readString(Path.of("/proc/loadavg")).trim());
  }

  private static long arg(String[] args, int i, long dflt) {
    return args.length > i ? Long.parseLong(args[i]) : dflt;
  }

  record Opened(AuditTrail trail, FileAuditLog log) {
    void close() throws IOException {
      log.close();
      trail.close();
    }
  }

  static Opened open(Path dir, AtomicLong fsyncs) throws IOException {
    SystemClock clock = new SystemClock();
    AuditTrail trail = AuditTrail.open(dir, AuditTrail.Settings.defaults(), "bench", clock);
    FileAuditLog log = FileAuditLog.open(dir, EmbeddedStore.Options.defaults().withClock(clock)
        .withLeafListener(trail).withLogMetrics((nanos, records) -> fsyncs.incrementAndGet()), "bench");
    trail.attach(log);
    return new Opened(trail, log);
  }

  static void append(Path dir, long records, int threads) throws Exception {
    AtomicLong fsyncs = new AtomicLong();
    Opened o = open(dir, fsyncs);
    long per = records / threads;
    List<Thread> ts = new ArrayList<>();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        Random random = new Random(id);
        CompletableFuture<?>[] window = new CompletableFuture<?>[WINDOW];
        for (long i = 0; i < per; i++) {
          int seq = (int) (id * per + i);
          AuditRecord r = AuditVerifyBenchmark.record(seq, random);
          int slot = (int) (i % WINDOW);
          if (window[slot] != null) window[slot].join(); // at most WINDOW appends in flight per thread
          window[slot] = o.log().append(List.of(r), List.of());
        }
        for (CompletableFuture<?> f : window) if (f != null) f.join();
      });
      th.start();
      ts.add(th);
    }
    for (Thread th : ts) th.join();
    double s = (System.nanoTime() - start) / 1e9;
    long n = per * threads;
    long checkpointsBefore = Files.readAllLines(AuditFiles.of(dir).checkpointsFile()).size();
    o.close();
    System.out.printf("append: %,d records in %.2f s = %,.0f records/s durable (%d threads x %d in flight);"
            + " %,d fsync group commits (%.0f records each); %d checkpoints while appending%n",
        n, s, n / s, threads, WINDOW, fsyncs.get(), (double) n / fsyncs.get(), checkpointsBefore);
  }

  static void build(Path dir, long records) throws Exception {
    AtomicLong fsyncs = new AtomicLong();
    Opened o = open(dir, fsyncs);
    Random random = new Random(7);
    long start = System.nanoTime();
    CompletableFuture<?> last = null;
    List<AuditRecord> batch = new ArrayList<>(1000);
    for (int seq = 0; seq < records; seq++) {
      batch.add(AuditVerifyBenchmark.record(seq, random));
      if (batch.size() == 1000) {
        last = o.log().append(batch, List.of());
        batch = new ArrayList<>(1000);
      }
    }
    if (!batch.isEmpty()) last = o.log().append(batch, List.of());
    if (last != null) last.join();
    double s = (System.nanoTime() - start) / 1e9;
    o.close();
    System.out.printf("build: %,d records in %.1f s = %,.0f records/s (1000-record appends, %,d fsyncs)%n",
        records, s, records / s, fsyncs.get());
  }

  static void verify(Path dir) throws Exception {
    AuditFiles files = AuditFiles.of(dir);
    var key = AuditFiles.readSigner(files.defaultSigningKeyFile()).verifier();
    long start = System.nanoTime();
    AuditFileVerifier.Result r = AuditFileVerifier.verify(files, key, null, 1_000_000,
        n -> System.out.printf("  %,d records (%.1f s)%n", n, (System.nanoTime() - start) / 1e9));
    double s = (System.nanoTime() - start) / 1e9;
    if (!r.verification().ok()) throw new IllegalStateException("does not verify: " + r.verification().failure());
    long bytes = 0;
    for (Path p : files.segments().values()) bytes += Files.size(p);
    System.out.printf("verify: %,d records, %,d bytes, %d checkpoints in %.2f s = %,.0f records/s (%.0f MB/s)%n",
        r.verification().records(), bytes, r.verification().checkpointsVerified(), s,
        r.verification().records() / s, bytes / s / 1e6);
  }

  static void evidence(Path dir, int lookups) throws Exception {
    long t0 = System.nanoTime();
    Opened o = open(dir, new AtomicLong());
    System.out.printf("reopen (tree and index catch-up, last segment into memory): %.2f s; %,d records%n",
        (System.nanoTime() - t0) / 1e9, o.trail().size());
    long size = o.trail().size();
    Random random = new Random(3);
    double[] ms = new double[lookups];
    int entries = 0;
    for (int i = 0; i < lookups; i++) {
      // a session of the synthetic log: records seq/6; the last lookups hit the open (in-memory) segment
      long firstSeq = i < lookups - 10 ? (long) (random.nextDouble() * (size - 10)) / 6 * 6 : size - 6 * (lookups - i) - 6;
      String id = AuditVerifyBenchmark.record((int) firstSeq, new Random()).sessionId();
      long s = System.nanoTime();
      String bundle = o.trail().evidence(id).orElseThrow(() -> new IllegalStateException("no session " + id));
      ms[i] = (System.nanoTime() - s) / 1e6;
      if (i == 0 && !EvidenceBundle.verify(bundle, o.trail().verifier()).ok()) throw new IllegalStateException("bad bundle");
      entries += EvidenceBundle.verify(bundle, o.trail().verifier()).entries();
    }
    o.close();
    double[] sorted = ms.clone();
    Arrays.sort(sorted);
    System.out.printf("evidence: %d bundles (%.1f records each) in a %,d-record log: first %.1f ms, median %.2f ms,"
            + " p90 %.2f ms, p99 %.2f ms, max %.2f ms (each built, including its own verification)%n",
        lookups, (double) entries / lookups, size, ms[0], sorted[lookups / 2], sorted[lookups * 9 / 10],
        sorted[Math.min(lookups - 1, lookups * 99 / 100)], sorted[lookups - 1]);
  }
}

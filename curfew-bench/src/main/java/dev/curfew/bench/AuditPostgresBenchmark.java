package dev.curfew.bench;

import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.store.postgres.AuditDatabase;
import dev.curfew.store.postgres.AuditSchema;
import dev.curfew.store.postgres.PgAuditLog;
import dev.curfew.store.postgres.PgAuditVerifier;
import dev.curfew.store.postgres.PgConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Audit append to PostgreSQL, durable and batched: {@link PgAuditLog}'s group commit (records, new
 * tree nodes and token bindings in one statement per batch, committed with synchronous_commit on)
 * and a signed checkpoint every second, into a database created for the run and dropped after it.
 *
 * <pre>
 * java -cp curfew-bench/target/curfew-bench.jar dev.curfew.bench.AuditPostgresBenchmark \
 *     jdbc:postgresql://127.0.0.1:5432/postgres postgres [records] [threads] [warmup records]
 * </pre>
 *
 * The URL names the server and a database to connect to for CREATE/DROP DATABASE. Threads append
 * one record per call (like concurrent API requests), each with up to 256 calls in flight; the
 * latency of a call is from append to its future completing (committed). The records are those of
 * AuditVerifyBenchmark (six session event types, about 330 bytes each). After the run the whole
 * log is verified (every leaf, every checkpoint signature and root).
 */
public final class AuditPostgresBenchmark {
  private static final int WINDOW = 256;

  private AuditPostgresBenchmark() {}

  public static void main(String[] args) throws Exception {
    String url = args[0];
    String user = args[1];
    long records = args.length > 2 ? Long.parseLong(args[2]) : 1_000_000;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 4;
    long warmup = args.length > 4 ? Long.parseLong(args[4]) : 100_000;
    PgConfig admin = PgConfig.parse(url, user, System.getenv("PGPASSWORD"));
    String name = "curfew_bench_" + Long.toString(System.nanoTime() & 0xffffffffL, 36);
    sql(admin, "CREATE DATABASE " + name + " ENCODING 'UTF8' TEMPLATE template0");
    System.out.println("load average at start: " + Files.readString(Path.of("/proc/loadavg")).trim());
    System.out.println("PostgreSQL: " + query(admin, "SELECT version()") + "; synchronous_commit="
        + query(admin, "SHOW synchronous_commit") + ", fsync=" + query(admin, "SHOW fsync")
        + ", wal_sync_method=" + query(admin, "SHOW wal_sync_method"));
    PgConfig config = admin.withDatabase(name);
    try {
      AuditSchema.migrate(config);
      try (AuditDatabase db = AuditDatabase.connect(null, config, 4)) {
        NoteSigner signer = NoteSigner.generate("curfew/bench");
        PgAuditLog log = PgAuditLog.open(db, "bench", signer, PgAuditLog.Options.defaults().withClock(new SystemClock()));
        AtomicLong commits = new AtomicLong();
        log.commitListener((nanos, n) -> commits.incrementAndGet());
        if (warmup > 0) {
          run(log, warmup, threads, 0, new ConcurrentHistogram(3));
          System.out.printf("warm-up: %,d records%n", warmup);
        }
        long commitsBefore = commits.get();
        long checkpointsBefore = count(config, "SELECT count(*) FROM audit_checkpoints");
        Histogram latency = new ConcurrentHistogram(3);
        long start = System.nanoTime();
        long n = run(log, records, threads, warmup, latency);
        double s = (System.nanoTime() - start) / 1e9;
        long batches = commits.get() - commitsBefore;
        long checkpoints = count(config, "SELECT count(*) FROM audit_checkpoints") - checkpointsBefore;
        System.out.printf("append: %,d records in %.2f s = %,.0f records/s committed (%d threads x %d in flight);"
                + " %,d commits (%.0f records each); %d checkpoints while appending%n",
            n, s, n / s, threads, WINDOW, batches, (double) n / batches, checkpoints);
        System.out.printf("append to committed: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms%n",
            latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6,
            latency.getValueAtPercentile(99.9) / 1e6, latency.getMaxValue() / 1e6);
        System.out.println("load average after append: " + Files.readString(Path.of("/proc/loadavg")).trim());
        log.close();
        System.out.println("table sizes: records " + query(config, "SELECT pg_size_pretty(pg_total_relation_size('audit_records'))")
            + ", tree " + query(config, "SELECT pg_size_pretty(pg_total_relation_size('audit_tree'))"));
        long v0 = System.nanoTime();
        PgAuditVerifier.Result r = PgAuditVerifier.verify(db, List.of(signer.verifier()), List.of(), Long.MAX_VALUE, null);
        double vs = (System.nanoTime() - v0) / 1e9;
        if (!r.ok()) throw new IllegalStateException("the log does not verify: " + r);
        long total = r.nodes().get(0).verification().records();
        System.out.printf("verify: %,d records, %d checkpoints in %.2f s = %,.0f records/s%n", total,
            r.nodes().get(0).verification().checkpointsVerified(), vs, total / vs);
      }
    } finally {
      sql(admin, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  /** Appends {@code records} from {@code threads} threads; returns how many. */
  private static long run(PgAuditLog log, long records, int threads, long firstSeq, Histogram latency)
      throws InterruptedException {
    long per = records / threads;
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        Random random = new Random(id);
        @SuppressWarnings("unchecked")
        CompletableFuture<Void>[] window = new CompletableFuture[WINDOW];
        for (long i = 0; i < per; i++) {
          int seq = (int) (firstSeq + id * per + i);
          AuditRecord r = AuditVerifyBenchmark.record(seq, random);
          int slot = (int) (i % WINDOW);
          if (window[slot] != null) window[slot].join(); // at most WINDOW appends in flight per thread
          long t0 = System.nanoTime();
          window[slot] = log.append(List.of(r), List.of());
          window[slot].thenRun(() -> latency.recordValue(System.nanoTime() - t0));
        }
        for (CompletableFuture<?> f : window) if (f != null) f.join();
      });
      th.start();
      ts.add(th);
    }
    for (Thread th : ts) th.join();
    return per * threads;
  }

  private static void sql(PgConfig c, String sql) throws Exception {
    try (Connection conn = DriverManager.getConnection(c.jdbcUrl(), c.user(), c.password());
         Statement s = conn.createStatement()) {
      s.execute(sql);
    }
  }

  private static String query(PgConfig c, String sql) throws Exception {
    try (Connection conn = DriverManager.getConnection(c.jdbcUrl(), c.user(), c.password());
         Statement s = conn.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long count(PgConfig c, String sql) throws Exception {
    return Long.parseLong(query(c, sql));
  }
}

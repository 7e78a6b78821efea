package dev.curfew.bench;

import dev.curfew.core.EngineMetrics;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.store.redis.RedisSessionStore;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Expiry lateness across several nodes over one Redis: K Redis stores (each its own Vert.x instance
 * and connections, as separate nodes would have) share N sessions opened round-robin, whose idle
 * deadlines fall over about 20 s; each timer-claimed expiry's lateness (claim instant minus
 * deadline, both on Redis's clock, as the store records it in {@code lateness_ms}) goes into one
 * HdrHistogram. Every expiry must be claimed exactly once: the run fails otherwise.
 * Run: {@code java -cp curfew-bench.jar dev.curfew.bench.RedisLateness 50000 3 redis://127.0.0.1:6379}.
 */
public final class RedisLateness {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    String uri = args.length > 2 ? args[2] : "redis://127.0.0.1:6379";
    String prefix = "bench" + UUID.randomUUID().toString().substring(0, 8);
    Recorder lateness = new Recorder(3);
    AtomicLong expiries = new AtomicLong();
    AtomicLong notByTimer = new AtomicLong();
    EngineMetrics metrics = new EngineMetrics() {
      @Override
      public void expired(String detectedBy, long latenessMs) {
        expiries.incrementAndGet();
        if (detectedBy.equals("timer")) {
          lateness.recordValue(Math.max(0, latenessMs));
        } else {
          notByTimer.incrementAndGet();
        }
      }
    };
    List<Policy> list = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      // idle timeouts from 30 s to 49 s: expiries spread over about 20 s after the opening phase
      list.add(Policy.of("p" + i, Duration.ofSeconds(30 + i), Duration.ofHours(1), Duration.ofSeconds(10), 3));
    }
    List<Vertx> vertxes = new ArrayList<>();
    List<RedisSessionStore> stores = new ArrayList<>();
    for (int k = 0; k < nodes; k++) {
      Vertx vertx = Vertx.vertx();
      vertxes.add(vertx);
      Redis redis = Redis.createClient(vertx, new RedisOptions().setConnectionString(uri).setMaxPoolSize(8)
          .setMaxPoolWaiting(100_000));
      stores.add(RedisSessionStore.start(vertx, redis, "node" + k, new SystemClock(), new Policies(list, "p0"),
          new DiscardingSink(), null, null, metrics, RedisSessionStore.Settings.defaults().withPrefix(prefix)
              .withEndedRetention(Duration.ofMinutes(2)))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    }
    Semaphore inFlight = new Semaphore(256);
    long t0 = System.nanoTime();
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      SessionStore s = stores.get(i % nodes);
      s.open("user" + i, "p" + (i % 20), Map.of()).whenComplete((d, e) -> inFlight.release());
    }
    inFlight.acquire(256);
    double openSeconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("%d nodes opened %d sessions in %.1f s (%.0f/s)%n", nodes, n, openSeconds, n / openSeconds);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (expiries.get() < n && System.nanoTime() < deadline) {
      Thread.sleep(1000);
      System.out.printf("expired=%d live=%d%n", expiries.get(), stores.get(0).liveSessions());
    }
    Thread.sleep(6_000); // longer than a claim's lease: a repeat would show
    Histogram h = lateness.getIntervalHistogram();
    System.out.printf("expiries=%d (by timer %d, by request %d) lateness_ms p50=%d p99=%d p99.9=%d max=%d mean=%.2f%n",
        expiries.get(), h.getTotalCount(), notByTimer.get(), h.getValueAtPercentile(50), h.getValueAtPercentile(99),
        h.getValueAtPercentile(99.9), h.getMaxValue(), h.getMean());
    for (RedisSessionStore s : stores) s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    for (Vertx v : vertxes) v.close();
    if (expiries.get() != n) {
      System.out.printf("FAILED: %d sessions, %d expiries%n", n, expiries.get());
      System.exit(1);
    }
    System.exit(0);
  }
}

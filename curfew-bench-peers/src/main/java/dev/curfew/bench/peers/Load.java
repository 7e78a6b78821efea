package dev.curfew.bench.peers;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The two ways of driving a store for a fixed time, shared by every peer so that they are measured
 * alike: closed loops (each caller waits for its answer before the next request), and a bounded
 * number of asynchronous requests in flight issued by one thread (the way one event loop uses one
 * pipelined connection). Each runs a warm-up, then a measured interval; latencies (nanoseconds,
 * from the call to its answer) go into an HdrHistogram and the throughput is the number of answers
 * recorded in the interval divided by its length.
 */
final class Load {
  private Load() {}

  /** One synchronous operation on a random one of {@code n} sessions; false when it was refused. */
  interface SyncOp {
    boolean run(int index) throws Exception;
  }

  /** One asynchronous operation on a random session; completes with false when it was refused. */
  interface AsyncOp {
    CompletableFuture<Boolean> start(int index);
  }

  /** Told when the measured interval begins and ends (to read the server's counters there). */
  interface Window {
    Window NONE = new Window() {};

    default void begin() {}

    default void end() {}
  }

  /** The measured interval. */
  record Result(long answers, long refused, long failed, double seconds, Histogram latencyNanos, long cpuNanos) {
    double perSecond() {
      return answers / seconds;
    }

    /** CPU time of this whole process (every thread: callers, client, collector) per answer, in µs. */
    double cpuMicrosPerAnswer() {
      return answers == 0 ? 0 : cpuNanos / 1e3 / answers;
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  static Result closedLoop(int threads, int sessions, int warmupSeconds, int seconds, Window window, SyncOp op)
      throws InterruptedException {
    Recorder recorder = new Recorder(3);
    LongAdder refused = new LongAdder();
    LongAdder failed = new LongAdder();
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (!stop.get()) {
          long t0 = System.nanoTime();
          boolean ok;
          boolean threw = false;
          try {
            ok = op.run(random.nextInt(sessions));
          } catch (Exception e) {
            ok = false;
            threw = true;
            if (failed.sum() == 0) e.printStackTrace();
          }
          recorder.recordValue(System.nanoTime() - t0);
          if (threw) failed.increment();
          else if (!ok) refused.increment();
        }
      }, "load-" + t);
      w.setDaemon(true);
      workers.add(w);
      w.start();
    }
    return measure(recorder, refused, failed, warmupSeconds, seconds, window, () -> {
      stop.set(true);
      for (Thread w : workers) w.join(30_000);
    });
  }

  static Result inFlight(int limit, int sessions, int warmupSeconds, int seconds, Window window, AsyncOp op)
      throws InterruptedException {
    Recorder recorder = new Recorder(3);
    LongAdder refused = new LongAdder();
    LongAdder failed = new LongAdder();
    Semaphore permits = new Semaphore(limit);
    AtomicBoolean stop = new AtomicBoolean();
    Thread issuer = new Thread(() -> {
      SplittableRandom random = new SplittableRandom();
      try {
        while (!stop.get()) {
          if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS)) continue;
          long t0 = System.nanoTime();
          CompletableFuture<Boolean> answer;
          try {
            answer = op.start(random.nextInt(sessions));
          } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
          }
          answer.whenComplete((ok, e) -> {
            recorder.recordValue(System.nanoTime() - t0);
            if (e != null) {
              if (failed.sum() == 0) e.printStackTrace();
              failed.increment();
            } else if (!ok) {
              refused.increment();
            }
            permits.release();
          });
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "issuer");
    issuer.setDaemon(true);
    issuer.start();
    return measure(recorder, refused, failed, warmupSeconds, seconds, window, () -> {
      stop.set(true);
      issuer.join(30_000);
      if (!permits.tryAcquire(limit, 30, TimeUnit.SECONDS)) {
        System.err.println("warning: requests still in flight 30 s after the end");
      }
    });
  }

  private interface Stopper {
    void stop() throws InterruptedException;
  }

  private static Result measure(Recorder recorder, LongAdder refused, LongAdder failed, int warmupSeconds,
      int seconds, Window window, Stopper stopper) throws InterruptedException {
    Thread.sleep(warmupSeconds * 1000L);
    window.begin();
    recorder.getIntervalHistogram(); // drops the warm-up
    long refusedBefore = refused.sum();
    long failedBefore = failed.sum();
    long start = System.nanoTime();
    long cpuStart = processCpuNanos();
    Thread.sleep(seconds * 1000L);
    Histogram h = recorder.getIntervalHistogram();
    long end = System.nanoTime();
    long cpu = processCpuNanos() - cpuStart;
    window.end();
    long refusedIn = refused.sum() - refusedBefore;
    long failedIn = failed.sum() - failedBefore;
    stopper.stop();
    return new Result(h.getTotalCount(), refusedIn, failedIn, (end - start) / 1e9, h, cpu);
  }
}

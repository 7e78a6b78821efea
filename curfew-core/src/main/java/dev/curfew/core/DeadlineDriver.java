package dev.curfew.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The thread that makes timers real: it calls {@link SessionEngine#advanceTimers()} at each timer's
 * instant, so warnings and expiries fire within about a millisecond of their instant rather than at
 * the next sweep. Between timers it sleeps until the wheel's next one, at most {@link #MAX_SLEEP_MS};
 * a timer scheduled sooner than it sleeps to wakes it ({@link SessionEngine#driverSleepUntil}). So
 * an idle node wakes about a hundred times a second, not a thousand, and a loaded one as often as
 * timers are due. Lateness is measured by the engine ({@code lateness_ms}) and exported. Given a
 * {@link ClockWatch}, it also looks for wall-clock steps every {@link #WATCH_EVERY_MS}.
 */
public final class DeadlineDriver implements AutoCloseable {
  private final Thread thread;
  private volatile boolean running = true;
  /** Passes over the wheel so far; written by the driver thread only. */
  private volatile long passes;

  /** The longest sleep with no timer due. */
  static final long MAX_SLEEP_MS = 10;
  /** The wall clock is compared with the node's clock this often (milliseconds of the node's clock). */
  static final long WATCH_EVERY_MS = 10;

  public DeadlineDriver(SessionEngine engine) {
    this(engine, null);
  }

  /** With {@code watch} (may be null), wall-clock steps are also looked for every few milliseconds and recorded. */
  public DeadlineDriver(SessionEngine engine, ClockWatch watch) {
    this(engine, watch, MAX_SLEEP_MS);
  }

  /** With the longest sleep {@code maxSleepMs} (tests make it long, to see that a new timer wakes the driver). */
  DeadlineDriver(SessionEngine engine, ClockWatch watch, long maxSleepMs) {
    if (maxSleepMs < 1) throw new IllegalArgumentException("maxSleepMs < 1: " + maxSleepMs);
    Clock clock = engine.clock();
    thread = new Thread(() -> {
      long watchedAtMs = clock.millis();
      while (running) {
        int fired = 0;
        try {
          fired = engine.advanceTimers();
          long now = clock.millis();
          if (watch != null && now - watchedAtMs >= WATCH_EVERY_MS) {
            watchedAtMs = now;
            watch.check().ifPresent(r -> System.out.println("curfew: " + r.step() + "; recorded as clock.stepped"));
          }
        } catch (RuntimeException e) {
          // A failing callback must not stop expiry for every other session; report and go on.
          System.err.println("curfew: timer error: " + e);
        }
        passes++;
        long sleepMs = engine.driverSleepUntil(Thread.currentThread(), maxSleepMs) - clock.millis();
        // Due already, yet the last pass fired nothing: the wheel's hint is early (it is a lower bound),
        // so one millisecond, as a fixed tick would.
        if (sleepMs <= 0 && fired == 0) sleepMs = 1;
        if (sleepMs > 0 && running) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(sleepMs));
        engine.driverAwake();
      }
    }, "curfew-deadlines");
    thread.setDaemon(true);
    thread.setPriority(Thread.MAX_PRIORITY);
  }

  /** Passes over the wheel so far (for tests and diagnostics). */
  long passes() {
    return passes;
  }

  public DeadlineDriver start() {
    thread.start();
    return this;
  }

  @Override
  public void close() {
    running = false;
    LockSupport.unpark(thread);
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

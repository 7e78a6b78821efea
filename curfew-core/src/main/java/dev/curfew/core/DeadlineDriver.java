package dev.curfew.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The thread that makes timers real: it calls {@link SessionEngine#advanceTimers()} once per
 * millisecond tick, so warnings and expiries fire within about a tick of their instant rather than
 * at the next sweep. Lateness is measured by the engine ({@code lateness_ms}) and exported. Given a
 * {@link ClockWatch}, it also looks for wall-clock steps every few ticks.
 */
public final class DeadlineDriver implements AutoCloseable {
  private final Thread thread;
  private volatile boolean running = true;

  /** The wall clock is compared with the node's clock every this many ticks. */
  private static final int WATCH_EVERY_TICKS = 10;

  public DeadlineDriver(SessionEngine engine) {
    this(engine, null);
  }

  /** With {@code watch} (may be null), wall-clock steps are also looked for every few ticks and recorded. */
  public DeadlineDriver(SessionEngine engine, ClockWatch watch) {
    thread = new Thread(() -> {
      long tickNanos = TimeUnit.MILLISECONDS.toNanos(1);
      int ticks = 0;
      while (running) {
        try {
          engine.advanceTimers();
          if (watch != null && ++ticks % WATCH_EVERY_TICKS == 0) {
            watch.check().ifPresent(r -> System.out.println("curfew: " + r.step() + "; recorded as clock.stepped"));
          }
        } catch (RuntimeException e) {
          // A failing callback must not stop expiry for every other session; report and go on.
          System.err.println("curfew: timer error: " + e);
        }
        LockSupport.parkNanos(tickNanos);
      }
    }, "curfew-deadlines");
    thread.setDaemon(true);
    thread.setPriority(Thread.MAX_PRIORITY);
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

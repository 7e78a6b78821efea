package dev.curfew.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The thread that makes timers real: it calls {@link SessionEngine#advanceTimers()} once per
 * millisecond tick, so warnings and expiries fire within about a tick of their instant rather than
 * at the next sweep. Lateness is measured by the engine ({@code lateness_ms}) and exported.
 */
public final class DeadlineDriver implements AutoCloseable {
  private final Thread thread;
  private volatile boolean running = true;

  public DeadlineDriver(SessionEngine engine) {
    thread = new Thread(() -> {
      long tickNanos = TimeUnit.MILLISECONDS.toNanos(1);
      while (running) {
        try {
          engine.advanceTimers();
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

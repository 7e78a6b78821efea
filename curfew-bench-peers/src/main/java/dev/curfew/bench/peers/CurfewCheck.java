package dev.curfew.bench.peers;

import dev.curfew.core.Decision;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Curfew's check-and-touch through a {@link SessionStore}: {@code check(token, true)} on a random
 * one of the opened sessions, measured like Spring Session's (same sessions, threads, durations and
 * histograms), and also with a bounded number of asynchronous checks in flight from one thread.
 */
final class CurfewCheck {
  /** The store could not be built (the Redis store is not plugged in yet). */
  static final int NOT_AVAILABLE = 3;

  private CurfewCheck() {}

  static StoreFactory factory(String name) throws ReflectiveOperationException {
    return switch (name) {
      case "redis" -> new RedisStoreFactory();
      case "embedded" -> new EmbeddedStoreFactory();
      default -> (StoreFactory) Class.forName(name).getConstructor().newInstance();
    };
  }

  static Policies policies() {
    return new Policies(List.of(Policy.of("bench", Bench.IDLE, Duration.ofHours(12), Duration.ofMinutes(2), 10)),
        "bench");
  }

  /** Returns the exit status: 0, or {@link #NOT_AVAILABLE}. */
  static int run(Bench b, StoreFactory factory) throws Exception {
    String label = factory.label();
    System.out.println("== Curfew SessionStore (" + label + ", " + factory.getClass().getName() + "): " + b.describe(true));
    if (!factory.throughRedis()) {
      System.out.println("NOTE: " + label + " does not go through Redis: a smoke test of the driver, not a Redis figure");
    }
    try (RedisServer server = factory.throughRedis() ? new RedisServer(b.redis()) : null; factory) {
      if (server != null) {
        long stale = server.deleteUnder(b.keyPrefix());
        if (stale > 0) System.out.println("deleted " + stale + " keys left under " + b.keyPrefix() + " by an earlier run");
      }
      SessionStore store;
      try {
        store = factory.open(b.redis(), b.keyPrefix(), policies());
      } catch (UnsupportedOperationException e) {
        System.out.println("NOT RUN: " + e.getMessage());
        System.out.println(Report.notRun(label));
        return NOT_AVAILABLE;
      }
      try {
        long t0 = System.nanoTime();
        String[] tokens = openSessions(store, b.sessions(), 256);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("opened %,d sessions in %.1f s (%,.0f/s, 256 in flight); live: %,d%n",
            tokens.length, s, tokens.length / s, store.liveSessions());
        for (int threads : b.threads()) {
          Load.Window w = window(server);
          Load.Result r = Load.closedLoop(threads, tokens.length, b.warmupSeconds(), b.seconds(), w,
              i -> store.check(tokens[i], true).join().allowed());
          Report.row(label, "threads", threads, r, perOp(w, r));
        }
        for (int limit : b.inFlight()) {
          Load.Window w = window(server);
          Load.Result r = Load.inFlight(limit, tokens.length, b.warmupSeconds(), b.seconds(), w,
              i -> store.check(tokens[i], true).thenApply(Decision::allowed));
          Report.row(label, "in-flight", limit, r, perOp(w, r));
        }
      } finally {
        if (server != null) {
          long deleted = server.deleteUnder(b.keyPrefix());
          System.out.printf("deleted %,d keys under %s; %d left%n", deleted, b.keyPrefix(),
              server.keysUnder(b.keyPrefix()));
        }
      }
    }
    return 0;
  }

  private static Load.Window window(RedisServer server) {
    return server == null ? Load.Window.NONE : new CommandCounter(server);
  }

  private static RedisServer.CommandsPerOp perOp(Load.Window w, Load.Result r) {
    return w instanceof CommandCounter c ? c.perOp(r.answers()) : null;
  }

  /** Opens {@code n} sessions (subject and one attribute), {@code inFlight} at a time; returns their tokens. */
  static String[] openSessions(SessionStore store, int n, int inFlight) throws InterruptedException {
    String[] tokens = new String[n];
    Semaphore permits = new Semaphore(inFlight);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < n && failure.get() == null; i++) {
      permits.acquire();
      int index = i;
      CompletableFuture<Decision> opened = store.open("user" + i, "bench", Map.of("tier", "standard"));
      opened.whenComplete((d, e) -> {
        if (e != null) failure.compareAndSet(null, e);
        else if (d.token() == null) failure.compareAndSet(null, new IllegalStateException("open refused: " + d));
        else tokens[index] = d.token();
        permits.release();
      });
    }
    if (!permits.tryAcquire(inFlight, 60, TimeUnit.SECONDS)) throw new IllegalStateException("opens did not finish");
    if (failure.get() != null) throw new IllegalStateException("could not open the sessions", failure.get());
    return tokens;
  }
}

package dev.curfew.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SessionStore;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The busy ticks: a running statement touches the session; the ticks stop once nothing runs. */
class ConnectionTimersTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** A connection whose work runs while {@link #busy} says so; counts the touches. */
  private static final class Work implements ConnectionTimers.Connection {
    final String token;
    volatile boolean busy;
    final AtomicInteger touches = new AtomicInteger();

    Work(String token) {
      this.token = token;
    }

    @Override
    public boolean relaying() {
      return true;
    }

    @Override
    public boolean busy() {
      return busy;
    }

    @Override
    public String token() {
      return token;
    }

    @Override
    public void touched(SessionStatus status) {
      touches.incrementAndGet();
    }

    @Override
    public void ended(EndReason reason) {
    }

    @Override
    public void stalled() {
    }

    @Override
    public void startupTimedOut() {
    }
  }

  @Test
  void ticksTouchWhileBusyStopAtTheFirstIdleTickAndStartAgainWithTheNextStatement() throws Exception {
    Policy p = Policy.of("default", Duration.ofHours(1), Duration.ofHours(8), Duration.ofMinutes(1), 0);
    SessionEngine engine = new SessionEngine(new ManualClock(Instant.parse("2026-12-03T00:00:00Z")), "node-1",
        new Policies(List.of(p), "default"), new MemoryAuditSink(), SessionEvents.NONE, EngineMetrics.NONE,
        SessionEngine.Limits.defaults());
    String token = engine.open("ann", "default", Map.of(), Audience.of("db:orders"), "portal").token();
    DatabaseTarget target = new DatabaseTarget("orders", "127.0.0.1", 0, "127.0.0.1", 5432, null, "postgres", null,
        null, PassiveStatements.of(List.of()), DatabaseTarget.AuditStatements.OFF, null);
    GatewaySettings d = GatewaySettings.defaults();
    GatewaySettings settings = new GatewaySettings(d.startupTimeout(), d.maxFrameBytes(), d.stalledReaderTimeout(),
        d.writeQueueBytes(), Duration.ofMillis(20), Duration.ofMillis(20), d.nanoTime(), d.eventLoops(), d.loginGuard());
    Work work = new Work(token);
    Context context = vertx.getOrCreateContext();
    ConnectionTimers timers = new ConnectionTimers(vertx, context, settings, new SessionAccess(SessionStore.of(engine), target), work);

    work.busy = true;
    run(context, () -> timers.startBusy(null));
    await().atMost(Duration.ofSeconds(30)).until(() -> work.touches.get() >= 2);

    work.busy = false;
    await().atMost(Duration.ofSeconds(30)).until(() -> !get(context, timers::busyTicking));
    int touched = work.touches.get();
    assertThat(touched).isGreaterThanOrEqualTo(2);

    work.busy = true; // the next statement
    run(context, () -> timers.startBusy(null));
    await().atMost(Duration.ofSeconds(30)).until(() -> work.touches.get() > touched);
    run(context, timers::cancelAll);
    assertThat(get(context, timers::busyTicking)).isFalse();
  }

  @Test
  void aShorterIdleTimeoutAppliedToTheLiveSessionShortensTheTicksThatFollow() throws Exception {
    Policy p = Policy.of("default", Duration.ofSeconds(4), Duration.ofHours(8), Duration.ofSeconds(1), 0);
    SessionEngine engine = new SessionEngine(new ManualClock(Instant.parse("2026-12-03T00:00:00Z")), "node-1",
        new Policies(List.of(p), "default"), new MemoryAuditSink(), SessionEvents.NONE, EngineMetrics.NONE,
        SessionEngine.Limits.defaults());
    Decision opened = engine.open("ann", "default", Map.of(), Audience.of("db:orders"), "portal");
    DatabaseTarget target = new DatabaseTarget("orders", "127.0.0.1", 0, "127.0.0.1", 5432, null, "postgres", null,
        null, PassiveStatements.of(List.of()), DatabaseTarget.AuditStatements.OFF, null);
    GatewaySettings d = GatewaySettings.defaults();
    GatewaySettings settings = new GatewaySettings(d.startupTimeout(), d.maxFrameBytes(), d.stalledReaderTimeout(),
        d.writeQueueBytes(), Duration.ofMillis(20), Duration.ofSeconds(30), d.nanoTime(), d.eventLoops(), d.loginGuard());
    Work work = new Work(opened.token());
    Context context = vertx.getOrCreateContext();
    ConnectionTimers timers = new ConnectionTimers(vertx, context, settings,
        new SessionAccess(SessionStore.of(engine), target), work);

    work.busy = true;
    run(context, () -> timers.startBusy(opened.status())); // idle 4 s: a tick a second
    await().atMost(Duration.ofSeconds(30)).until(() -> work.touches.get() >= 1);
    // The running statement's session now idles out after 200 ms: a tick every 50 ms from the next touch on.
    engine.changePolicy(Policy.of("default", Duration.ofMillis(200), Duration.ofHours(8), Duration.ofMillis(100), 0),
        true, "admin");
    // Ticks a second apart (the period first seen) would take 25 s for these; the bound leaves room for a busy machine.
    await().atMost(Duration.ofSeconds(12)).until(() -> work.touches.get() >= 26);
    run(context, timers::cancelAll);
    assertThat(get(context, timers::busyTicking)).isFalse();
  }

  private static void run(Context context, Runnable r) throws Exception {
    get(context, () -> {
      r.run();
      return null;
    });
  }

  private static <T> T get(Context context, java.util.function.Supplier<T> s) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    context.runOnContext(v -> f.complete(s.get()));
    return f.get(30, TimeUnit.SECONDS);
  }
}

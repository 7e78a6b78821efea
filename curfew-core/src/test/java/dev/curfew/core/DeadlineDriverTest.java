package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The deadline driver on the system clock: it sleeps between timers, and a new timer wakes it. */
class DeadlineDriverTest {
  private final MemoryAuditSink sink = new MemoryAuditSink();

  private SessionEngine engine(Policy p) {
    return new SessionEngine(new SystemClock(), "node-1", new Policies(List.of(p), p.name()), sink, SessionEvents.NONE,
        EngineMetrics.NONE, SessionEngine.Limits.defaults());
  }

  private List<AuditRecord> expired() {
    return sink.records().stream().filter(r -> r.type().equals(RecordTypes.EXPIRED)).toList();
  }

  @Test
  void withNoTimerDue_itWakesAtMostEveryMaxSleep_notEveryMillisecond() throws Exception {
    SessionEngine engine = engine(Policy.of("p", Duration.ofHours(1), Duration.ofHours(8), Duration.ofMinutes(1), 0));
    engine.open("alice", null, Map.of());
    try (DeadlineDriver driver = new DeadlineDriver(engine).start()) {
      long t0 = System.nanoTime();
      long p0 = driver.passes();
      Thread.sleep(500); // a window to count passes in; a loaded machine only makes them fewer
      long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      long passes = driver.passes() - p0;
      // Every 10 ms: about 50 in 500 ms. A driver ticking every millisecond makes about 500.
      assertThat(passes).as("passes in %d ms", elapsedMs).isLessThanOrEqualTo(elapsedMs / 10 * 2 + 5);
      assertThat(passes).as("it still wakes").isGreaterThan(0);
    }
  }

  @Test
  void aTimerScheduledWhileItSleeps_wakesIt() {
    SessionEngine engine = engine(Policy.of("p", Duration.ofMillis(300), Duration.ofHours(8), Duration.ZERO, 0));
    // Sleeping up to an hour: only the new timer's wake-up can make the expiry prompt.
    try (DeadlineDriver driver = new DeadlineDriver(engine, null, 3_600_000).start()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> driver.passes() >= 1);
      long opened = System.currentTimeMillis();
      engine.open("alice", null, Map.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> !expired().isEmpty());
      assertThat(System.currentTimeMillis() - opened).isGreaterThanOrEqualTo(300);
      // Generous for a loaded machine, far below the hour it would otherwise sleep.
      assertThat((Long) expired().get(0).data().get("lateness_ms")).isBetween(0L, 5_000L);
    }
  }

  @Test
  void aNearerTimerThanTheOneItSleepsTo_wakesIt() {
    SessionEngine engine = engine(Policy.of("slow", Duration.ofHours(1), Duration.ofHours(8), Duration.ZERO, 0));
    engine.changePolicy(Policy.of("fast", Duration.ofMillis(300), Duration.ofHours(8), Duration.ZERO, 0), false, "test");
    engine.open("bob", "slow", Map.of()); // the wheel's next timer: an hour away
    try (DeadlineDriver driver = new DeadlineDriver(engine, null, 3_600_000).start()) {
      await().atMost(Duration.ofSeconds(5)).until(() -> driver.passes() >= 1);
      engine.open("alice", "fast", Map.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> !expired().isEmpty());
      assertThat(expired().get(0).subject()).isEqualTo("alice");
      assertThat((Long) expired().get(0).data().get("lateness_ms")).isBetween(0L, 5_000L);
    }
  }
}

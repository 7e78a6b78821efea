package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ClockWatch;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restart forgets the monotonic clock: a wall clock that went back while the node ran (or was
 * down) must not give the sessions of the log time back. The node's clock continues from the log's
 * last record, and the step is recorded at start.
 */
class ClockRestartTest {
  private static final Instant T0 = Instant.parse("2026-11-27T03:00:00.000Z");
  private static final Policy POLICY =
      Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3);

  @TempDir Path dir;
  private final Time time = new Time();
  private EmbeddedStore store;
  private SessionEngine engine;
  private SystemClock clock;

  /** Real time and a wall clock the test steps: what the JVM's nanoTime and currentTimeMillis would be. */
  static final class Time implements SystemClock.Source {
    long realMs;
    long wallOffsetMs;

    @Override
    public long wallMillis() {
      return T0.toEpochMilli() + realMs + wallOffsetMs;
    }

    @Override
    public long monotonicNanos() {
      return realMs * 1_000_000L;
    }
  }

  private void start() throws IOException {
    clock = new SystemClock(time, SystemClock.DEFAULT_STEP_THRESHOLD_MS); // a new process: a new clock
    store = EmbeddedStore.open(dir, EmbeddedStore.Options.defaults().withClock(clock)
        .withSnapshotInterval(Duration.ofHours(1)).withVersion("test"), "node-1");
    engine = new SessionEngine(clock, "node-1", new Policies(List.of(POLICY), "standard"), store.log(),
        SessionEvents.NONE, EngineMetrics.NONE, SessionEngine.Limits.defaults());
    store.recover(engine);
  }

  @AfterEach
  void close() throws IOException {
    if (store != null) store.close();
  }

  private List<Map<String, Object>> records(String type) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    store.log().scan(0, l -> {
      Map<String, Object> r = Json.parseObject(l);
      if (r.get("type").equals(type)) out.add(r);
      return true;
    });
    return out;
  }

  @Test
  void wallClockBackAnHourThenACrash_sessionEndsLateByNoMoreThanTheDowntime() throws Exception {
    start();
    Decision opened = engine.open("alice", null, Map.of());
    opened.durable().join();
    time.realMs = 5 * 60_000;
    time.wallOffsetMs = -3_600_000;
    new ClockWatch(clock, engine).check().orElseThrow().durable().join(); // the last record before the crash
    store.halt();

    time.realMs += 60_000; // one minute down; the wall clock is still an hour behind
    start();
    assertThat(clock.millis()).as("continues from the last record, not from the wall clock")
        .isEqualTo(T0.toEpochMilli() + 5 * 60_000);
    List<Map<String, Object>> steps = records(RecordTypes.CLOCK_STEPPED);
    assertThat(steps).hasSize(2);
    assertThat(data(steps.get(0))).containsEntry("detected_by", "watch").containsEntry("step_ms", 3_600_000L);
    assertThat(data(steps.get(1))).containsEntry("detected_by", "start").containsEntry("direction", "backward")
        .containsEntry("step_ms", 3_600_000L - 60_000L)
        .containsEntry("wall_time", Times.format(T0.toEpochMilli() + 6 * 60_000 - 3_600_000));

    // Real time 15 min + 1 min of downtime: the session ends (a minute late, never an hour).
    time.realMs = 16 * 60_000 - 1;
    assertThat(engine.check(opened.token(), false).allowed()).isTrue();
    time.realMs = 16 * 60_000;
    assertThat(engine.check(opened.token(), false).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
  }

  @Test
  void anOrdinaryRestart_recordsNoStep_andCountsTheDowntime() throws Exception {
    start();
    Decision opened = engine.open("bob", null, Map.of());
    opened.durable().join();
    time.realMs = 60_000;
    store.halt();
    time.realMs = 10 * 60_000; // nine minutes down
    start();
    assertThat(clock.millis()).isEqualTo(T0.toEpochMilli() + 10 * 60_000);
    assertThat(records(RecordTypes.CLOCK_STEPPED)).isEmpty();
    time.realMs = 15 * 60_000;
    assertThat(engine.check(opened.token(), false).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> data(Map<String, Object> record) {
    return (Map<String, Object>) record.get("data");
  }
}

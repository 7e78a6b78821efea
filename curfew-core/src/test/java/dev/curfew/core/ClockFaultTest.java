package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;

/**
 * Wall-clock steps, simulated: whatever the wall clock does, a session lives exactly as long as its
 * policy allows in real (monotonic) elapsed time, and every step is in the audit trail.
 */
class ClockFaultTest {
  private static final Instant START = Instant.parse("2026-11-27T03:00:00.000Z");
  private static final Policy POLICY =
      Policy.of("p", Duration.ofSeconds(60), Duration.ofMinutes(10), Duration.ofSeconds(20), 3);

  private final SimulatedTime time = new SimulatedTime(START);
  private final SystemClock clock = new SystemClock(time, SystemClock.DEFAULT_STEP_THRESHOLD_MS);
  private final MemoryAuditSink sink = new MemoryAuditSink();
  private final SessionEngine engine = new SessionEngine(clock, "node-1", new Policies(List.of(POLICY), "p"), sink,
      SessionEvents.NONE, EngineMetrics.NONE, SessionEngine.Limits.defaults());
  private final ClockWatch watch = new ClockWatch(clock, engine);

  /** Real time passes in 10 ms ticks, as the deadline driver would see it. */
  private void pass(Duration d) {
    for (long ms = 0; ms < d.toMillis(); ms += 10) {
      time.advance(Duration.ofMillis(Math.min(10, d.toMillis() - ms)));
      engine.advanceTimers();
      watch.check();
    }
  }

  private List<AuditRecord> records(String type) {
    return sink.records().stream().filter(r -> r.type().equals(type)).toList();
  }

  @Test
  void wallClockStepsBackAnHour_sessionStillEndsAfterSixtySecondsOfRealTime() {
    String token = engine.open("alice", null, Map.of()).token();
    pass(Duration.ofSeconds(30));
    time.stepWall(-3_600_000);
    pass(Duration.ofMillis(29_990));
    assertThat(engine.check(token, false).allowed()).as("59.99 s of real time").isTrue();
    pass(Duration.ofMillis(10));
    assertThat(engine.check(token, false).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);

    AuditRecord expired = records(RecordTypes.EXPIRED).get(0);
    assertThat(expired.data()).containsEntry("detected_by", "timer").containsEntry("lateness_ms", 0L)
        .containsEntry("deadline", Times.format(START.toEpochMilli() + 60_000));
    List<AuditRecord> steps = records(RecordTypes.CLOCK_STEPPED);
    assertThat(steps).hasSize(1);
    assertThat(steps.get(0).data()).containsEntry("direction", "backward").containsEntry("step_ms", 3_600_000L)
        .containsEntry("skew_ms", -3_600_000L).containsEntry("detected_by", "watch")
        .containsEntry("wall_time", Times.format(START.toEpochMilli() + 30_010 - 3_600_000));
    assertThat(steps.get(0).timeMs()).isEqualTo(START.toEpochMilli() + 30_010);
  }

  @Test
  void wallClockStepsForwardADay_sessionNeitherEndsEarlyNorLate() {
    String token = engine.open("bob", null, Map.of()).token();
    pass(Duration.ofSeconds(10));
    time.stepWall(+86_400_000);
    pass(Duration.ofSeconds(10));
    assertThat(engine.check(token, true).allowed()).isTrue(); // activity at 20 s: idle deadline 80 s
    pass(Duration.ofMillis(59_990));
    assertThat(engine.check(token, false).allowed()).isTrue();
    pass(Duration.ofMillis(10));
    assertThat(engine.check(token, false).reason()).isEqualTo(EndReason.IDLE_TIMEOUT);
    assertThat(records(RecordTypes.CLOCK_STEPPED)).singleElement()
        .satisfies(r -> assertThat(r.data()).containsEntry("direction", "forward").containsEntry("step_ms", 86_400_000L));
  }

  @Test
  void theAbsoluteDeadlineHolds_whileTheWallClockKeepsGoingBack() {
    String token = engine.open("carol", null, Map.of()).token();
    for (int i = 0; i < 9; i++) {
      pass(Duration.ofSeconds(50));
      time.stepWall(-600_000); // ten minutes back, again and again
      assertThat(engine.extend(token).allowed()).as("extension %d", i + 1).isEqualTo(i < 3);
      assertThat(engine.check(token, true).allowed()).isTrue();
    }
    for (int i = 0; i < 4; i++) { // 450 s of real time so far; keep it active
      pass(Duration.ofSeconds(30));
      assertThat(engine.check(token, true).allowed()).isTrue();
    }
    pass(Duration.ofSeconds(29)); // 599 s of real time
    assertThat(engine.check(token, true).allowed()).isTrue();
    pass(Duration.ofSeconds(1));
    assertThat(engine.check(token, true).reason()).isEqualTo(EndReason.ABSOLUTE_TIMEOUT);
    assertThat(records(RecordTypes.CLOCK_STEPPED)).hasSize(9)
        .allSatisfy(r -> assertThat(r.data()).containsEntry("direction", "backward").containsEntry("step_ms", 600_000L));
  }

  // ------------------------------------------------------------------ property

  interface Event {}

  record Pass(long ms) implements Event {}

  record Step(long ms) implements Event {}

  record Touch() implements Event {}

  @Provide
  Arbitrary<List<Event>> schedules() {
    Arbitrary<Event> pass = Arbitraries.longs().between(1, 40_000).map(Pass::new);
    Arbitrary<Event> step = Arbitraries.oneOf(
        Arbitraries.longs().between(-30 * 86_400_000L, 30 * 86_400_000L),
        Arbitraries.longs().between(-500, 500)).filter(ms -> ms != 0).map(Step::new);
    Arbitrary<Event> touch = Arbitraries.just(new Touch());
    return Arbitraries.frequencyOf(Tuple.of(5, pass), Tuple.of(3, step), Tuple.of(2, touch))
        .list().ofMinSize(1).ofMaxSize(60);
  }

  @Property(tries = 200, seed = "20261128")
  void aSessionIsValidExactlyWhileItsPolicyAllowsInRealElapsedTime(@ForAll("schedules") List<Event> events) {
    ClockFaultTest rig = new ClockFaultTest(); // fresh clocks, engine and log for every try
    String token = rig.engine.open("dave", null, Map.of()).token();
    long realMs = 0;
    long lastActivityMs = 0;
    long skewMs = 0;
    boolean ended = false;
    for (Event e : events) {
      if (e instanceof Pass p) {
        rig.time.advance(Duration.ofMillis(p.ms()));
        realMs += p.ms();
        rig.engine.advanceTimers();
      } else if (e instanceof Step s) {
        rig.time.stepWall(s.ms());
        skewMs += s.ms();
      }
      rig.watch.check();
      boolean touch = e instanceof Touch;
      boolean shouldBeValid = !ended && realMs < Math.min(lastActivityMs + 60_000, 600_000);
      Decision d = rig.engine.check(token, touch);
      assertThat(d.allowed()).as("real %d ms, last activity %d ms, skew %d ms", realMs, lastActivityMs, skewMs)
          .isEqualTo(shouldBeValid);
      if (touch && shouldBeValid) lastActivityMs = realMs;
      ended = !d.allowed();
    }
    assertThat((long) rig.records(RecordTypes.CLOCK_STEPPED).size())
        .as("a record for every change of the skew of at least the threshold").isEqualTo(countSteps(events));
    assertThat(rig.records(RecordTypes.EXPIRED).size()).isLessThanOrEqualTo(1);
    rig.engine.checkInvariants();
  }

  /** Replays the skew changes as the watch sees them (once per event) and counts the reported ones. */
  private static long countSteps(List<Event> events) {
    long skew = 0;
    long known = 0;
    long n = 0;
    for (Event e : events) {
      if (e instanceof Step s) skew += s.ms();
      if (Math.abs(skew - known) >= SystemClock.DEFAULT_STEP_THRESHOLD_MS) {
        known = skew;
        n++;
      }
    }
    return n;
  }
}

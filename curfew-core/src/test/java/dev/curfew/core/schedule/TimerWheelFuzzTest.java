package dev.curfew.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * Random sequences of schedule, reschedule, deschedule and advance, against a reference model
 * (a map of deadlines), with {@link TimerWheel#checkInvariants()} after every step.
 */
class TimerWheelFuzzTest {
  static final int TIMERS = 24;
  static final long DAY_MS = 86_400_000L;

  sealed interface Step permits Schedule, Deschedule, Advance {}

  /** Schedules or moves timer {@code id} to now + offsetMs (saturated to [0, MAX]). */
  record Schedule(int id, long offsetMs) implements Step {}

  record Deschedule(int id) implements Step {}

  /**
   * Moves time by deltaMs (negative: a step back). When rescheduleOffsetMs is not null, each
   * callback for an even id reschedules its timer to now + rescheduleOffsetMs.
   */
  record Advance(long deltaMs, Long rescheduleOffsetMs) implements Step {}

  static final class FuzzTimer extends Timer {
    final int id;

    FuzzTimer(int id) {
      this.id = id;
    }
  }

  @Property(tries = 400, seed = "20261128")
  void schedule_fuzzy(@ForAll("starts") long startMs, @ForAll("steps") List<Step> steps) {
    TimerWheel<FuzzTimer> wheel = new TimerWheel<>(startMs);
    FuzzTimer[] timers = new FuzzTimer[TIMERS];
    for (int i = 0; i < TIMERS; i++) {
      timers[i] = new FuzzTimer(i);
    }
    Map<Integer, Long> model = new HashMap<>(); // id -> deadline of every scheduled timer
    long[] modelNowMs = {startMs};

    for (Step step : steps) {
      if (step instanceof Schedule s) {
        long deadlineMs = plus(modelNowMs[0], s.offsetMs());
        wheel.schedule(timers[s.id()], deadlineMs);
        model.put(s.id(), deadlineMs);
      } else if (step instanceof Deschedule d) {
        wheel.deschedule(timers[d.id()]);
        model.remove(d.id());
      } else if (step instanceof Advance a) {
        advance(wheel, timers, model, modelNowMs, a);
      }
      wheel.checkInvariants();
      assertThat(wheel.size()).isEqualTo(model.size());
      assertThat(wheel.nowMs()).isEqualTo(modelNowMs[0]);
      long earliestMs = model.values().stream().mapToLong(x -> x).min().orElse(Long.MAX_VALUE);
      assertThat(wheel.nextDeadlineMs()).isLessThanOrEqualTo(earliestMs);
      for (int i = 0; i < TIMERS; i++) {
        assertThat(timers[i].isScheduled()).isEqualTo(model.containsKey(i));
      }
    }
  }

  private static void advance(TimerWheel<FuzzTimer> wheel, FuzzTimer[] timers,
      Map<Integer, Long> model, long[] modelNowMs, Advance a) {
    long targetMs = plus(modelNowMs[0], a.deltaMs());
    Set<Integer> expected = new TreeSet<>();
    if (targetMs >= modelNowMs[0]) {
      model.forEach((id, deadlineMs) -> {
        if (deadlineMs <= targetMs) {
          expected.add(id);
        }
      });
      expected.forEach(model::remove);
      modelNowMs[0] = targetMs;
    }
    List<Integer> fired = new ArrayList<>();
    int count = wheel.advance(targetMs, t -> {
      assertThat(t.isScheduled()).isFalse();
      assertThat(t.deadlineMs()).isLessThanOrEqualTo(targetMs);
      fired.add(t.id);
      if (a.rescheduleOffsetMs() != null && t.id % 2 == 0) {
        long deadlineMs = plus(targetMs, a.rescheduleOffsetMs());
        wheel.schedule(t, deadlineMs);
        model.put(t.id, deadlineMs); // fires at a later advance, even if already due
      }
      wheel.checkInvariants();
    });
    assertThat(count).isEqualTo(fired.size());
    assertThat(fired).doesNotHaveDuplicates();
    Set<Integer> firedSet = new TreeSet<>(fired);
    assertThat(firedSet).isEqualTo(expected);
  }

  /** now + offset, saturated to [0, Long.MAX_VALUE]. */
  static long plus(long nowMs, long offsetMs) {
    long sum = nowMs + offsetMs;
    if (offsetMs > 0 && sum < nowMs) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, sum);
  }

  @Provide
  Arbitrary<Long> starts() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(0, 1_000),
        Arbitraries.longs().between(1_700_000_000_000L, 1_900_000_000_000L),
        Arbitraries.integers().between(1, 1_000).flatMap(k ->
            Arbitraries.longs().between(-300, 300).map(d -> (k * (1L << 36)) + d)),
        Arbitraries.longs().between(Long.MAX_VALUE - 800 * DAY_MS, Long.MAX_VALUE - 1));
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Integer> ids = Arbitraries.integers().between(0, TIMERS - 1);
    Arbitrary<Step> schedule = Combinators.combine(ids, offsets()).as(Schedule::new);
    Arbitrary<Step> deschedule = ids.map(Deschedule::new);
    Arbitrary<Step> advance = Combinators.combine(deltas(), offsets().injectNull(0.5))
        .as(Advance::new);
    return Arbitraries.frequencyOf(
        Tuple.of(5, schedule),
        Tuple.of(1, deschedule),
        Tuple.of(3, advance))
        .list().ofMinSize(1).ofMaxSize(120);
  }

  /** Deadline offsets: past, now, near, each level, up to 400 days, and "never". */
  static Arbitrary<Long> offsets() {
    return Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.longs().between(-5_000, 0)),
        Tuple.of(6, Arbitraries.longs().between(1, 200)),
        Tuple.of(4, Arbitraries.longs().between(1, 1L << 20)),
        Tuple.of(3, Arbitraries.longs().between(1, 400 * DAY_MS)),
        Tuple.of(1, Arbitraries.just(Long.MAX_VALUE)));
  }

  /** Time steps: back, none, small, medium, days, and a jump to the end of time. */
  static Arbitrary<Long> deltas() {
    return Arbitraries.frequencyOf(
        Tuple.of(1, Arbitraries.longs().between(-1_000, -1)),
        Tuple.of(1, Arbitraries.just(0L)),
        Tuple.of(6, Arbitraries.longs().between(1, 130)),
        Tuple.of(3, Arbitraries.longs().between(1, 1L << 22)),
        Tuple.of(2, Arbitraries.longs().between(1, 100 * DAY_MS)),
        Tuple.of(1, Arbitraries.just(Long.MAX_VALUE)));
  }
}

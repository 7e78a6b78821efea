package dev.curfew.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TimerWheelTest {
  static final long DAY_MS = Duration.ofDays(1).toMillis();
  /** Fixed, so that a run is replayable; it is printed in the names of the cases it shapes. */
  static final long SEED = 0x71AE12L;

  /** Starting instants that cross digit carries and sit near the ends of the range. */
  static Stream<Arguments> starts() {
    SplittableRandom random = new SplittableRandom(SEED);
    long epochNearNow = 1_750_000_000_000L + random.nextLong(DAY_MS * 365 * 5);
    long nearMax = Long.MAX_VALUE - 401 * DAY_MS - random.nextLong(DAY_MS * 365);
    return Stream.of(
        Arguments.of("zero", 0L),
        Arguments.of("epoch near now, seed " + SEED, epochNearNow),
        Arguments.of("just before a 2^36 carry", (1L << 36) * 25 - 1),
        Arguments.of("just before a 2^60 carry", (1L << 60) - 3),
        Arguments.of("near Long.MAX_VALUE, seed " + SEED, nearMax));
  }

  static final class TestTimer extends Timer {
    final int id;

    TestTimer(int id) {
      this.id = id;
    }

    @Override
    public String toString() {
      return "timer " + id + " @" + deadlineMs();
    }
  }

  static List<TestTimer> advance(TimerWheel<TestTimer> wheel, long nowMs) {
    List<TestTimer> fired = new ArrayList<>();
    int count = wheel.advance(nowMs, fired::add);
    assertThat(count).isEqualTo(fired.size());
    wheel.checkInvariants();
    return fired;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("starts")
  void advance_firesExactlyAtDeadline(String name, long startMs) {
    long[] offsetsMs = {1, 2, 63, 64, 65, 4095, 4096, 4097, 262_143, 262_144, 1_800_000,
        DAY_MS, 13 * DAY_MS, 400 * DAY_MS};
    for (long offsetMs : offsetsMs) {
      TimerWheel<TestTimer> wheel = new TimerWheel<>(startMs);
      TestTimer timer = new TestTimer(1);
      wheel.schedule(timer, startMs + offsetMs);
      wheel.checkInvariants();
      assertThat(wheel.nextDeadlineMs()).isLessThanOrEqualTo(startMs + offsetMs);

      assertThat(advance(wheel, startMs + offsetMs - 1)).as("offset %d", offsetMs).isEmpty();
      assertThat(timer.isScheduled()).isTrue();
      assertThat(advance(wheel, startMs + offsetMs)).as("offset %d", offsetMs).containsExactly(timer);
      assertThat(timer.isScheduled()).isFalse();
      assertThat(wheel.size()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("starts")
  void advance_stepByStepFiresEachAtItsMillisecond(String name, long startMs) {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(startMs);
    SplittableRandom random = new SplittableRandom(SEED);
    List<TestTimer> timers = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      TestTimer timer = new TestTimer(i);
      timers.add(timer);
      wheel.schedule(timer, startMs + 1 + random.nextLong(20_000));
    }
    for (long nowMs = startMs; wheel.size() > 0; nowMs += 1 + random.nextInt(50)) {
      long thenMs = nowMs;
      for (TestTimer timer : advance(wheel, nowMs)) {
        assertThat(timer.deadlineMs()).isLessThanOrEqualTo(thenMs).isGreaterThan(thenMs - 50);
      }
      for (TestTimer timer : timers) {
        assertThat(!timer.isScheduled() || timer.deadlineMs() > thenMs).isTrue();
      }
    }
  }

  @Test
  void schedule_movesExistingTimer() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(1_000);
    TestTimer timer = new TestTimer(1);
    wheel.schedule(timer, 1_000 + DAY_MS);
    wheel.schedule(timer, 1_010);
    wheel.checkInvariants();

    assertThat(wheel.size()).isEqualTo(1);
    assertThat(timer.deadlineMs()).isEqualTo(1_010);
    assertThat(advance(wheel, 1_010)).containsExactly(timer);
    assertThat(advance(wheel, 1_000 + DAY_MS)).isEmpty();
  }

  @Test
  void schedule_movesLaterAsATouchDoes() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer timer = new TestTimer(1);
    wheel.schedule(timer, 1_800_000);
    advance(wheel, 1_000_000);
    wheel.schedule(timer, 2_800_000);

    assertThat(advance(wheel, 2_799_999)).isEmpty();
    assertThat(advance(wheel, 2_800_000)).containsExactly(timer);
  }

  @Test
  void schedule_pastDeadlineFiresAtNextAdvance() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(5_000);
    TestTimer past = new TestTimer(1);
    TestTimer now = new TestTimer(2);
    wheel.schedule(past, 10);
    wheel.schedule(now, 5_000);
    wheel.checkInvariants();

    assertThat(wheel.nextDeadlineMs()).isEqualTo(10);
    assertThat(advance(wheel, 5_000)).containsExactly(past, now);
  }

  @Test
  void schedule_rejectsNegativeDeadline() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    assertThatThrownBy(() -> wheel.schedule(new TestTimer(1), -1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("deadlineMs < 0: -1");
  }

  @Test
  void constructor_rejectsNegativeNow() {
    assertThatThrownBy(() -> new TimerWheel<TestTimer>(-5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("nowMs < 0: -5");
  }

  @Test
  void deschedule_notScheduled() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer timer = new TestTimer(1);
    wheel.deschedule(timer);
    wheel.checkInvariants();
    assertThat(wheel.size()).isZero();
  }

  @Test
  void deschedule_preventsFiring() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer timer = new TestTimer(1);
    wheel.schedule(timer, 100);
    wheel.deschedule(timer);
    wheel.checkInvariants();

    assertThat(timer.isScheduled()).isFalse();
    assertThat(wheel.nextDeadlineMs()).isEqualTo(Long.MAX_VALUE);
    assertThat(advance(wheel, 1_000)).isEmpty();
  }

  @Test
  void advance_backwardsIsIgnored() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(10_000);
    TestTimer timer = new TestTimer(1);
    wheel.schedule(timer, 5_000);

    assertThat(advance(wheel, 9_999)).isEmpty();
    assertThat(wheel.nowMs()).isEqualTo(10_000);
    assertThat(timer.isScheduled()).isTrue();
    assertThat(advance(wheel, 10_000)).containsExactly(timer);
  }

  @Test
  void advance_bigJump() {
    long startMs = 1_760_000_000_123L;
    TimerWheel<TestTimer> wheel = new TimerWheel<>(startMs);
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < 200_000; i++) {
      wheel.schedule(new TestTimer(i), startMs + 1 + random.nextLong(400 * DAY_MS));
    }
    TestTimer never = new TestTimer(-1);
    wheel.schedule(never, Long.MAX_VALUE);

    List<TestTimer> fired = assertTimeoutPreemptively(Duration.ofSeconds(5),
        () -> advance(wheel, startMs + 400 * DAY_MS));
    assertThat(fired).hasSize(200_000).doesNotContain(never);
    assertThat(wheel.size()).isEqualTo(1);
    assertThat(wheel.nextDeadlineMs()).isLessThanOrEqualTo(Long.MAX_VALUE);
  }

  @Test
  void advance_bigJumpOverEmptySpansIsCheap() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer soon = new TestTimer(1);
    TestTimer later = new TestTimer(2);
    wheel.schedule(soon, DAY_MS);
    wheel.schedule(later, 400 * DAY_MS);

    // A wheel that stepped every 1 ms tick would take hours over 1,000 days (8.6e10 ticks); the
    // generous bound only tells that apart, and holds on a loaded machine.
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      for (long nowMs = 0; nowMs <= 1_000 * DAY_MS; nowMs += DAY_MS / 2) {
        for (TestTimer timer : advance(wheel, nowMs)) {
          assertThat(timer.deadlineMs()).isGreaterThan(nowMs - DAY_MS / 2);
        }
      }
    });
    assertThat(wheel.size()).isZero();
  }

  @Test
  void advance_neverDeadlineFiresOnlyAtLongMax() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(Long.MAX_VALUE - 10);
    TestTimer never = new TestTimer(1);
    wheel.schedule(never, Long.MAX_VALUE);

    assertThat(advance(wheel, Long.MAX_VALUE - 1)).isEmpty();
    assertThat(advance(wheel, Long.MAX_VALUE)).containsExactly(never);
  }

  @Test
  void advance_callbackSeesTimerDescheduled() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer timer = new TestTimer(1);
    wheel.schedule(timer, 5);
    List<Boolean> scheduledInCallback = new ArrayList<>();

    wheel.advance(5, t -> scheduledInCallback.add(t.isScheduled()));
    assertThat(scheduledInCallback).containsExactly(false);
  }

  @Test
  void advance_callbackReschedulingLaterIsNotFiredAgain() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer timer = new TestTimer(1);
    wheel.schedule(timer, 5);
    List<Long> firedAtMs = new ArrayList<>();

    int count = wheel.advance(5, t -> {
      firedAtMs.add(t.deadlineMs());
      wheel.schedule(t, 10);
      wheel.checkInvariants();
    });
    assertThat(count).isEqualTo(1);
    assertThat(timer.isScheduled()).isTrue();
    assertThat(wheel.advance(9, t -> firedAtMs.add(-1L))).isZero();
    assertThat(wheel.advance(10, t -> firedAtMs.add(t.deadlineMs()))).isEqualTo(1);
    assertThat(firedAtMs).containsExactly(5L, 10L);
  }

  @Test
  void advance_callbackReschedulingIntoThePastFiresAtNextAdvance() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer timer = new TestTimer(1);
    wheel.schedule(timer, 5);

    assertThat(wheel.advance(5, t -> wheel.schedule(t, 3))).isEqualTo(1);
    wheel.checkInvariants();
    assertThat(wheel.nextDeadlineMs()).isEqualTo(3);
    assertThat(advance(wheel, 5)).containsExactly(timer);
  }

  @Test
  void advance_callbackDeschedulingAnotherDueTimerPreventsIt() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer first = new TestTimer(1);
    TestTimer second = new TestTimer(2);
    wheel.schedule(first, 5);
    wheel.schedule(second, 6);
    List<TestTimer> fired = new ArrayList<>();

    wheel.advance(10, t -> {
      fired.add(t);
      wheel.deschedule(t == first ? second : first);
    });
    wheel.checkInvariants();
    assertThat(fired).containsExactly(first);
    assertThat(wheel.size()).isZero();
  }

  @Test
  void advance_callbackThrowingLeavesTheRestForNextAdvance() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer first = new TestTimer(1);
    TestTimer second = new TestTimer(2);
    wheel.schedule(first, 5);
    wheel.schedule(second, 6);

    assertThatThrownBy(() -> wheel.advance(10, t -> {
      throw new IllegalStateException("boom");
    })).hasMessage("boom");
    wheel.checkInvariants();
    assertThat(wheel.size()).isEqualTo(1);
    assertThat(wheel.nextDeadlineMs()).isLessThanOrEqualTo(6);
    assertThat(advance(wheel, 10)).containsExactly(second);
  }

  @Test
  void advance_fromCallbackIsRefused() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    wheel.schedule(new TestTimer(1), 5);

    assertThatThrownBy(() -> wheel.advance(5, t -> wheel.advance(6, u -> {})))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("advance called from a fired callback");
    wheel.checkInvariants();
  }

  @Test
  void nextDeadlineMs_emptyIsMax() {
    assertThat(new TimerWheel<TestTimer>(42).nextDeadlineMs()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void nextDeadlineMs_isExactWithin64MsAndALowerBoundBeyond() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(1_000);
    TestTimer far = new TestTimer(1);
    wheel.schedule(far, 1_000 + DAY_MS + 7);
    assertThat(wheel.nextDeadlineMs()).isBetween(1_001L, 1_000 + DAY_MS + 7);

    TestTimer near = new TestTimer(2);
    wheel.schedule(near, 1_010);
    assertThat(wheel.nextDeadlineMs()).isEqualTo(1_010);
  }

  @Test
  void checkInvariants_reportsCorruptLinks() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer first = new TestTimer(1);
    TestTimer second = new TestTimer(2);
    wheel.schedule(first, 5);
    wheel.schedule(second, 5);
    second.prev = second;

    assertThatThrownBy(wheel::checkInvariants)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("level 0 bucket 5: prev link");
  }

  @Test
  void checkInvariants_reportsMisplacedTimer() {
    TimerWheel<TestTimer> wheel = new TimerWheel<>(0);
    TestTimer timer = new TestTimer(1);
    wheel.schedule(timer, 5);
    timer.deadlineMs = 70;

    assertThatThrownBy(wheel::checkInvariants)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("belongs at level 1 bucket 1 but sits at level 0 bucket 5");
  }
}

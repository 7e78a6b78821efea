package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SystemClockTest {
  private static final Instant START = Instant.parse("2026-11-27T03:00:00.000Z");
  private final SimulatedTime time = new SimulatedTime(START);
  private final SystemClock clock = new SystemClock(time, SystemClock.DEFAULT_STEP_THRESHOLD_MS);

  @Test
  void startsAtTheWallClock_thenFollowsOnlyTheMonotonicClock() {
    assertThat(clock.millis()).isEqualTo(START.toEpochMilli());
    time.advance(Duration.ofMillis(1500));
    assertThat(clock.millis()).isEqualTo(START.toEpochMilli() + 1500);
    time.stepWall(-3_600_000);
    assertThat(clock.millis()).as("a backward step is not followed").isEqualTo(START.toEpochMilli() + 1500);
    time.stepWall(+7_200_000);
    time.advance(Duration.ofMillis(500));
    assertThat(clock.millis()).as("nor a forward one").isEqualTo(START.toEpochMilli() + 2000);
  }

  @Test
  void detectStep_reportsEachStepOnce_withItsDirectionAndSize() {
    assertThat(clock.detectStep()).isEmpty();
    time.advance(Duration.ofSeconds(10));
    time.stepWall(-3_600_000);
    ClockStep back = clock.detectStep().orElseThrow();
    assertThat(back.direction()).isEqualTo("backward");
    assertThat(back.stepMs()).isEqualTo(-3_600_000);
    assertThat(back.clockMs()).isEqualTo(START.toEpochMilli() + 10_000);
    assertThat(back.wallMs()).isEqualTo(START.toEpochMilli() + 10_000 - 3_600_000);
    assertThat(back.skewMs()).isEqualTo(-3_600_000);
    assertThat(clock.detectStep()).as("reported once").isEmpty();

    time.advance(Duration.ofSeconds(1));
    time.stepWall(+3_600_250);
    ClockStep forward = clock.detectStep().orElseThrow();
    assertThat(forward.direction()).isEqualTo("forward");
    assertThat(forward.stepMs()).as("measured from the skew after the last step").isEqualTo(3_600_250);
    assertThat(forward.skewMs()).isEqualTo(250);
    assertThat(clock.detectStep()).isEmpty();
  }

  @Test
  void detectStep_ignoresChangesBelowTheThreshold_butNotTheirSum() {
    time.stepWall(SystemClock.DEFAULT_STEP_THRESHOLD_MS - 1);
    assertThat(clock.detectStep()).isEmpty();
    time.stepWall(-(SystemClock.DEFAULT_STEP_THRESHOLD_MS - 1));
    assertThat(clock.detectStep()).isEmpty();
    for (int i = 0; i < 4; i++) {
      time.stepWall(30);
      time.advance(Duration.ofMinutes(1));
      if (i < 3) assertThat(clock.detectStep()).isEmpty();
    }
    assertThat(clock.detectStep()).hasValueSatisfying(s -> assertThat(s.stepMs()).isEqualTo(120));
  }

  @Test
  void aReaderStalledBetweenReadings_isNotMistakenForAStep() {
    time.advance(Duration.ofSeconds(5));
    // Two readings in a row are preempted for 400 ms: "wall - clock" from either would be -200 ms
    // or worse; the sample is taken again until its two monotonic readings are close.
    time.stallWallReads(2, Duration.ofMillis(400));
    assertThat(clock.wallSkewMillis()).isZero();
    time.stallWallReads(2, Duration.ofMillis(400));
    assertThat(clock.detectStep()).isEmpty();
  }

  @Test
  void startNoEarlierThan_movesTheTimelineForwardOnly_andReportsAWallClockBehindTheLog() {
    long lastRecord = START.toEpochMilli() + 3_600_000; // a previous run recorded an hour "later"
    ClockStep step = clock.startNoEarlierThan(lastRecord).orElseThrow();
    assertThat(step.direction()).isEqualTo("backward");
    assertThat(step.stepMs()).isEqualTo(-3_600_000);
    assertThat(clock.millis()).isEqualTo(lastRecord);
    time.advance(Duration.ofSeconds(2));
    assertThat(clock.millis()).as("then real time again").isEqualTo(lastRecord + 2000);
    assertThat(clock.detectStep()).as("the start step is the known skew now").isEmpty();

    assertThat(clock.startNoEarlierThan(START.toEpochMilli())).as("never backwards").isEmpty();
    assertThat(clock.millis()).isEqualTo(lastRecord + 2000);
    assertThat(clock.startNoEarlierThan(lastRecord + 2050)).as("below the threshold: moved, not reported").isEmpty();
    assertThat(clock.millis()).isEqualTo(lastRecord + 2050);
  }
}

package dev.curfew.core.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * How much work the busiest tick does when many deadlines share the coarse buckets: the shape of
 * {@code ExpiryLateness} (sessions opened over 4 s, idle timeouts of 40-59 s, a warning 10 s before
 * each expiry that moves the timer to the expiry). A tick's work is what it fires plus what its
 * cascades re-hash; expiries due during a big cascade wait for it, so the busiest tick bounds the
 * lateness the scheduler itself adds. Deterministic: no clock, no randomness.
 */
class StaggeredWheelsBurstTest {
  static final class T extends Timer {
    final int id;
    final long expiresAtMs;
    boolean warned;

    T(int id, long expiresAtMs) {
      this.id = id;
      this.expiresAtMs = expiresAtMs;
    }
  }

  /** The most timers fired plus re-hashed in one 1 ms tick, over the whole run. */
  static long busiestTick(int shards, int sessions) {
    long start = 1_700_000_000_000L;
    StaggeredWheels<T> wheels = new StaggeredWheels<>(start, shards, 4_096, t -> t.id * 0x9E3779B1);
    for (int i = 0; i < sessions; i++) {
      long openedAt = start + (long) i * 4_000 / sessions;
      T t = new T(i, openedAt + 40_000 + (i % 20) * 1_000L);
      wheels.schedule(t, t.expiresAtMs - 10_000);
    }
    long busiest = 0;
    long rehashedBefore = wheels.rehashed();
    for (long now = start + 1; now <= start + 70_000; now++) {
      int[] fired = {0};
      wheels.advance(now, t -> {
        fired[0]++;
        if (!t.warned) {
          t.warned = true;
          wheels.schedule(t, t.expiresAtMs);
        }
      });
      long rehashed = wheels.rehashed();
      busiest = Math.max(busiest, rehashed - rehashedBefore + fired[0]);
      rehashedBefore = rehashed;
    }
    assertThat(wheels.size()).isZero();
    return busiest;
  }

  @Test
  void theEnginesWheelsKeepTheBusiestTickSmall() {
    // 200,000 sessions: about 10 warnings and 10 expiries per ms at the peak. With 64 wheels whose
    // 64 ms boundaries coincided, the busiest tick did 2,541 moves; one wheel alone, 81,920.
    assertThat(busiestTick(256, 200_000)).isLessThanOrEqualTo(450);
  }

  @Test
  void level1BoundariesAreStaggeredToo() {
    // The same 64 wheels, offsets no longer all multiples of 64 ms: 1,301 instead of 2,541.
    assertThat(busiestTick(64, 200_000)).isLessThanOrEqualTo(1_400);
  }
}

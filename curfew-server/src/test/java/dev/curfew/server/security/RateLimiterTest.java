package dev.curfew.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.ManualClock;
import dev.curfew.server.security.RateLimiter.Rate;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  /** A random start instant (2001-2033), so that no arithmetic depends on time being small. */
  private static ManualClock randomClock(Random random) {
    return new ManualClock(Instant.ofEpochMilli(1_000_000_000_000L + (long) (random.nextDouble() * 1_000_000_000_000L)));
  }

  @Test
  void acquire_burstOfLimit_thenOnePerInterval() {
    ManualClock clock = randomClock(new Random(1));
    RateLimiter limiter = new RateLimiter(Rate.of(5, Duration.ofSeconds(10)), clock, 100);
    for (int i = 0; i < 5; i++) assertThat(limiter.tryAcquire("k")).as("request %d", i).isZero();
    assertThat(limiter.tryAcquire("k")).isEqualTo(2000); // one token every 2 s
    clock.advance(Duration.ofMillis(1500));
    assertThat(limiter.tryAcquire("k")).isEqualTo(500);
    clock.advance(Duration.ofMillis(500));
    assertThat(limiter.tryAcquire("k")).isZero();
    assertThat(limiter.tryAcquire("k")).isEqualTo(2000);
    assertThat(limiter.tryAcquire("other")).as("keys are independent").isZero();
    clock.advance(Duration.ofHours(1));
    for (int i = 0; i < 5; i++) assertThat(limiter.tryAcquire("k")).as("full again, never more than the limit").isZero();
    assertThat(limiter.tryAcquire("k")).isPositive();
  }

  @Test
  void peek_takesNothing_record_takesEvenFromAnEmptyBucket_whichThenRefillsAsUsual() {
    ManualClock clock = randomClock(new Random(2));
    RateLimiter limiter = new RateLimiter(Rate.of(2, Duration.ofSeconds(2)), clock, 100);
    for (int i = 0; i < 10; i++) assertThat(limiter.peek("k")).isZero();
    limiter.record("k");
    limiter.record("k");
    assertThat(limiter.peek("k")).isEqualTo(1000);
    for (int i = 0; i < 50; i++) limiter.record("k"); // a flood of failures after the bucket ran dry
    assertThat(limiter.peek("k")).as("a flood keeps it empty, but never owes more than one interval").isEqualTo(1000);
    clock.advance(Duration.ofSeconds(1));
    assertThat(limiter.peek("k")).isZero();
    assertThat(limiter.tryAcquire("k")).isZero();
    assertThat(limiter.tryAcquire("k")).isEqualTo(1000);
  }

  /**
   * Random schedules against the textbook token bucket (a level that refills continuously up to
   * the capacity, in exact integer microseconds): every decision the same.
   */
  @Test
  void acquire_fuzzy_agreesWithATokenBucketModel() {
    Random random = new Random(7);
    for (int round = 0; round < 200; round++) {
      ManualClock clock = randomClock(random);
      int limit = 1 + random.nextInt(20);
      Duration per = Duration.ofMillis(1 + random.nextInt(60_000));
      if (per.toMillis() * 1000 / limit < 1) continue;
      RateLimiter limiter = new RateLimiter(Rate.of(limit, per), clock, 10);
      long interval = per.toMillis() * 1000 / limit;
      long capacity = limit * interval;
      long level = capacity;
      long last = clock.millis() * 1000;
      for (int step = 0; step < 300; step++) {
        clock.advanceMillis(random.nextInt(4) == 0 ? 0 : random.nextInt((int) Math.max(1, per.toMillis() / limit * 2)));
        long now = clock.millis() * 1000;
        level = Math.min(capacity, level + (now - last));
        last = now;
        boolean modelAllows = level >= interval;
        if (modelAllows) level -= interval;
        long wait = limiter.tryAcquire("k");
        assertThat(wait == 0).as("round %d step %d: %d per %s", round, step, limit, per).isEqualTo(modelAllows);
        if (!modelAllows) assertThat(wait).isEqualTo((interval - level + 999) / 1000);
      }
    }
  }

  @Test
  void memoryIsBounded_newcomersShareOneBucketUntilFullBucketsAreDropped() {
    ManualClock clock = randomClock(new Random(3));
    RateLimiter limiter = new RateLimiter(Rate.of(1, Duration.ofMinutes(1)), clock, 100);
    for (int i = 0; i < 100; i++) assertThat(limiter.tryAcquire("a" + i)).isZero();
    assertThat(limiter.trackedKeys()).isEqualTo(100);
    // The table is full of empty buckets: two newcomers share the overflow bucket.
    assertThat(limiter.tryAcquire("new-1")).isZero();
    assertThat(limiter.tryAcquire("new-2")).as("shares new-1's bucket").isPositive();
    assertThat(limiter.peek("new-3")).isPositive();
    assertThat(limiter.trackedKeys()).isEqualTo(100);
    // A minute on, every tracked bucket is full again: the next newcomer sweeps them out.
    clock.advance(Duration.ofMinutes(1));
    assertThat(limiter.tryAcquire("new-4")).isZero();
    assertThat(limiter.trackedKeys()).isEqualTo(1);
    assertThat(limiter.tryAcquire("new-4")).as("tracked on its own now").isPositive();
    assertThat(limiter.tryAcquire("new-5")).isZero();
  }

  @Test
  void sweepsAtMostOnceASecond_soAFloodOfNewKeysDoesNotScanTheTableEachTime() {
    ManualClock clock = randomClock(new Random(4));
    RateLimiter limiter = new RateLimiter(Rate.of(1, Duration.ofMillis(10)), clock, 100);
    for (int i = 0; i < 100; i++) limiter.tryAcquire("a" + i);
    limiter.tryAcquire("overflow-1"); // sweeps: nothing to drop yet
    clock.advance(Duration.ofMillis(500)); // every bucket full again, but the last sweep was 0.5 s ago
    limiter.tryAcquire("overflow-2");
    assertThat(limiter.trackedKeys()).isEqualTo(100);
    clock.advance(Duration.ofMillis(500));
    limiter.tryAcquire("overflow-3");
    assertThat(limiter.trackedKeys()).isEqualTo(1);
  }

  @Test
  void ratesSayWhatIsWrong() {
    assertThatThrownBy(() -> Rate.of(0, Duration.ofSeconds(1))).hasMessage("limit < 1: 0");
    assertThatThrownBy(() -> Rate.of(1, Duration.ZERO)).hasMessageContaining("per < 1ms");
    assertThatThrownBy(() -> Rate.of(1, Duration.ofDays(2))).hasMessageContaining("per > 1d");
    assertThatThrownBy(() -> Rate.of(2000, Duration.ofMillis(1))).hasMessageContaining("more than one per microsecond");
    assertThat(Rate.of(20, Duration.ofMinutes(1))).hasToString("20 per 1m");
  }
}

package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The same event once per window, on a clock moved by hand that starts near the top of the long range. */
class RecordCoalescingTest {
  private final AtomicLong nanos = new AtomicLong(Long.MAX_VALUE - TimeUnit.SECONDS.toNanos(30));
  private final RecordCoalescing coalescing = new RecordCoalescing(60_000, nanos::get);

  @Test
  void repeatsBefore_recordsOncePerWindowAndCountsTheRestInTheNextRecord() {
    assertThat(coalescing.repeatsBefore("a")).isZero();
    for (int i = 0; i < 5; i++) assertThat(coalescing.repeatsBefore("a")).isEqualTo(-1);
    assertThat(coalescing.repeatsBefore("b")).as("another key is recorded at once").isZero();
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(59)); // past Long.MAX_VALUE: nanoTime differences still hold
    assertThat(coalescing.repeatsBefore("a")).isEqualTo(-1);
    nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
    assertThat(coalescing.repeatsBefore("a")).isEqualTo(6);
    assertThat(coalescing.repeatsBefore("a")).isEqualTo(-1);
  }

  @Test
  void aWindowBelowOneMillisecondIsRefused() {
    assertThatThrownBy(() -> new RecordCoalescing(0, nanos::get)).hasMessageContaining("windowMs < 1: 0");
  }
}

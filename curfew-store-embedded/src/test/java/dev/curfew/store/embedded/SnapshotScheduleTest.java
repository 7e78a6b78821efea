package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** How far apart scheduled snapshots are: the interval, or nine times the last one's duration if longer. */
class SnapshotScheduleTest {
  @Test
  void aQuickSnapshot_keepsTheInterval() {
    assertThat(EmbeddedStore.nextSnapshotDelayMs(10_000, Duration.ofMillis(40).toNanos())).isEqualTo(10_000);
    assertThat(EmbeddedStore.nextSnapshotDelayMs(10_000, Duration.ofMillis(1_111).toNanos())).isEqualTo(10_000);
  }

  /** A million sessions took 3-6 s to write on the test machine: the next one waits 27-54 s, not 10 s. */
  @Test
  void aSlowSnapshot_pushesTheNextOneOut_soSnapshotsTakeAtMostATenthOfACpu() {
    assertThat(EmbeddedStore.nextSnapshotDelayMs(10_000, Duration.ofMillis(1_112).toNanos())).isEqualTo(10_008);
    assertThat(EmbeddedStore.nextSnapshotDelayMs(10_000, Duration.ofSeconds(4).toNanos())).isEqualTo(36_000);
    long took = Duration.ofSeconds(4).toMillis();
    long delay = EmbeddedStore.nextSnapshotDelayMs(10_000, Duration.ofMillis(took).toNanos());
    assertThat((double) took / (took + delay)).isLessThanOrEqualTo(0.1);
  }
}

package dev.curfew.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MemoryLatencyTest {
  /** The chase goes through every line once before it comes back: no short loop stays in cache. */
  @Test
  void theCycleVisitsEveryLineOnce() {
    for (int lines : new int[] {2, 3, 1_000, 65_537}) {
      int[] next = MemoryLatency.cycle(lines * 16, new SplittableRandom(lines));
      BitSet seen = new BitSet(lines);
      int at = 0;
      for (int step = 0; step < lines; step++) {
        assertThat(at % 16).as("a line's first int").isZero();
        assertThat(seen.get(at / 16)).as("line %d seen twice after %d steps", at / 16, step).isFalse();
        seen.set(at / 16);
        at = next[at];
      }
      assertThat(at).as("back at the start after %d lines", lines).isZero();
      assertThat(seen.cardinality()).isEqualTo(lines);
    }
  }
}

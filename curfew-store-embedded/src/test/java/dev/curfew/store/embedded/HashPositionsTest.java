package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link HashPositions} against a map of lists, with hashes chosen to collide in the table's slots. */
class HashPositionsTest {
  private static final long SEED = 0x1DE7_2026L;

  @Test
  void agreesWithAMapOfLists_throughGrowthAndCollisions() {
    Random r = new Random(SEED);
    for (int round = 0; round < 20; round++) {
      HashPositions p = new HashPositions();
      Map<Long, List<long[]>> model = new LinkedHashMap<>();
      List<Long> hashes = new ArrayList<>();
      int distinct = 1 + r.nextInt(round < 10 ? 50 : 5_000);
      for (int i = 0; i < distinct; i++) {
        // low bits shared by many (same slot before any growth), signs mixed, never 0
        long h = r.nextInt(3) == 0 ? ((long) r.nextInt(1 << 20) << 32) | 7 : r.nextLong();
        hashes.add(h == 0 ? 1 : h);
      }
      long seq = r.nextInt(1000);
      int records = r.nextInt(20_000);
      for (int i = 0; i < records; i++) {
        long h = hashes.get(r.nextInt(hashes.size()));
        long offset = r.nextLong() >>> 1;
        p.add(h, seq, offset);
        model.computeIfAbsent(h, k -> new ArrayList<>()).add(new long[] {seq, offset});
        seq += 1 + r.nextInt(3);
      }
      String at = "seed " + SEED + ", round " + round;
      assertThat(p.size()).as(at).isEqualTo(records);
      for (long h : hashes) assertThat(p.get(h)).as(at).isEqualTo(flat(model.getOrDefault(h, List.of())));
      assertThat(p.get(r.nextLong() | 1L << 62)).as(at).isEmpty();

      List<long[]> expected = new ArrayList<>();
      model.entrySet().stream().sorted(Map.Entry.comparingByKey())
          .forEach(e -> e.getValue().forEach(v -> expected.add(new long[] {e.getKey(), v[0], v[1]})));
      assertThat(sorted(p)).as(at).containsExactlyElementsOf(expected);
      assertThat(sorted(p.copy())).as(at).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void aCopyDoesNotChangeWithTheOriginal() {
    HashPositions p = new HashPositions();
    p.add(5, 1, 10);
    HashPositions c = p.copy();
    p.add(5, 2, 20);
    p.add(6, 3, 30);
    assertThat(c.get(5)).containsExactly(1, 10);
    assertThat(c.size()).isEqualTo(1);
    assertThat(p.get(5)).containsExactly(1, 10, 2, 20);
    c.add(5, 4, 40); // a copy of a small index still grows
    assertThat(c.get(5)).containsExactly(1, 10, 4, 40);
    assertThat(new HashPositions().copy().get(5)).isEmpty();
  }

  @Test
  void hashZeroIsNotAnEntry() {
    assertThatThrownBy(() -> new HashPositions().add(0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThat(new HashPositions().get(0)).isEmpty();
  }

  private static List<long[]> sorted(HashPositions p) {
    List<long[]> out = new ArrayList<>();
    p.forEachSorted((h, s, o) -> out.add(new long[] {h, s, o}));
    return out;
  }

  private static long[] flat(List<long[]> pairs) {
    long[] out = new long[pairs.size() * 2];
    for (int i = 0; i < pairs.size(); i++) {
      out[2 * i] = pairs.get(i)[0];
      out[2 * i + 1] = pairs.get(i)[1];
    }
    return out;
  }
}

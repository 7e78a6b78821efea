package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MerkleRangeTest {

  private static List<byte[]> leaves(int n) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(MerkleTree.leafHash(("record " + i).getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  @Test
  void foldingARangeInPlaceOfItsLeaves_givesTheRootOfTheWholeTree_atEveryBoundaryAfterIt() {
    long seed = 20261203L;
    Random random = new Random(seed);
    for (int round = 0; round < 300; round++) {
      int n = 1 + random.nextInt(300);
      int begin = random.nextInt(n);
      int end = begin + 1 + random.nextInt(n - begin);
      List<byte[]> all = leaves(n);
      MerkleTree reference = MerkleTree.inMemory();
      for (byte[] h : all) reference.appendLeafHash(h);
      MerkleRange range = MerkleRange.ofLeafHashes(begin, all.subList(begin, end));
      assertThat(range.subtrees().size()).as("seed %d round %d", seed, round)
          .isLessThanOrEqualTo(2 * (64 - Long.numberOfLeadingZeros(end - begin)) + 2);
      MerkleFrontier f = new MerkleFrontier();
      for (int i = 0; i < begin; i++) f.appendLeafHash(all.get(i));
      for (MerkleRange.Subtree s : range.subtrees()) {
        f.appendSubtree(s.hash(), s.level());
        assertThat(f.rootHash()).as("seed %d round %d size %d", seed, round, f.size()).isEqualTo(reference.rootHash(f.size()));
      }
      for (int i = end; i < n; i++) {
        f.appendLeafHash(all.get(i));
        assertThat(f.rootHash()).as("seed %d round %d size %d", seed, round, f.size()).isEqualTo(reference.rootHash(f.size()));
      }
      // read back from its subtrees (what the archive manifest stores) it is the same range
      assertThat(MerkleRange.of(begin, end, range.subtrees()).subtrees()).isEqualTo(range.subtrees());
    }
  }

  @Test
  void of_refusesSubtreesThatAreNotTheRangesDecomposition() {
    MerkleRange range = MerkleRange.ofLeafHashes(5, leaves(12).subList(0, 7)); // [5, 12): 5, 6-7, 8-11
    assertThat(range.subtrees()).extracting(MerkleRange.Subtree::index).containsExactly(5L, 6L, 8L);
    assertThatThrownBy(() -> MerkleRange.of(5, 13, range.subtrees())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> MerkleRange.of(5, 12, range.subtrees().subList(1, 3))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MerkleRange.Subtree(6, 2, new byte[32])).hasMessageContaining("not aligned");
  }
}

package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Proof cost does not grow with the log: O(log n) hash reads. The 10 M-leaf tree here is virtual
 * (every leaf the same record, so every node of a level has the same hash and the store needs no
 * memory), which lets the test count reads at that size in milliseconds. The real
 * 10 M in-memory run (640 MB, several seconds) is opt-in: {@code -Dcurfew.bigTests=true}.
 */
class MerkleTreeCostTest {

  static final long TEN_MILLION = 10_000_000L;

  @Test
  void inclusionAndConsistencyProofs_inTenMillionLeafTree_readLogNHashes() {
    UniformStore store = new UniformStore(TEN_MILLION);
    MerkleTree tree = MerkleTree.open(store);
    byte[] root = tree.rootHash();
    SplittableRandom random = new SplittableRandom(42);
    long worstReads = 0;
    // The cost is counted in hash reads, which the machine's load cannot change; wall time is
    // what the opt-in test below and the benchmarks report.
    for (int round = 0; round < 2_000; round++) {
      long index = random.nextLong(TEN_MILLION);
      long reads = store.reads;
      List<byte[]> proof = tree.inclusionProof(index, TEN_MILLION);
      worstReads = Math.max(worstReads, store.reads - reads);
      assertThat(MerkleProofs.verifyInclusion(store.leaf, index, TEN_MILLION, proof, root)).isTrue();
    }
    assertThat(worstReads).as("hash reads per proof, log2(10M) = 23.3").isLessThanOrEqualTo(2 * 24);

    long earlier = random.nextLong(1, TEN_MILLION);
    long reads = store.reads;
    List<byte[]> consistency = tree.consistencyProof(earlier, TEN_MILLION);
    assertThat(store.reads - reads).isLessThanOrEqualTo(4 * 24);
    assertThat(MerkleProofs.verifyConsistency(earlier, TEN_MILLION, consistency, tree.rootHash(earlier), root)).isTrue();
  }

  @Test
  @EnabledIfSystemProperty(named = "curfew.bigTests", matches = "true")
  void inclusionProof_inRealTenMillionLeafTree_isFast() {
    MerkleTree tree = MerkleTree.inMemory();
    long start = System.nanoTime();
    for (long i = 0; i < TEN_MILLION; i++) {
      tree.append(MerkleTreePropertiesTest.leaf(i));
    }
    long appendMillis = (System.nanoTime() - start) / 1_000_000;
    byte[] root = tree.rootHash();
    SplittableRandom random = new SplittableRandom(7);
    long worstNanos = 0;
    for (int round = 0; round < 2_000; round++) {
      long index = random.nextLong(TEN_MILLION);
      long t = System.nanoTime();
      List<byte[]> proof = tree.inclusionProof(index, TEN_MILLION);
      worstNanos = Math.max(worstNanos, round >= 1_000 ? System.nanoTime() - t : 0);
      assertThat(MerkleProofs.verifyInclusion(tree.leafHashAt(index), index, TEN_MILLION, proof, root)).isTrue();
    }
    System.out.printf("10M appends: %d ms; worst inclusion proof: %.3f ms%n", appendMillis, worstNanos / 1e6);
    assertThat(worstNanos / 1_000_000).isLessThan(50);
  }

  /** A virtual store of n identical leaves: node (level, i) is the same hash for every i. */
  static final class UniformStore implements HashStore {
    final byte[] leaf = MerkleTree.leafHash("the same record".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    final byte[][] levelHash = new byte[MAX_LEVEL + 1][];
    final long leaves;
    long reads;

    UniformStore(long leaves) {
      this.leaves = leaves;
      levelHash[0] = leaf;
      for (int level = 1; level <= MAX_LEVEL; level++) {
        levelHash[level] = MerkleTree.nodeHash(levelHash[level - 1], levelHash[level - 1]);
      }
    }

    @Override
    public boolean keeps(int level) {
      return level >= 0 && level <= MAX_LEVEL;
    }

    @Override
    public long size(int level) {
      return leaves >>> level;
    }

    @Override
    public byte[] read(int level, long index) {
      if (index < 0 || index >= size(level)) {
        throw new IndexOutOfBoundsException("(" + level + ", " + index + ")");
      }
      reads++;
      return levelHash[level].clone();
    }

    @Override
    public void append(int level, byte[] hash) {
      throw new UnsupportedOperationException("read-only");
    }
  }
}

package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Proofs for random tree sizes verify, mutated ones do not, and every store layout agrees. */
class MerkleTreePropertiesTest {

  /** Leaf i's bytes: its index, big-endian. */
  static byte[] leaf(long i) {
    return ByteBuffer.allocate(8).putLong(i).array();
  }

  static MerkleTree treeOf(int n) {
    MerkleTree tree = MerkleTree.inMemory();
    for (int i = 0; i < n; i++) {
      tree.append(leaf(i));
    }
    return tree;
  }

  /** MTH straight from the RFC 6962 §2.1 definition, recursive, for comparison. */
  static byte[] referenceRoot(List<byte[]> leaves) {
    if (leaves.isEmpty()) {
      return MerkleTree.emptyRootHash();
    }
    if (leaves.size() == 1) {
      return MerkleTree.leafHash(leaves.get(0));
    }
    int k = Integer.highestOneBit(leaves.size() - 1);
    return MerkleTree.nodeHash(referenceRoot(leaves.subList(0, k)), referenceRoot(leaves.subList(k, leaves.size())));
  }

  record Sizes(int treeSize, int earlierSize, int leafIndex) {}

  @Provide
  Arbitrary<Sizes> sizes() {
    return Arbitraries.integers().between(1, 700).flatMap(n ->
        Arbitraries.integers().between(1, n).flatMap(m ->
            Arbitraries.integers().between(0, m - 1).map(i -> new Sizes(n, m, i))));
  }

  @Property(tries = 150, seed = "20261128")
  void append_rootEqualsReferenceAtEverySize(@ForAll @IntRange(min = 0, max = 300) int n) {
    MerkleTree tree = MerkleTree.inMemory();
    List<byte[]> leaves = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      leaves.add(leaf(i));
      tree.append(leaf(i));
      tree.checkInvariants();
    }
    assertThat(tree.rootHash()).isEqualTo(referenceRoot(leaves));
    int m = n / 3;
    assertThat(tree.rootHash(m)).isEqualTo(referenceRoot(leaves.subList(0, m)));
  }

  @Property(tries = 300, seed = "20261128")
  void inclusionProof_verifies_andMutationFails(@ForAll("sizes") Sizes s, @ForAll("mutation") long mutation) {
    MerkleTree tree = treeOf(s.treeSize());
    long m = s.earlierSize();
    long i = s.leafIndex();
    byte[] root = tree.rootHash(m);
    byte[] leafHash = MerkleTree.leafHash(leaf(i));
    List<byte[]> proof = tree.inclusionProof(i, m);

    assertThat(MerkleProofs.verifyInclusion(leafHash, i, m, proof, root)).isTrue();
    assertThat(proof.size()).isLessThanOrEqualTo(64 - Long.numberOfLeadingZeros(m - 1));

    if (!proof.isEmpty()) {
      assertThat(MerkleProofs.verifyInclusion(leafHash, i, m, flip(proof, mutation), root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leafHash, i, m, proof.subList(1, proof.size()), root)).isFalse();
    }
    assertThat(MerkleProofs.verifyInclusion(leafHash, i, m, MerkleTreeVectorsTest.plus(proof, root), root)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(MerkleTree.leafHash(leaf(i + 1)), i, m, proof, root)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(leafHash, i, m, proof, flipByte(root, mutation))).isFalse();
    if (m > 1) {
      long otherIndex = (i + 1 + Math.floorMod(mutation, m - 1)) % m; // any index but i
      assertThat(MerkleProofs.verifyInclusion(leafHash, otherIndex, m, proof, root)).isFalse();
    }
  }

  @Property(tries = 300, seed = "20261128")
  void consistencyProof_verifies_andMutationFails(@ForAll("sizes") Sizes s, @ForAll("mutation") long mutation) {
    MerkleTree tree = treeOf(s.treeSize());
    long m = s.earlierSize();
    long n = s.treeSize();
    byte[] root1 = tree.rootHash(m);
    byte[] root2 = tree.rootHash(n);
    List<byte[]> proof = tree.consistencyProof(m, n);

    assertThat(MerkleProofs.verifyConsistency(m, n, proof, root1, root2)).isTrue();
    assertThat(MerkleProofs.verifyConsistency(0, n, tree.consistencyProof(0, n), MerkleTree.emptyRootHash(), root2)).isTrue();

    if (m == n) {
      assertThat(proof).isEmpty();
      return;
    }
    assertThat(MerkleProofs.verifyConsistency(m, n, flip(proof, mutation), root1, root2)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(m, n, proof.subList(0, proof.size() - 1), root1, root2)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(m, n, proof, flipByte(root1, mutation), root2)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(m, n, proof, root1, flipByte(root2, mutation))).isFalse();
    assertThat(MerkleProofs.verifyConsistency(m, n, proof, root2, root1)).isFalse();
    if (m + 1 < n) {
      assertThat(MerkleProofs.verifyConsistency(m + 1, n, proof, tree.rootHash(m + 1), root2)).isFalse();
    }
  }

  @Property(tries = 60, seed = "20261128")
  void leavesOnlyStore_givesSameRootsAndProofs(@ForAll("sizes") Sizes s) {
    MerkleTree full = treeOf(s.treeSize());
    MerkleTree sparse = MerkleTree.open(new LeavesOnlyStore());
    for (int i = 0; i < s.treeSize(); i++) {
      sparse.append(leaf(i));
    }
    sparse.checkInvariants();
    long m = s.earlierSize();
    assertThat(sparse.rootHash()).isEqualTo(full.rootHash());
    assertThat(sparse.rootHash(m)).isEqualTo(full.rootHash(m));
    assertThat(sparse.inclusionProof(s.leafIndex(), m)).usingElementComparator(Arrays::compare)
        .isEqualTo(full.inclusionProof(s.leafIndex(), m));
    assertThat(sparse.consistencyProof(m, s.treeSize())).usingElementComparator(Arrays::compare)
        .isEqualTo(full.consistencyProof(m, s.treeSize()));
  }

  @Property(tries = 60, seed = "20261128")
  void open_afterCrashThatLostUpperNodes_repairsAndContinues(
      @ForAll @IntRange(min = 0, max = 400) int before, @ForAll @IntRange(min = 0, max = 100) int after,
      @ForAll @IntRange(min = 0, max = 400) int keepUpperUntil) {
    InMemoryHashStore store = new InMemoryHashStore();
    MerkleTree tree = MerkleTree.open(new UpperLevelsLostAfter(store, keepUpperUntil));
    for (int i = 0; i < before; i++) {
      tree.append(leaf(i));
    }
    MerkleTree reopened = MerkleTree.open(store);
    reopened.checkInvariants();
    for (int i = before; i < before + after; i++) {
      reopened.append(leaf(i));
    }
    reopened.checkInvariants();
    assertThat(reopened.rootHash()).isEqualTo(treeOf(before + after).rootHash());
  }

  @Provide
  Arbitrary<Long> mutation() {
    return Arbitraries.longs();
  }

  /** Flips one bit of one proof element, both picked by {@code mutation}. */
  static List<byte[]> flip(List<byte[]> proof, long mutation) {
    List<byte[]> out = new ArrayList<>(proof);
    int k = (int) Math.floorMod(mutation, (long) proof.size());
    out.set(k, flipByte(proof.get(k), mutation >>> 8));
    return out;
  }

  static byte[] flipByte(byte[] hash, long mutation) {
    byte[] out = hash.clone();
    int bit = (int) Math.floorMod(mutation, 256L);
    out[bit / 8] ^= (byte) (1 << (bit % 8));
    return out;
  }

  /** A store that keeps only the leaf hashes: every node is recomputed. */
  static final class LeavesOnlyStore implements HashStore {
    private final InMemoryHashStore leaves = new InMemoryHashStore();

    @Override
    public boolean keeps(int level) {
      return level == 0;
    }

    @Override
    public long size(int level) {
      return level == 0 ? leaves.size(0) : 0;
    }

    @Override
    public byte[] read(int level, long index) {
      if (level != 0) {
        throw new IndexOutOfBoundsException("level " + level + " not kept");
      }
      return leaves.read(0, index);
    }

    @Override
    public void append(int level, byte[] hash) {
      if (level != 0) {
        throw new IllegalStateException("append to level " + level + " which is not kept");
      }
      leaves.append(0, hash);
    }
  }

  /** Simulates a crash: after {@code leaves} leaves, upper-level appends never reach the disk. */
  record UpperLevelsLostAfter(InMemoryHashStore store, long leaves) implements HashStore {
    @Override
    public boolean keeps(int level) {
      return store.keeps(level);
    }

    @Override
    public long size(int level) {
      return store.size(level);
    }

    @Override
    public byte[] read(int level, long index) {
      return store.read(level, index);
    }

    @Override
    public void append(int level, byte[] hash) {
      if (level == 0 || store.size(0) <= leaves) {
        store.append(level, hash);
      }
    }
  }
}

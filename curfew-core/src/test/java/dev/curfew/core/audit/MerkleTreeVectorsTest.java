package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The RFC 6962 reference vectors that Certificate Transparency implementations share.
 *
 * <p>Source (data only, transcribed by hand): github.com/transparency-dev/merkle,
 * {@code testonly/constants.go} (LeafInputs, NodeHashes, RootHashes) and {@code
 * proof/verify_test.go} (inclusionProofs, consistencyProofs; there the leaf number is 1-based, here
 * converted to the 0-based leaf index). The same data is in google/certificate-transparency-go's
 * merkle tests, which inherited it from the C++ CT log.
 */
class MerkleTreeVectorsTest {

  static final List<byte[]> LEAVES = hexes(
      "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f");

  /** Root hash for tree sizes 0..8. */
  static final List<byte[]> ROOTS = hexes(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");

  /** Leaf hashes (level 0 of NodeHashes). */
  static final List<byte[]> LEAF_HASHES = hexes(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
      "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
      "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
      "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
      "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
      "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
      "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1");

  record InclusionVector(long index, long size, List<byte[]> proof) {}

  record ConsistencyVector(long size1, long size2, List<byte[]> proof) {}

  static final List<InclusionVector> INCLUSION = List.of(
      new InclusionVector(0, 1, List.of()),
      new InclusionVector(0, 8, hexes(
          "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
      new InclusionVector(5, 8, hexes(
          "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
          "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
      new InclusionVector(2, 3, hexes(
          "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")),
      new InclusionVector(1, 5, hexes(
          "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")));

  static final List<ConsistencyVector> CONSISTENCY = List.of(
      new ConsistencyVector(1, 1, List.of()),
      new ConsistencyVector(1, 8, hexes(
          "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")),
      new ConsistencyVector(6, 8, hexes(
          "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
          "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")),
      new ConsistencyVector(2, 5, hexes(
          "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
          "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")),
      new ConsistencyVector(6, 7, hexes(
          "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
          "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
          "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")));

  static MerkleTree referenceTree() {
    MerkleTree tree = MerkleTree.inMemory();
    LEAVES.forEach(tree::append);
    return tree;
  }

  @Test
  void leafHash_matchesReference() {
    for (int i = 0; i < LEAVES.size(); i++) {
      assertThat(MerkleTree.leafHash(LEAVES.get(i))).as("leaf %d", i).isEqualTo(LEAF_HASHES.get(i));
    }
  }

  @Test
  void rootHash_afterEachAppend_matchesReference() {
    MerkleTree tree = MerkleTree.inMemory();
    assertThat(tree.rootHash()).isEqualTo(ROOTS.get(0)).isEqualTo(MerkleTree.emptyRootHash());
    for (int i = 0; i < LEAVES.size(); i++) {
      assertThat(tree.append(LEAVES.get(i))).isEqualTo(i);
      assertThat(tree.rootHash()).as("root of size %d", i + 1).isEqualTo(ROOTS.get(i + 1));
      tree.checkInvariants();
    }
  }

  @Test
  void rootHash_ofEarlierSize_matchesReference() {
    MerkleTree tree = referenceTree();
    for (int size = 0; size <= 8; size++) {
      assertThat(tree.rootHash(size)).as("root of size %d", size).isEqualTo(ROOTS.get(size));
    }
  }

  @Test
  void inclusionProof_matchesReferenceAndVerifies() {
    MerkleTree tree = referenceTree();
    for (InclusionVector v : INCLUSION) {
      List<byte[]> proof = tree.inclusionProof(v.index(), v.size());
      assertThat(proof).as("PATH(%d, D[%d])", v.index(), v.size()).usingElementComparator(HEX).isEqualTo(v.proof());
      assertThat(MerkleProofs.verifyInclusion(LEAF_HASHES.get((int) v.index()), v.index(), v.size(),
          v.proof(), ROOTS.get((int) v.size()))).isTrue();
    }
  }

  @Test
  void consistencyProof_matchesReferenceAndVerifies() {
    MerkleTree tree = referenceTree();
    for (ConsistencyVector v : CONSISTENCY) {
      List<byte[]> proof = tree.consistencyProof(v.size1(), v.size2());
      assertThat(proof).as("PROOF(%d, D[%d])", v.size1(), v.size2()).usingElementComparator(HEX).isEqualTo(v.proof());
      assertThat(MerkleProofs.verifyConsistency(v.size1(), v.size2(), v.proof(),
          ROOTS.get((int) v.size1()), ROOTS.get((int) v.size2()))).isTrue();
    }
  }

  @Test
  void inclusionProof_corruptedReference_isRejected() {
    // Mutations after transparency-dev/merkle's corruptInclusionProof.
    for (InclusionVector v : INCLUSION) {
      byte[] leaf = LEAF_HASHES.get((int) v.index());
      byte[] root = ROOTS.get((int) v.size());
      long i = v.index();
      long n = v.size();
      List<byte[]> p = v.proof();
      assertThat(MerkleProofs.verifyInclusion(leaf, i - 1, n, p, root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leaf, i + 1, n, p, root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leaf, i ^ 2, n, p, root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leaf, i, n * 2, p, root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leaf, i, n / 2, p, root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(MerkleTree.leafHash(new byte[] {1}), i, n, p, root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leaf, i, n, p, ROOTS.get(0))).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leaf, i, n, plus(p, root), root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leaf, i, n, plus(List.of(root), p), root)).isFalse();
      assertThat(MerkleProofs.verifyInclusion(leaf, i, n, plus(p, new byte[0]), root)).isFalse();
      for (int k = 0; k < p.size(); k++) {
        assertThat(MerkleProofs.verifyInclusion(leaf, i, n, flipBit(p, k), root)).as("flipped proof[%d]", k).isFalse();
      }
      if (!p.isEmpty()) {
        assertThat(MerkleProofs.verifyInclusion(leaf, i, n, p.subList(0, p.size() - 1), root)).isFalse();
      }
    }
  }

  @Test
  void consistencyProof_corruptedReference_isRejected() {
    // Mutations after transparency-dev/merkle's corruptConsistencyProof; non-trivial proofs only.
    for (ConsistencyVector v : CONSISTENCY) {
      if (v.proof().isEmpty()) {
        continue;
      }
      long m = v.size1();
      long n = v.size2();
      byte[] r1 = ROOTS.get((int) m);
      byte[] r2 = ROOTS.get((int) n);
      List<byte[]> p = v.proof();
      assertThat(MerkleProofs.verifyConsistency(m - 1, n, p, r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m + 1, n, p, r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m ^ 2, n, p, r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n * 2, p, r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n / 2, p, r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, p, r2, r1)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, p, ROOTS.get(0), r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, p, r1, ROOTS.get(0))).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, List.of(), r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, plus(p, r1), r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, plus(p, r2), r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, plus(List.of(r1), p), r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, plus(List.of(p.get(0)), p), r1, r2)).isFalse();
      assertThat(MerkleProofs.verifyConsistency(m, n, p.subList(0, p.size() - 1), r1, r2)).isFalse();
      for (int k = 0; k < p.size(); k++) {
        assertThat(MerkleProofs.verifyConsistency(m, n, flipBit(p, k), r1, r2)).as("flipped proof[%d]", k).isFalse();
      }
    }
  }

  @Test
  void verifyConsistency_trivialSizes() {
    // After transparency-dev/merkle TestVerifyConsistency's fixed cases.
    byte[] a = ROOTS.get(1);
    byte[] b = ROOTS.get(2);
    assertThat(MerkleProofs.verifyConsistency(0, 0, List.of(), a, a)).isTrue();
    assertThat(MerkleProofs.verifyConsistency(0, 1, List.of(), a, b)).isTrue();
    assertThat(MerkleProofs.verifyConsistency(1, 1, List.of(), b, b)).isTrue();
    assertThat(MerkleProofs.verifyConsistency(0, 0, List.of(), a, b)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(1, 1, List.of(), a, b)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(1, 0, List.of(), a, b)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(2, 1, List.of(), a, b)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(1, 2, List.of(), a, b)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(0, 1, List.of(ROOTS.get(0)), a, a)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(1, 1, List.of(ROOTS.get(0)), a, a)).isFalse();
  }

  @Test
  void verifyInclusion_malformedInput_isFalseNotException() {
    byte[] h = LEAF_HASHES.get(0);
    List<byte[]> nullElement = new ArrayList<>();
    nullElement.add(null);
    assertThat(MerkleProofs.verifyInclusion(h, 0, 1, List.of(), h)).isTrue();
    assertThat(MerkleProofs.verifyInclusion(null, 0, 1, List.of(), h)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, 0, 1, null, h)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, 0, 1, List.of(), null)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, 0, 1, List.of(), new byte[0])).isFalse();
    assertThat(MerkleProofs.verifyInclusion(new byte[0], 0, 1, List.of(), h)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, 0, 0, List.of(), h)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, 1, 0, List.of(), h)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, 2, 1, List.of(), h)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, -1, 1, List.of(), h)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, 0, 2, nullElement, h)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(1, 2, nullElement, h, h)).isFalse();
    assertThat(MerkleProofs.verifyConsistency(-1, 2, List.of(), h, h)).isFalse();
    assertThat(MerkleProofs.verifyInclusion(h, Long.MAX_VALUE - 1, Long.MAX_VALUE, List.of(h), h)).isFalse();
  }

  @Test
  void proofs_outOfRange_areRefusedWithMessages() {
    MerkleTree tree = referenceTree();
    assertThatThrownBy(() -> tree.inclusionProof(8, 8)).hasMessageContaining("leafIndex not in 0..7: 8");
    assertThatThrownBy(() -> tree.inclusionProof(0, 9)).hasMessageContaining("treeSize not in 0..8: 9");
    assertThatThrownBy(() -> tree.consistencyProof(5, 4)).hasMessageContaining("fromSize");
    assertThatThrownBy(() -> tree.rootHash(-1)).hasMessageContaining("treeSize");
    assertThatThrownBy(() -> tree.appendLeafHash(new byte[31])).hasMessageContaining("leafHash length != 32: 31");
  }

  // ---- helpers ----

  static final java.util.Comparator<byte[]> HEX = java.util.Arrays::compare;

  static List<byte[]> hexes(String... hex) {
    List<byte[]> out = new ArrayList<>();
    for (String h : hex) {
      out.add(HexFormat.of().parseHex(h));
    }
    return List.copyOf(out);
  }

  static List<byte[]> plus(List<byte[]> a, byte[] b) {
    List<byte[]> out = new ArrayList<>(a);
    out.add(b);
    return out;
  }

  static List<byte[]> plus(List<byte[]> a, List<byte[]> b) {
    List<byte[]> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  static List<byte[]> flipBit(List<byte[]> proof, int k) {
    List<byte[]> out = new ArrayList<>(proof);
    byte[] changed = proof.get(k).clone();
    changed[0] ^= 8;
    out.set(k, changed);
    return out;
  }
}

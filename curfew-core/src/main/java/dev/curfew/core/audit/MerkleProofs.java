package dev.curfew.core.audit;

import java.security.MessageDigest;
import java.util.List;

/*
 * Stateless verification of RFC 6962 Merkle proofs, for anyone holding a root hash: the
 * algorithms of RFC 9162 §2.1.3.2 (verifying an inclusion proof) and §2.1.4.2 (verifying a
 * consistency proof), which check the RFC 6962 §2.1.1 / §2.1.2 proofs that MerkleTree produces.
 *
 * Both walk the proof with two cursors: fn, the position of the node being proved at the current
 * level, and sn, the position of the last node of the tree at that level. When fn is a right child
 * (odd), or the last node of its level (fn == sn, so it has no right sibling and is promoted
 * unchanged until it is a right child), the proof element is its left sibling; otherwise its right
 * sibling. The proof is right only if it is used up exactly when sn reaches 0 (the root) and the
 * hash computed equals the root. Every length and index is checked first, so that a hostile proof
 * yields false, never an exception.
 */

/**
 * Verifies RFC 6962 inclusion and consistency proofs. Depends on nothing but SHA-256; every
 * method returns false on any malformed input (null, wrong hash length, out-of-range index).
 */
public final class MerkleProofs {

  private static final int HASH_BYTES = HashStore.HASH_BYTES;

  private MerkleProofs() {}

  /**
   * Whether {@code proof} shows that the leaf with hash {@code leafHash} is at {@code index} in the
   * tree of {@code treeSize} leaves whose root hash is {@code root} (RFC 9162 §2.1.3.2).
   */
  public static boolean verifyInclusion(
      byte[] leafHash, long index, long treeSize, List<byte[]> proof, byte[] root) {
    if (!isHash(leafHash) || !isHash(root) || !allHashes(proof)) {
      return false;
    }
    if (index < 0 || index >= treeSize) {
      return false;
    }
    long fn = index;
    long sn = treeSize - 1;
    byte[] r = leafHash;
    for (byte[] p : proof) {
      if (sn == 0) {
        return false; // proof longer than the path
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = MerkleTree.nodeHash(p, r);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      } else {
        r = MerkleTree.nodeHash(r, p);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(r, root);
  }

  /**
   * Whether {@code proof} shows that the tree of {@code size2} leaves with root {@code root2}
   * extends the tree of {@code size1} leaves with root {@code root1} (RFC 9162 §2.1.4.2). When
   * {@code size1} is 0 or equals {@code size2} the proof must be empty (and, for equal sizes, the
   * roots equal).
   */
  public static boolean verifyConsistency(
      long size1, long size2, List<byte[]> proof, byte[] root1, byte[] root2) {
    if (!isHash(root1) || !isHash(root2) || !allHashes(proof)) {
      return false;
    }
    if (size1 < 0 || size2 < size1) {
      return false;
    }
    if (size1 == size2) {
      return proof.isEmpty() && MessageDigest.isEqual(root1, root2);
    }
    if (size1 == 0) {
      return proof.isEmpty(); // the empty tree is a prefix of every tree
    }
    if (proof.isEmpty()) {
      return false;
    }
    return verifyConsistencyPath(size1, size2, proof, root1, root2);
  }

  /** RFC 9162 §2.1.4.2 steps 2-7, for 0 < size1 < size2 and a non-empty proof. */
  private static boolean verifyConsistencyPath(
      long size1, long size2, List<byte[]> proof, byte[] root1, byte[] root2) {
    // Step 2: when size1 is a power of two the old root is itself a node of the new tree, and
    // the proof leaves it out.
    boolean oldRootImplied = Long.bitCount(size1) == 1;
    long fn = size1 - 1;
    long sn = size2 - 1;
    while ((fn & 1) == 1) {
      fn >>>= 1;
      sn >>>= 1;
    }
    byte[] fr = oldRootImplied ? root1 : proof.get(0);
    byte[] sr = fr;
    for (int i = oldRootImplied ? 0 : 1; i < proof.size(); i++) {
      byte[] c = proof.get(i);
      if (sn == 0) {
        return false; // proof longer than the path
      }
      if ((fn & 1) == 1 || fn == sn) {
        fr = MerkleTree.nodeHash(c, fr);
        sr = MerkleTree.nodeHash(c, sr);
        while ((fn & 1) == 0 && fn != 0) {
          fn >>>= 1;
          sn >>>= 1;
        }
      } else {
        sr = MerkleTree.nodeHash(sr, c);
      }
      fn >>>= 1;
      sn >>>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(fr, root1) && MessageDigest.isEqual(sr, root2);
  }

  private static boolean isHash(byte[] hash) {
    return hash != null && hash.length == HASH_BYTES;
  }

  private static boolean allHashes(List<byte[]> proof) {
    if (proof == null || proof.size() > 2 * Long.SIZE) { // no valid proof is longer
      return false;
    }
    for (byte[] p : proof) {
      if (!isHash(p)) {
        return false;
      }
    }
    return true;
  }
}

package dev.curfew.core.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/*
 * The right edge of an RFC 6962 Merkle tree (§2.1), enough to compute its root and to keep
 * appending, and nothing more: the "compact range" [0, n) of c2sp.org/tlog-tiles and of
 * transparency-dev/merkle's compact package. See MerkleTree for the picture.
 *
 * A tree of n leaves is the full subtrees given by the set bits of n; frontier[level] holds the
 * hash of the one at that level. Appending a leaf is a binary increment: while the bit at the
 * current level is set, hash the waiting left sibling with the new node and carry one level up.
 * The root is the fold of the frontier from the smallest subtree up. Memory: at most 63 hashes,
 * whatever n is, which is what lets AuditVerifier check a log of any length in one pass.
 */

/** The O(log n) frontier of a Merkle tree: append leaves, read the root. Not thread-safe. */
final class MerkleFrontier {

  private static final int HASH_BYTES = HashStore.HASH_BYTES;

  private final MessageDigest sha256;
  private final byte[][] frontier = new byte[HashStore.MAX_LEVEL + 1][];
  private long size;

  MerkleFrontier() {
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  /** The number of leaves appended. */
  long size() {
    return size;
  }

  /** Appends the leaf whose bytes are {@code bytes[offset, offset + length)}; returns its hash. */
  byte[] appendLeaf(byte[] bytes, int offset, int length) {
    sha256.update((byte) 0x00);
    sha256.update(bytes, offset, length);
    byte[] leafHash = sha256.digest();
    appendLeafHash(leafHash);
    return leafHash;
  }

  /** Appends an already computed leaf hash (not retained). */
  void appendLeafHash(byte[] leafHash) {
    if (leafHash.length != HASH_BYTES) {
      throw new IllegalArgumentException("leafHash length != " + HASH_BYTES + ": " + leafHash.length);
    }
    if (size == Long.MAX_VALUE) {
      throw new IllegalStateException("tree is full: " + size + " leaves");
    }
    byte[] hash = leafHash.clone();
    int level = 0;
    while ((size >>> level & 1) == 1) { // carry
      hash = nodeHash(frontier[level], hash);
      frontier[level] = null;
      level++;
    }
    frontier[level] = hash;
    size++;
  }

  /**
   * Appends a full subtree of {@code 2^level} leaves whose hash is {@code subtreeHash}, as if its
   * leaves were appended one by one: the size must be a multiple of {@code 2^level}, so that the
   * subtree is one node of the tree (an entry of a compact range, see MerkleRange).
   */
  void appendSubtree(byte[] subtreeHash, int level) {
    if (subtreeHash.length != HASH_BYTES) {
      throw new IllegalArgumentException("subtreeHash length != " + HASH_BYTES + ": " + subtreeHash.length);
    }
    if (level < 0 || level >= HashStore.MAX_LEVEL) throw new IllegalArgumentException("level out of range: " + level);
    long width = 1L << level;
    if (size % width != 0) throw new IllegalArgumentException("size " + size + " is not a multiple of 2^" + level);
    if (size > Long.MAX_VALUE - width) throw new IllegalStateException("tree is full: " + size + " leaves");
    byte[] hash = subtreeHash.clone();
    int l = level;
    while ((size >>> l & 1) == 1) { // carry, as appendLeafHash does from level 0
      hash = nodeHash(frontier[l], hash);
      frontier[l] = null;
      l++;
    }
    frontier[l] = hash;
    size += width;
  }

  /** The root hash of the leaves appended so far (the empty-tree hash when none). */
  byte[] rootHash() {
    byte[] root = null;
    for (int level = 0; level <= HashStore.MAX_LEVEL; level++) {
      if (frontier[level] != null) {
        root = root == null ? frontier[level] : nodeHash(frontier[level], root);
      }
    }
    return root == null ? sha256.digest() : root.clone();
  }

  private byte[] nodeHash(byte[] left, byte[] right) {
    sha256.update((byte) 0x01);
    sha256.update(left);
    sha256.update(right);
    return sha256.digest();
  }
}

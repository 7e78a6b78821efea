package dev.curfew.core.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/*
 * The Merkle log of the audit trail: an append-only binary hash tree over the records in seq order.
 *
 * Hashes (RFC 6962 §2.1, "Merkle Hash Trees"; the same tree as C2SP tlog-checkpoint's root hash,
 * https://c2sp.org/tlog-checkpoint, and c2sp.org/tlog-tiles):
 *
 *   MTH({})        = SHA-256()                             the empty tree
 *   MTH({d(0)})    = SHA-256(0x00 || d(0))                 a leaf
 *   MTH(D[n])      = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
 *                    where k is the largest power of two smaller than n
 *
 * so the left subtree of every node is full (a power of two leaves) and only the right edge of the
 * tree can be ragged. The 0x00/0x01 prefixes keep a leaf from being passed off as a node.
 *
 * Structure. Every full subtree has a fixed address (level, index): the 2^level leaves starting at
 * index * 2^level. Its hash never changes once the subtree is complete, so a HashStore keeps them
 * level by level, append-only. A tree of n leaves is the full subtrees given by the binary digits
 * of n, largest (leftmost) first: n = 6 = 0b110 is node (2, 0) covering leaves 0..3 and node
 * (1, 2) covering leaves 4..5. Those right-edge nodes are the "frontier"; the root is their fold
 * from the right: MTH(D[6]) = H(0x01 || (2,0) || (1,2)).
 *
 *     level 2            (2,0)
 *                     /         \
 *     level 1      (1,0)       (1,1)        (1,2)
 *                  /   \       /   \        /   \
 *     level 0   (0,0) (0,1) (0,2) (0,3)  (0,4) (0,5)
 *
 * Append (amortized O(1) hashes, O(log n) worst case): the new leaf is node (0, n). While the bit
 * of n at the current level is 1, the frontier node at that level is the left sibling of the node
 * just made: hash them together one level up (a binary counter's carry). Nothing else is rehashed.
 *
 * Proofs for any earlier size m <= n. RFC 6962 §2.1.1 PATH and §2.1.2 SUBPROOF recurse on ranges
 * [lo, hi) split at the largest power of two below hi - lo. Every range they visit starts at a
 * multiple of a power of two at least as large as the range, so its hash is the fold of at most
 * log2 n full subtrees read from the store: a proof costs O(log^2 n) reads in the worst case and
 * in practice about log n, whatever n is. Verification is in MerkleProofs (RFC 9162 §2.1.3.2,
 * §2.1.4.2), which does not depend on this class.
 */

/**
 * An RFC 6962 Merkle tree with O(1) amortized append and inclusion / consistency proofs for any
 * earlier tree size, over a {@link HashStore}. Thread-safe: all methods are synchronized (proofs
 * are short; the log has one writer).
 */
public final class MerkleTree {

  private static final byte LEAF_PREFIX = 0x00;
  private static final byte NODE_PREFIX = 0x01;
  private static final int HASH_BYTES = HashStore.HASH_BYTES;
  private static final byte[] EMPTY_ROOT = sha256().digest();

  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(MerkleTree::sha256);

  private final HashStore store;
  /** frontier[level]: hash of the right-edge full subtree at level, non-null iff bit level of size. */
  private final byte[][] frontier = new byte[HashStore.MAX_LEVEL + 1][];
  private long size;

  private MerkleTree(HashStore store) {
    this.store = store;
  }

  /** A new empty tree over an {@link InMemoryHashStore}. */
  public static MerkleTree inMemory() {
    return open(new InMemoryHashStore());
  }

  /**
   * A tree over the hashes already in {@code store} (possibly none): its size is the number of
   * leaf hashes. Upper-level nodes a crash left unwritten are recomputed and appended.
   *
   * @throws IllegalStateException if a level holds more nodes than its leaves allow
   */
  public static MerkleTree open(HashStore store) {
    Objects.requireNonNull(store, "store");
    if (!store.keeps(0)) {
      throw new IllegalArgumentException("store does not keep level 0 (the leaf hashes)");
    }
    MerkleTree tree = new MerkleTree(store);
    tree.size = store.size(0);
    tree.repairUpperLevels();
    for (int level = 0; level <= HashStore.MAX_LEVEL; level++) {
      if ((tree.size >>> level & 1) == 1) {
        tree.frontier[level] = tree.fullSubtreeHash(level, (tree.size >>> level) - 1);
      }
    }
    return tree;
  }

  // ---- hashing (RFC 6962 §2.1) ----

  /** {@code SHA-256(0x00 || leafBytes)}: the hash of a leaf. */
  public static byte[] leafHash(byte[] leafBytes) {
    Objects.requireNonNull(leafBytes, "leafBytes");
    MessageDigest digest = SHA_256.get();
    digest.update(LEAF_PREFIX);
    digest.update(leafBytes);
    return digest.digest();
  }

  /** {@code SHA-256(0x01 || left || right)}: the hash of an interior node. */
  public static byte[] nodeHash(byte[] left, byte[] right) {
    requireHash(left, "left");
    requireHash(right, "right");
    MessageDigest digest = SHA_256.get();
    digest.update(NODE_PREFIX);
    digest.update(left);
    digest.update(right);
    return digest.digest();
  }

  /** {@code SHA-256()}: the root hash of the empty tree. */
  public static byte[] emptyRootHash() {
    return EMPTY_ROOT.clone();
  }

  // ---- append ----

  /** Appends a record's bytes as the next leaf; returns its leaf index. */
  public long append(byte[] leafBytes) {
    return appendLeafHash(leafHash(leafBytes));
  }

  /** Appends an already computed leaf hash ({@link #leafHash}); returns its leaf index. */
  public synchronized long appendLeafHash(byte[] leafHash) {
    requireHash(leafHash, "leafHash");
    if (size == Long.MAX_VALUE) {
      throw new IllegalStateException("tree is full: " + size + " leaves");
    }
    long index = size;
    byte[] hash = leafHash.clone();
    store.append(0, hash);
    int level = 0;
    // Carry: each set low bit of index is a full left sibling waiting on the frontier.
    while ((index >>> level & 1) == 1) {
      hash = nodeHash(frontier[level], hash);
      frontier[level] = null;
      level++;
      if (store.keeps(level)) {
        store.append(level, hash);
      }
    }
    frontier[level] = hash;
    size = index + 1;
    return index;
  }

  // ---- reads ----

  /** The number of leaves. */
  public synchronized long size() {
    return size;
  }

  /** The leaf hash at {@code leafIndex}. */
  public synchronized byte[] leafHashAt(long leafIndex) {
    checkIndex(leafIndex, size, "leafIndex");
    return store.read(0, leafIndex);
  }

  /** The root hash of the whole tree (the empty-tree hash when there are no leaves). */
  public synchronized byte[] rootHash() {
    byte[] root = null;
    for (int level = 0; level <= HashStore.MAX_LEVEL; level++) {
      if (frontier[level] != null) {
        root = root == null ? frontier[level] : nodeHash(frontier[level], root);
      }
    }
    return root == null ? EMPTY_ROOT.clone() : root.clone();
  }

  /** The root hash of the tree made of the first {@code treeSize} leaves. */
  public synchronized byte[] rootHash(long treeSize) {
    checkSize(treeSize, "treeSize");
    return treeSize == 0 ? EMPTY_ROOT.clone() : rangeHash(0, treeSize);
  }

  /**
   * RFC 6962 §2.1.1 audit path of leaf {@code leafIndex} in the tree of the first {@code treeSize}
   * leaves, from the leaf's sibling up to the root's child.
   */
  public synchronized List<byte[]> inclusionProof(long leafIndex, long treeSize) {
    checkSize(treeSize, "treeSize");
    checkIndex(leafIndex, treeSize, "leafIndex");
    List<byte[]> proof = new ArrayList<>(Long.SIZE);
    path(leafIndex, 0, treeSize, proof);
    return Collections.unmodifiableList(proof);
  }

  /**
   * RFC 6962 §2.1.2 consistency proof that the tree of {@code toSize} leaves extends the tree of
   * {@code fromSize} leaves. Empty when {@code fromSize} is 0 or equals {@code toSize}.
   */
  public synchronized List<byte[]> consistencyProof(long fromSize, long toSize) {
    checkSize(toSize, "toSize");
    if (fromSize < 0 || fromSize > toSize) {
      throw new IllegalArgumentException("fromSize not in 0..toSize (" + toSize + "): " + fromSize);
    }
    List<byte[]> proof = new ArrayList<>(2 * Long.SIZE);
    if (fromSize > 0 && fromSize < toSize) {
      subproof(fromSize, 0, toSize, true, proof);
    }
    return Collections.unmodifiableList(proof);
  }

  /**
   * Checks the structure against its store; throws {@link IllegalStateException} naming the
   * first broken invariant. O(log n) reads; for tests and for startup.
   */
  public synchronized void checkInvariants() {
    if (store.size(0) != size) {
      throw new IllegalStateException("store has " + store.size(0) + " leaves, tree " + size);
    }
    for (int level = 0; level <= HashStore.MAX_LEVEL; level++) {
      long nodes = size >>> level;
      if (level > 0 && store.keeps(level) && store.size(level) != nodes) {
        throw new IllegalStateException(
            "level " + level + " has " + store.size(level) + " nodes, want " + nodes);
      }
      boolean onEdge = (nodes & 1) == 1;
      if (onEdge != (frontier[level] != null)) {
        throw new IllegalStateException("frontier at level " + level + " disagrees with size " + size);
      }
      if (onEdge && !Arrays.equals(frontier[level], fullSubtreeHash(level, nodes - 1))) {
        throw new IllegalStateException("frontier at level " + level + " differs from store");
      }
    }
  }

  // ---- RFC 6962 §2.1.1 and §2.1.2, over absolute leaf ranges [lo, hi) ----

  /** PATH(m, D[lo:hi]): the sibling hashes from leaf m up, innermost first. */
  private void path(long m, long lo, long hi, List<byte[]> proof) {
    if (hi - lo == 1) {
      return;
    }
    long k = largestPowerOfTwoBelow(hi - lo);
    if (m < lo + k) {
      path(m, lo, lo + k, proof);
      proof.add(rangeHash(lo + k, hi));
    } else {
      path(m, lo + k, hi, proof);
      proof.add(rangeHash(lo, lo + k));
    }
  }

  /** SUBPROOF(m, D[lo:hi], whole): m is the old size relative to lo. */
  private void subproof(long m, long lo, long hi, boolean whole, List<byte[]> proof) {
    long n = hi - lo;
    if (m == n) {
      if (!whole) {
        proof.add(rangeHash(lo, hi));
      }
      return;
    }
    long k = largestPowerOfTwoBelow(n);
    if (m <= k) {
      subproof(m, lo, lo + k, whole, proof);
      proof.add(rangeHash(lo + k, hi));
    } else {
      subproof(m - k, lo + k, hi, false, proof);
      proof.add(rangeHash(lo, lo + k));
    }
  }

  /**
   * MTH(D[lo:hi]) for a range the recursions above produce: lo is a multiple of a power of two at
   * least hi - lo, so the range is the full subtrees given by the bits of hi - lo, largest first.
   */
  private byte[] rangeHash(long lo, long hi) {
    long n = hi - lo;
    byte[] hash = null;
    long end = hi;
    for (int level = 0; level < Long.SIZE - 1; level++) { // smallest (rightmost) subtree first
      if ((n >>> level & 1) == 1) {
        end -= 1L << level;
        byte[] subtree = fullSubtreeHash(level, end >>> level);
        hash = hash == null ? subtree : nodeHash(subtree, hash);
      }
    }
    assertState(end == lo, "range [" + lo + ", " + hi + ") is not aligned");
    return hash;
  }

  /** Node (level, index): read if the store keeps the level, else computed from the level below. */
  private byte[] fullSubtreeHash(int level, long index) {
    if (store.keeps(level) && index < store.size(level)) {
      return store.read(level, index);
    }
    assertState(level > 0, "leaf " + index + " not in store of " + store.size(0));
    return nodeHash(fullSubtreeHash(level - 1, 2 * index), fullSubtreeHash(level - 1, 2 * index + 1));
  }

  /** Appends the upper-level nodes a crash left unwritten (the store writes leaves first). */
  private void repairUpperLevels() {
    for (int level = 1; level <= HashStore.MAX_LEVEL; level++) {
      if (!store.keeps(level)) {
        continue;
      }
      long want = size >>> level;
      long have = store.size(level);
      if (have > want) {
        throw new IllegalStateException("store level " + level + " has " + have
            + " nodes, more than its " + size + " leaves allow (" + want + ")");
      }
      for (long index = have; index < want; index++) {
        store.append(level, nodeHash(fullSubtreeHash(level - 1, 2 * index),
            fullSubtreeHash(level - 1, 2 * index + 1)));
      }
    }
  }

  // ---- guards ----

  static long largestPowerOfTwoBelow(long n) {
    return Long.highestOneBit(n - 1); // n >= 2
  }

  private void checkSize(long treeSize, String name) {
    if (treeSize < 0 || treeSize > size) {
      throw new IllegalArgumentException(name + " not in 0.." + size + ": " + treeSize);
    }
  }

  private static void checkIndex(long index, long treeSize, String name) {
    if (index < 0 || index >= treeSize) {
      throw new IllegalArgumentException(name + " not in 0.." + (treeSize - 1) + ": " + index);
    }
  }

  private static void requireHash(byte[] hash, String name) {
    Objects.requireNonNull(hash, name);
    if (hash.length != HASH_BYTES) {
      throw new IllegalArgumentException(name + " length != " + HASH_BYTES + ": " + hash.length);
    }
  }

  private static void assertState(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}

package dev.curfew.core.audit;

/**
 * Where a {@link MerkleTree} keeps its hashes: the hash of every <em>full subtree</em>, addressed
 * by level and index.
 *
 * <p>Node {@code (level, index)} is the Merkle Tree Hash (RFC 6962 §2.1) of the {@code 2^level}
 * leaves {@code [index * 2^level, (index + 1) * 2^level)}. Level 0 holds the leaf hashes
 * {@code SHA-256(0x00 || record bytes)}; level 1 holds {@code SHA-256(0x01 || left || right)} of
 * leaf pairs, and so on. A tree of {@code n} leaves has exactly {@code n >> level} full subtrees at
 * each level, and a proof or a root for any tree size {@code <= n} needs only O(log n) of them.
 *
 * <p>Contract (the tree relies on it; a file-backed implementation must keep it):
 * <ul>
 *   <li>Append-only per level: {@link #append} writes index {@link #size(int) size(level)} and
 *       nothing else. Hashes are 32 bytes ({@link #HASH_BYTES}).</li>
 *   <li>Level 0 is always kept. Any other level may be left out ({@link #keeps} false): the tree
 *       then never appends to it and recomputes its nodes from the level below, which trades proof
 *       speed for space (a store that keeps only level 0 makes proofs O(n)).</li>
 *   <li>The tree appends a leaf (level 0) before the nodes it completes, lowest level first, so a
 *       crash can leave upper levels short but never ahead. {@link MerkleTree#open} recomputes
 *       missing upper nodes. A store whose level {@code L > 0} holds more than
 *       {@code size(0) >> L} nodes is corrupt and is refused.</li>
 *   <li>Single writer. Reads of indexes below {@code size(level)} may run concurrently with
 *       appends only if the implementation says so; {@link MerkleTree} itself serializes all
 *       access.</li>
 *   <li>Durability is the store's business (the audit log group-commits); I/O failure is reported
 *       as {@link java.io.UncheckedIOException}.</li>
 * </ul>
 *
 * @see InMemoryHashStore
 */
public interface HashStore {

  /** Bytes in every hash: SHA-256. */
  int HASH_BYTES = 32;

  /** Highest level a tree of at most {@code Long.MAX_VALUE} leaves can have. */
  int MAX_LEVEL = 62;

  /** Whether this store keeps the nodes of {@code level} (always true for level 0). */
  boolean keeps(int level);

  /** How many nodes are stored at {@code level}; 0 for a level that is not kept. */
  long size(int level);

  /**
   * Returns a copy of the hash of node {@code (level, index)}.
   *
   * @throws IndexOutOfBoundsException if {@code index >= size(level)} or the level is not kept
   */
  byte[] read(int level, long index);

  /** Stores {@code hash} (32 bytes, not retained) as node {@code (level, size(level))}. */
  void append(int level, byte[] hash);
}

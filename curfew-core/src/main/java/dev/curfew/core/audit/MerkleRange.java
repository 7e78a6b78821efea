package dev.curfew.core.audit;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/*
 * The leaves [begin, end) of an RFC 6962 Merkle tree (§2.1) summed up as the few full subtrees
 * that cover them exactly: the "compact range" of c2sp.org/tlog-tiles and of
 * transparency-dev/merkle's compact package. Going left to right, each subtree is the largest
 * one that starts at the current index (index a multiple of its width 2^level) and does not reach
 * past end; there are at most 2 log2(end - begin) + 2 of them.
 *
 * What it is for: the audit trail archives old segments (AuditTrail, "Retention"), and keeps the
 * range of each one. Every root of the tree over [0, n) with n at a range boundary is a fold of
 * these subtree hashes with the records that are still here (MerkleFrontier.appendSubtree), so a
 * verifier recomputes every later checkpoint root without the archived records; and a range that
 * was altered shows as a root that no longer matches its signed checkpoint.
 */

/** The full subtrees covering leaves [begin, end) of a Merkle tree, with their hashes. Immutable. */
public final class MerkleRange {

  /**
   * One full subtree: leaves [index, index + 2^level), index a multiple of 2^level.
   *
   * @param hash its RFC 6962 Merkle Tree Hash (32 bytes)
   */
  public record Subtree(long index, int level, byte[] hash) {
    public Subtree {
      if (index < 0) throw new IllegalArgumentException("index < 0: " + index);
      if (level < 0 || level >= HashStore.MAX_LEVEL) throw new IllegalArgumentException("level out of range: " + level);
      if (index % (1L << level) != 0) throw new IllegalArgumentException("index " + index + " not aligned to 2^" + level);
      Objects.requireNonNull(hash, "hash");
      if (hash.length != HashStore.HASH_BYTES) throw new IllegalArgumentException("hash length != 32: " + hash.length);
      hash = hash.clone();
    }

    @Override
    public byte[] hash() {
      return hash.clone();
    }

    public long width() {
      return 1L << level;
    }

    @Override
    public String toString() {
      return "[" + index + ", " + (index + width()) + ") " + Base64.getEncoder().encodeToString(hash);
    }
  }

  private final long begin;
  private final long end;
  private final List<Subtree> subtrees;

  private MerkleRange(long begin, long end, List<Subtree> subtrees) {
    this.begin = begin;
    this.end = end;
    this.subtrees = List.copyOf(subtrees);
  }

  /** The range of the leaves whose hashes are {@code leafHashes}, the first at index {@code begin}. */
  public static MerkleRange ofLeafHashes(long begin, List<byte[]> leafHashes) {
    if (begin < 0) throw new IllegalArgumentException("begin < 0: " + begin);
    Objects.requireNonNull(leafHashes, "leafHashes");
    long end = Math.addExact(begin, leafHashes.size());
    List<Subtree> out = new ArrayList<>();
    long index = begin;
    while (index < end) {
      int level = largestLevel(index, end);
      MerkleFrontier f = new MerkleFrontier();
      int from = Math.toIntExact(index - begin);
      for (int i = from; i < from + (1 << level); i++) f.appendLeafHash(leafHashes.get(i));
      out.add(new Subtree(index, level, f.rootHash()));
      index += 1L << level;
    }
    return new MerkleRange(begin, end, out);
  }

  /**
   * A range read back from its subtrees, which must be the exact decomposition of [begin, end)
   * described above (the same as {@link #ofLeafHashes} gives).
   */
  public static MerkleRange of(long begin, long end, List<Subtree> subtrees) {
    Objects.requireNonNull(subtrees, "subtrees");
    if (begin < 0 || end < begin) throw new IllegalArgumentException("not a range: [" + begin + ", " + end + ")");
    long index = begin;
    for (Subtree s : subtrees) {
      if (index >= end || s.index() != index || s.level() != largestLevel(index, end)) {
        throw new IllegalArgumentException("subtree " + s + " is not the next of the compact range [" + begin + ", " + end + ")");
      }
      index += s.width();
    }
    if (index != end) throw new IllegalArgumentException("the subtrees end at " + index + ", not at " + end);
    return new MerkleRange(begin, end, subtrees);
  }

  /** The level of the largest full subtree that starts at {@code index} and ends at or before {@code end}. */
  private static int largestLevel(long index, long end) {
    int level = index == 0 ? HashStore.MAX_LEVEL - 1 : Math.min(Long.numberOfTrailingZeros(index), HashStore.MAX_LEVEL - 1);
    while ((1L << level) > end - index) level--;
    return level;
  }

  public long begin() {
    return begin;
  }

  public long end() {
    return end;
  }

  public List<Subtree> subtrees() {
    return subtrees;
  }
}

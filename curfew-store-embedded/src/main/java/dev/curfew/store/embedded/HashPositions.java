package dev.curfew.store.embedded;

import java.util.Arrays;

/**
 * A segment's index while it is open: session hash to the (seq, byte offset) of each of its
 * records, in the order they were added, held in primitive arrays. A segment of 64 MiB holds about
 * 220 k records; as boxed keys, pair arrays and hash-map nodes they cost several objects each, all
 * kept until the segment closes (so promoted, and scanned by the collector); here they cost 20 bytes
 * each in a few large arrays, and adding one allocates nothing but the arrays' occasional growth.
 *
 * <p>Layout: an open-addressing table of distinct hashes (0 marks a free slot: {@link
 * SessionIndex#sessionHash} never yields 0 for a record it indexes), each slot with the first and
 * last entry of its chain; entries are appended to {@code seqs}/{@code offsets} and linked through
 * {@code next}. Not thread-safe: {@link SessionIndex} calls it under its lock.
 */
final class HashPositions {
  private static final int NONE = -1;

  private long[] keys = new long[1024];
  private int[] heads = new int[1024];
  private int[] tails = new int[1024];
  private int distinct;

  private long[] seqs = new long[1024];
  private long[] offsets = new long[1024];
  private int[] next = new int[1024];
  private int size;

  /** Entries added. */
  int size() {
    return size;
  }

  /** Adds a record of the session with {@code hash} (not 0); records of one hash must come in seq order. */
  void add(long hash, long seq, long offset) {
    if (hash == 0) throw new IllegalArgumentException("hash 0 marks a free slot");
    if (size == seqs.length) {
      seqs = Arrays.copyOf(seqs, size * 2);
      offsets = Arrays.copyOf(offsets, size * 2);
      next = Arrays.copyOf(next, size * 2);
    }
    int e = size++;
    seqs[e] = seq;
    offsets[e] = offset;
    next[e] = NONE;
    int slot = slotOf(hash);
    if (keys[slot] == 0) {
      keys[slot] = hash;
      heads[slot] = e;
      tails[slot] = e;
      if (++distinct * 2 > keys.length) grow();
    } else {
      next[tails[slot]] = e;
      tails[slot] = e;
    }
  }

  /** The pairs (seq, offset, seq, offset, ...) of {@code hash} in the order added; empty if none. */
  long[] get(long hash) {
    if (hash == 0) return new long[0];
    int slot = slotOf(hash);
    if (keys[slot] == 0) return new long[0];
    int n = 0;
    for (int e = heads[slot]; e != NONE; e = next[e]) n++;
    long[] out = new long[n * 2];
    int i = 0;
    for (int e = heads[slot]; e != NONE; e = next[e]) {
      out[i++] = seqs[e];
      out[i++] = offsets[e];
    }
    return out;
  }

  /** Receives one entry of {@link #forEachSorted}. */
  interface EntryConsumer {
    void accept(long hash, long seq, long offset);
  }

  /** Every entry in (hash, seq) order, hashes compared as signed longs: the order of an index file. */
  void forEachSorted(EntryConsumer to) {
    long[] sorted = new long[distinct];
    int k = 0;
    for (long key : keys) if (key != 0) sorted[k++] = key;
    Arrays.sort(sorted);
    for (long hash : sorted) {
      for (int e = heads[slotOf(hash)]; e != NONE; e = next[e]) to.accept(hash, seqs[e], offsets[e]);
    }
  }

  /** An independent copy, to write from without the lock while the original may still grow. */
  HashPositions copy() {
    HashPositions c = new HashPositions();
    c.keys = keys.clone();
    c.heads = heads.clone();
    c.tails = tails.clone();
    c.distinct = distinct;
    c.seqs = Arrays.copyOf(seqs, Math.max(size, 16));
    c.offsets = Arrays.copyOf(offsets, Math.max(size, 16));
    c.next = Arrays.copyOf(next, Math.max(size, 16));
    c.size = size;
    return c;
  }

  /** The slot holding {@code hash}, or the free slot where it would go (linear probing). */
  private int slotOf(long hash) {
    int mask = keys.length - 1;
    int i = (int) (hash ^ (hash >>> 32)) & mask; // the hash's bits are already mixed (fmix64)
    while (keys[i] != 0 && keys[i] != hash) i = (i + 1) & mask;
    return i;
  }

  private void grow() {
    long[] oldKeys = keys;
    int[] oldHeads = heads;
    int[] oldTails = tails;
    keys = new long[oldKeys.length * 2];
    heads = new int[keys.length];
    tails = new int[keys.length];
    for (int i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] == 0) continue;
      int slot = slotOf(oldKeys[i]);
      keys[slot] = oldKeys[i];
      heads[slot] = oldHeads[i];
      tails[slot] = oldTails[i];
    }
  }
}

package dev.curfew.store.postgres;

import dev.curfew.core.audit.HashStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/*
 * The writer's view of one node's tree in PostgreSQL (the HashStore contract of core).
 *
 * Stored levels: 0 (audit_records.leaf_hash) and every LEVEL_STRIDE-th level above it (4, 8, ...
 * in audit_tree), as the file store does: about n/15 interior rows for n leaves, and a node of an
 * unstored level is folded from at most 2^3 = 8 nodes of the stored level below it.
 *
 * Two-phase appends. MerkleTree appends hashes as it takes leaves; here they go to a pending list
 * per level, which the writer inserts in the same statement as the batch's records. commit()
 * makes them committed after PostgreSQL said so; discard() drops them after a failure, and the
 * writer reopens its MerkleTree over the committed state. Reopening reads only the frontier, which
 * is always among the last RING committed nodes of each stored level (the frontier nodes of levels
 * K..K+3 cover the last (size >> K) & 15 nodes of level K), kept here in memory: a reopen after a
 * failed commit needs no round trip, which matters because PostgreSQL is then usually down.
 *
 * Reads of older nodes (only MerkleTree.open repairing a short level, or rootHash(size) at open)
 * go to the database and block.
 */
final class PgHashStore implements HashStore {
  static final int LEVEL_STRIDE = 4;
  private static final int RING = 16;
  /** Levels with at least one node in any tree this store can hold. */
  private static final int LEVELS = HashStore.MAX_LEVEL + 1;

  private final AuditDatabase db;
  private final int nodeId;
  private final long[] committed = new long[LEVELS];
  private final byte[][][] ring = new byte[LEVELS][][];
  private final List<List<byte[]>> pending = new ArrayList<>(LEVELS);

  private PgHashStore(AuditDatabase db, int nodeId) {
    this.db = db;
    this.nodeId = nodeId;
    for (int i = 0; i < LEVELS; i++) {
      pending.add(new ArrayList<>());
      if (stored(i)) ring[i] = new byte[RING][];
    }
  }

  /**
   * An empty tree with no database behind it: any read that would need a round trip fails. For
   * tests of the claim that a reopen after a failed commit needs none.
   */
  static PgHashStore detached() {
    return new PgHashStore(null, 0);
  }

  /** The committed state of {@code nodeId}'s tree: the size of every stored level and its last nodes. */
  static PgHashStore open(AuditDatabase db, int nodeId) throws IOException {
    PgHashStore s = new PgHashStore(db, nodeId);
    for (int level = 0; level < LEVELS; level += LEVEL_STRIDE) {
      long n = level == 0 ? db.size(nodeId) : db.treeLevelSize(nodeId, level);
      s.committed[level] = n;
      long from = Math.max(0, n - RING);
      List<byte[]> last = db.hashes(nodeId, level, from, (int) (n - from));
      if (last.size() != n - from) {
        throw new IOException("tree level " + level + " of node " + nodeId + " has a gap before index " + n);
      }
      for (int i = 0; i < last.size(); i++) s.ring[level][(int) ((from + i) % RING)] = last.get(i);
    }
    return s;
  }

  static boolean stored(int level) {
    return level >= 0 && level <= HashStore.MAX_LEVEL && level % LEVEL_STRIDE == 0;
  }

  @Override
  public boolean keeps(int level) {
    return stored(level);
  }

  @Override
  public long size(int level) {
    return stored(level) ? committed[level] + pending.get(level).size() : 0;
  }

  @Override
  public byte[] read(int level, long index) {
    if (!stored(level) || index < 0 || index >= size(level)) {
      throw new IndexOutOfBoundsException("node (" + level + ", " + index + ") not stored: level size " + size(level));
    }
    long c = committed[level];
    if (index >= c) return pending.get(level).get((int) (index - c)).clone();
    if (index >= c - RING) return ring[level][(int) (index % RING)].clone();
    if (db == null) throw new IllegalStateException("node (" + level + ", " + index + ") would need a round trip");
    try {
      List<byte[]> h = db.hashes(nodeId, level, index, 1);
      if (h.size() != 1) throw new IllegalStateException("tree node (" + level + ", " + index + ") of node " + nodeId + " is missing");
      return h.get(0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void append(int level, byte[] hash) {
    if (!stored(level)) throw new IllegalArgumentException("level " + level + " is not stored");
    if (hash.length != HASH_BYTES) throw new IllegalArgumentException("hash length != " + HASH_BYTES + ": " + hash.length);
    pending.get(level).add(hash.clone());
  }

  /** Leaf hashes appended since the last commit, in seq order (they go in the records' rows). */
  List<byte[]> pendingLeaves() {
    return pending.get(0);
  }

  /** Interior rows appended since the last commit: parallel arrays of level, index and hash. */
  record Rows(Short[] levels, Long[] indexes, List<byte[]> hashes) {}

  Rows pendingInterior() {
    int n = 0;
    for (int level = LEVEL_STRIDE; level < LEVELS; level += LEVEL_STRIDE) n += pending.get(level).size();
    Short[] levels = new Short[n];
    Long[] indexes = new Long[n];
    List<byte[]> hashes = new ArrayList<>(n);
    int i = 0;
    for (int level = LEVEL_STRIDE; level < LEVELS; level += LEVEL_STRIDE) {
      List<byte[]> p = pending.get(level);
      for (int j = 0; j < p.size(); j++, i++) {
        levels[i] = (short) level;
        indexes[i] = committed[level] + j;
        hashes.add(p.get(j));
      }
    }
    return new Rows(levels, indexes, hashes);
  }

  /** PostgreSQL committed everything pending. */
  void commit() {
    for (int level = 0; level < LEVELS; level += LEVEL_STRIDE) {
      List<byte[]> p = pending.get(level);
      for (byte[] h : p) {
        ring[level][(int) (committed[level] % RING)] = h;
        committed[level]++;
      }
      p.clear();
    }
  }

  /** The pending hashes were not committed: forget them. */
  void discard() {
    for (List<byte[]> p : pending) p.clear();
  }

  /** Leaves committed. */
  long committedLeaves() {
    return committed[0];
  }
}

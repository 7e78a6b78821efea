package dev.curfew.store.postgres;

import dev.curfew.core.audit.HashStore;
import dev.curfew.core.audit.MerkleTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A read-only {@link HashStore} over the committed tree of one node, cut at {@code treeSize}
 * leaves: what inclusion and consistency proofs are computed from, with no lock shared with the
 * writer. It presents every level as stored; a node of a level that is not in the database is
 * folded (RFC 6962 §2.1: SHA-256(0x01 || left || right)) from the at most 8 nodes of the stored
 * level below it, fetched in one query. Nodes read are cached for the life of the view, which is
 * one request. Not thread-safe; {@link MerkleTree} serializes access.
 */
final class PgTreeView implements HashStore {
  private final AuditDatabase db;
  private final int nodeId;
  private final long treeSize;
  private final Map<Long, byte[]> cache = new HashMap<>();

  private PgTreeView(AuditDatabase db, int nodeId, long treeSize) {
    this.db = db;
    this.nodeId = nodeId;
    this.treeSize = treeSize;
  }

  /** The tree of the node's first {@code treeSize} records, which must be committed. */
  static MerkleTree tree(AuditDatabase db, int nodeId, long treeSize) {
    if (treeSize < 0) throw new IllegalArgumentException("treeSize < 0: " + treeSize);
    return MerkleTree.open(new PgTreeView(db, nodeId, treeSize));
  }

  @Override
  public boolean keeps(int level) {
    return level >= 0 && level <= MAX_LEVEL;
  }

  @Override
  public long size(int level) {
    return keeps(level) ? treeSize >>> level : 0;
  }

  @Override
  public byte[] read(int level, long index) {
    if (!keeps(level) || index < 0 || index >= size(level)) {
      throw new IndexOutOfBoundsException("node (" + level + ", " + index + ") not in a tree of " + treeSize);
    }
    long key = ((long) level << 56) | index; // index < 2^56 for any tree this holds
    byte[] h = cache.get(key);
    if (h == null) {
      h = fetch(level, index);
      cache.put(key, h);
    }
    return h.clone();
  }

  private byte[] fetch(int level, long index) {
    int below = level - level % PgHashStore.LEVEL_STRIDE; // the stored level at or below
    int span = 1 << (level - below);
    List<byte[]> hashes;
    try {
      hashes = db.hashes(nodeId, below, index << (level - below), span);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (hashes.size() != span) {
      throw new IllegalStateException("node " + nodeId + "'s tree level " + below + " lacks nodes from index "
          + (index << (level - below)) + " (" + hashes.size() + " of " + span + " found)");
    }
    byte[][] row = hashes.toArray(new byte[0][]);
    for (int n = span; n > 1; n /= 2) {
      for (int i = 0; i < n / 2; i++) row[i] = MerkleTree.nodeHash(row[2 * i], row[2 * i + 1]);
    }
    return row[0];
  }

  @Override
  public void append(int level, byte[] hash) {
    throw new UnsupportedOperationException("a tree view is read-only");
  }
}

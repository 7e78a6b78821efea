package dev.curfew.core.audit;

import java.util.Arrays;

/**
 * A {@link HashStore} in the heap: every level kept, each level a growable array of 32-byte
 * entries packed in 1 MiB {@code byte[]} chunks (no per-hash object). A tree of {@code n} leaves
 * takes about {@code 2n * 32} bytes: 640 MB for 10 M leaves.
 *
 * <p>Not thread-safe by itself; {@link MerkleTree} serializes access.
 */
public final class InMemoryHashStore implements HashStore {

  private static final int CHUNK_SHIFT = 15; // 32768 entries * 32 bytes = 1 MiB per chunk
  private static final int CHUNK_ENTRIES = 1 << CHUNK_SHIFT;
  private static final int CHUNK_BYTES = CHUNK_ENTRIES * HASH_BYTES;

  private final Level[] levels = new Level[MAX_LEVEL + 1];

  /** An empty store. */
  public InMemoryHashStore() {
    for (int i = 0; i < levels.length; i++) {
      levels[i] = new Level();
    }
  }

  @Override
  public boolean keeps(int level) {
    return level >= 0 && level <= MAX_LEVEL;
  }

  @Override
  public long size(int level) {
    return keeps(level) ? levels[level].size : 0;
  }

  @Override
  public byte[] read(int level, long index) {
    Level l = level(level);
    if (index < 0 || index >= l.size) {
      throw new IndexOutOfBoundsException(
          "node (" + level + ", " + index + ") not stored: level size " + l.size);
    }
    byte[] chunk = l.chunks[(int) (index >>> CHUNK_SHIFT)];
    int offset = (int) (index & (CHUNK_ENTRIES - 1)) * HASH_BYTES;
    return Arrays.copyOfRange(chunk, offset, offset + HASH_BYTES);
  }

  @Override
  public void append(int level, byte[] hash) {
    if (hash.length != HASH_BYTES) {
      throw new IllegalArgumentException("hash length != " + HASH_BYTES + ": " + hash.length);
    }
    Level l = level(level);
    int chunkIndex = (int) (l.size >>> CHUNK_SHIFT);
    if (chunkIndex == l.chunks.length) {
      l.chunks = Arrays.copyOf(l.chunks, Math.max(4, l.chunks.length * 2));
    }
    if (l.chunks[chunkIndex] == null) {
      // Small levels get a small first chunk; it grows to a full chunk before a second is added.
      l.chunks[chunkIndex] = new byte[chunkIndex == 0 ? 16 * HASH_BYTES : CHUNK_BYTES];
    }
    int offset = (int) (l.size & (CHUNK_ENTRIES - 1)) * HASH_BYTES;
    if (offset + HASH_BYTES > l.chunks[chunkIndex].length) {
      l.chunks[chunkIndex] =
          Arrays.copyOf(l.chunks[chunkIndex], Math.min(CHUNK_BYTES, l.chunks[chunkIndex].length * 2));
    }
    System.arraycopy(hash, 0, l.chunks[chunkIndex], offset, HASH_BYTES);
    l.size++;
  }

  private Level level(int level) {
    if (!keeps(level)) {
      throw new IndexOutOfBoundsException("level not in 0.." + MAX_LEVEL + ": " + level);
    }
    return levels[level];
  }

  private static final class Level {
    byte[][] chunks = new byte[0][];
    long size;
  }
}

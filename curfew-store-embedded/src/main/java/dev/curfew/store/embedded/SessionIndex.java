package dev.curfew.store.embedded;

import dev.curfew.core.audit.CanonicalJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/*
 * Which records belong to a session, without reading the log: what makes an evidence bundle for
 * one session cheap in a log of any length (target: <= 50 ms in a 10 M-record log).
 *
 * Key. The session_id of a record is its top-level "session_id" member, taken as the raw bytes
 * between its quotes in the canonical line (so no unescaping; a lookup escapes the id the same way
 * with CanonicalJson). The key is a 64-bit hash of those bytes (FNV-1a, then the MurmurHash3 fmix64
 * finalizer). A collision only adds candidates: every candidate line is read and its session_id
 * compared exactly before it is used, so hash quality affects speed, never correctness.
 *
 * Closed segments: one index file each, audit/index/audit-<first seq>.idx:
 *
 *   "CFSIDX01" (8 bytes) | count (8) | count x (hash 8 | seq 8 | byte offset in segment 8)
 *
 * big-endian, entries sorted by (hash, seq). A lookup binary-searches the first entry with the hash
 * (about log2(count) positional 8-byte reads: ~18 for a 64 MiB segment of ~220 k records) and
 * reads forward while the hash matches, then reads each line at its offset. For a 10 M-record log
 * in ~45 segments that is under a thousand small reads, from the page cache in practice. A file is
 * written whole to a temporary name, forced, and renamed: it is either complete or absent.
 *
 * The open segment (and a closed one whose file is not written yet): in memory, hash -> (seq,
 * offset) pairs, filled by the trail as records become durable, turned into an index file when the
 * segment closes. A segment with neither (an old data directory, or a crash before its index was
 * written) is scanned whole on lookup: slow but complete; the trail writes its index in the
 * background. An index is derived data: deleting audit/index/ loses nothing.
 */

/** Session id to record locations over the audit segments. Thread-safe. Close it to close the index files. */
final class SessionIndex implements java.io.Closeable {
  private static final byte[] MAGIC = "CFSIDX01".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER_BYTES = 16;
  private static final int ENTRY_BYTES = 24;
  private static final byte[] SESSION_ID_KEY = "session_id".getBytes(StandardCharsets.US_ASCII);
  /** Limit on one record line read back for a lookup (the verifier's limit). */
  static final int MAX_LINE_BYTES = 1 << 20;

  /** A record of the session: where its line is. */
  record Location(long seq, long segmentFirstSeq, long byteOffset) {}

  /** A record of the session with its line (without the line feed). */
  record Found(long seq, byte[] line) {}

  private final AuditFiles files;
  /** Per segment (by first seq) held in memory: hash -> pairs (seq, offset). Complete from the segment's start. */
  private final TreeMap<Long, HashPositions> memory = new TreeMap<>();
  private final Map<Long, Long> memoryNextSeq = new HashMap<>();
  /** Index files opened by lookups, kept open (positional reads are safe from many threads): count of entries. */
  private final Map<Long, OpenIndex> openIndexes = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile boolean closed;

  private record OpenIndex(FileChannel channel, long count) {}

  SessionIndex(AuditFiles files) {
    this.files = files;
  }

  Path indexFile(long segmentFirstSeq) {
    return files.indexDir().resolve(Segments.name(segmentFirstSeq).replace(Segments.SUFFIX, ".idx"));
  }

  boolean hasIndexFile(long segmentFirstSeq) {
    return Files.exists(indexFile(segmentFirstSeq));
  }

  // ---------------------------------------------------------------- memory

  /** Starts an in-memory index of the segment beginning at {@code segmentFirstSeq}. */
  synchronized void startSegment(long segmentFirstSeq) {
    memory.putIfAbsent(segmentFirstSeq, new HashPositions());
    memoryNextSeq.putIfAbsent(segmentFirstSeq, segmentFirstSeq);
  }

  /** Starts the in-memory index of a segment afresh, dropping what it held. */
  synchronized void restartSegment(long segmentFirstSeq) {
    memory.put(segmentFirstSeq, new HashPositions());
    memoryNextSeq.put(segmentFirstSeq, segmentFirstSeq);
  }

  /** Adds the next line of an in-memory segment; lines must come in seq order from its first. */
  synchronized void add(long seq, long segmentFirstSeq, long byteOffset, byte[] b, int off, int len) {
    HashPositions m = memory.get(segmentFirstSeq);
    if (m == null) throw new IllegalStateException("segment " + segmentFirstSeq + " is not indexed in memory");
    long next = memoryNextSeq.get(segmentFirstSeq);
    if (seq != next) throw new IllegalStateException("index of segment " + segmentFirstSeq + " expects seq " + next + ", got " + seq);
    memoryNextSeq.put(segmentFirstSeq, seq + 1);
    long hash = sessionHash(b, off, len);
    if (hash == 0) return; // no session_id
    m.add(hash, seq, byteOffset);
  }

  synchronized boolean inMemory(long segmentFirstSeq) {
    return memory.containsKey(segmentFirstSeq);
  }

  /** Writes the index file of a closed segment held in memory, then drops it from memory. */
  void writeFromMemory(long segmentFirstSeq) throws IOException {
    HashPositions m;
    synchronized (this) {
      HashPositions held = memory.get(segmentFirstSeq);
      if (held == null) return;
      m = held.copy();
    }
    write(segmentFirstSeq, m);
    synchronized (this) {
      memory.remove(segmentFirstSeq);
      memoryNextSeq.remove(segmentFirstSeq);
    }
  }

  /** Reads a closed segment and writes its index file. */
  void writeFromSegment(long segmentFirstSeq, long segmentEndSeq) throws IOException {
    HashPositions m = new HashPositions();
    files.forEachLine(segmentFirstSeq, segmentEndSeq, MAX_LINE_BYTES, (seq, first, offset, b, off, len) -> {
      if (first != segmentFirstSeq) return false;
      long hash = sessionHash(b, off, len);
      if (hash != 0) m.add(hash, seq, offset);
      return true;
    });
    write(segmentFirstSeq, m);
  }

  /** Writes the index file of {@code entries}: sorted by (hash, seq), written whole, forced, renamed. */
  private void write(long segmentFirstSeq, HashPositions entries) throws IOException {
    PrivateFiles.createDirectories(files.indexDir());
    Path target = indexFile(segmentFirstSeq);
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(HEADER_BYTES + (long) ENTRY_BYTES * entries.size()));
    buf.put(MAGIC).putLong(entries.size());
    entries.forEachSorted((hash, seq, offset) -> buf.putLong(hash).putLong(seq).putLong(offset));
    buf.flip();
    try (FileChannel ch = PrivateFiles.createTruncate(tmp)) {
      while (buf.hasRemaining()) ch.write(buf);
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    PrivateFiles.forceDirectory(files.indexDir());
  }

  // ---------------------------------------------------------------- lookup

  /**
   * The records of {@code sessionId} with seq below {@code endSeq}, in seq order, each read back
   * from its segment and checked to name exactly this session.
   */
  List<Found> find(String sessionId, long endSeq) throws IOException {
    return find(sessionId, endSeq, files.segments());
  }

  /** As {@link #find(String, long)} over {@code segments} (first seq to path, kept or archived). */
  List<Found> find(String sessionId, long endSeq, TreeMap<Long, Path> segments) throws IOException {
    byte[] raw = rawString(sessionId);
    long hash = hashOf(raw, 0, raw.length);
    List<Found> out = new ArrayList<>();
    for (Map.Entry<Long, Path> seg : segments.entrySet()) {
      long first = seg.getKey();
      if (first >= endSeq) break;
      List<Location> candidates = candidates(first, seg.getValue(), hash, endSeq, segments);
      if (candidates.isEmpty()) continue;
      try (FileChannel ch = files.openSegment(seg.getValue())) {
        for (Location loc : candidates) {
          if (loc.seq() >= endSeq) continue;
          byte[] line = AuditFiles.readLine(ch, loc.byteOffset(), MAX_LINE_BYTES);
          if (Arrays.equals(sessionIdBytes(line, 0, line.length), raw)) out.add(new Found(loc.seq(), line));
        }
      }
    }
    out.sort(Comparator.comparingLong(Found::seq));
    return out;
  }

  private List<Location> candidates(long first, Path segment, long hash, long endSeq, TreeMap<Long, Path> segments)
      throws IOException {
    synchronized (this) {
      HashPositions m = memory.get(first);
      if (m != null) {
        long[] pairs = m.get(hash);
        List<Location> out = new ArrayList<>();
        for (int i = 0; i < pairs.length; i += 2) out.add(new Location(pairs[i], first, pairs[i + 1]));
        return out;
      }
    }
    OpenIndex idx = openIndex(first);
    if (idx != null) return searchFile(idx, first, hash);
    // Neither: scan the segment (an old data directory, or its index is being written).
    List<Location> out = new ArrayList<>();
    Long next = segments.higherKey(first);
    files.forEachLine(first, next == null ? endSeq : Math.min(next, endSeq), MAX_LINE_BYTES,
        (seq, f, offset, b, off, len) -> {
          if (f != first) return false;
          if (sessionHash(b, off, len) == hash) out.add(new Location(seq, first, offset));
          return true;
        });
    return out;
  }

  /** The index file of a segment, opened and checked once; null when it has none (yet). */
  private OpenIndex openIndex(long first) throws IOException {
    OpenIndex open = openIndexes.get(first);
    if (open != null) return open;
    Path idx = indexFile(first);
    if (!Files.exists(idx)) return null;
    FileChannel ch = FileChannel.open(idx, StandardOpenOption.READ);
    try {
      ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
      readFully(ch, header, 0);
      byte[] magic = new byte[MAGIC.length];
      header.get(magic);
      long count = header.getLong();
      if (!Arrays.equals(magic, MAGIC) || count < 0 || HEADER_BYTES + count * ENTRY_BYTES != ch.size()) {
        throw new IOException(idx + " is not a session index file (or is damaged); delete it to have it rebuilt");
      }
      open = new OpenIndex(ch, count);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
    OpenIndex raced = openIndexes.putIfAbsent(first, open);
    if (raced != null) {
      ch.close();
      return raced;
    }
    if (closed) close();
    return open;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    for (Long first : List.copyOf(openIndexes.keySet())) {
      OpenIndex o = openIndexes.remove(first);
      if (o != null) o.channel().close();
    }
  }

  private static List<Location> searchFile(OpenIndex idx, long first, long hash) throws IOException {
    List<Location> out = new ArrayList<>();
    FileChannel ch = idx.channel();
    long count = idx.count();
    {
      ByteBuffer one = ByteBuffer.allocate(8);
      long lo = 0;
      long hi = count;
      while (lo < hi) { // first entry with entry.hash >= hash (unsigned order is irrelevant: same compare both ways)
        long mid = (lo + hi) >>> 1;
        one.clear();
        readFully(ch, one, HEADER_BYTES + mid * ENTRY_BYTES);
        if (one.getLong(0) < hash) lo = mid + 1;
        else hi = mid;
      }
      ByteBuffer entry = ByteBuffer.allocate(ENTRY_BYTES * 16);
      for (long i = lo; i < count; ) {
        entry.clear();
        long n = Math.min(16, count - i);
        entry.limit((int) (n * ENTRY_BYTES));
        readFully(ch, entry, HEADER_BYTES + i * ENTRY_BYTES);
        for (int k = 0; k < n; k++, i++) {
          if (entry.getLong(k * ENTRY_BYTES) != hash) return out;
          out.add(new Location(entry.getLong(k * ENTRY_BYTES + 8), first, entry.getLong(k * ENTRY_BYTES + 16)));
        }
      }
    }
    return out;
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b, position + b.position()) < 0) throw new IOException("unexpected end of index file");
    }
    b.flip();
  }

  // ---------------------------------------------------------------- keys

  /** The session id as the bytes between the quotes of its canonical JSON string. */
  static byte[] rawString(String sessionId) {
    String quoted = CanonicalJson.write(sessionId);
    byte[] b = quoted.getBytes(StandardCharsets.UTF_8);
    return Arrays.copyOfRange(b, 1, b.length - 1);
  }

  /** The hash of the line's top-level session_id, or 0 when it has none (0 is never a key). */
  static long sessionHash(byte[] b, int off, int len) {
    int[] range = new int[2];
    if (!topLevelString(b, off, len, SESSION_ID_KEY, range)) return 0;
    return hashOf(b, range[0], range[1] - range[0]);
  }

  static byte[] sessionIdBytes(byte[] b, int off, int len) {
    int[] range = new int[2];
    return topLevelString(b, off, len, SESSION_ID_KEY, range) ? Arrays.copyOfRange(b, range[0], range[1]) : null;
  }

  static long hashOf(byte[] b, int off, int len) {
    long h = 0xcbf29ce484222325L; // FNV-1a 64 offset basis
    for (int i = off; i < off + len; i++) {
      h ^= b[i] & 0xff;
      h *= 0x100000001b3L; // FNV-1a 64 prime
    }
    h ^= h >>> 33; // MurmurHash3 fmix64
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h == 0 ? 1 : h;
  }

  /**
   * Finds the string value of the top-level member {@code key} of a JSON object line: range gets
   * the offsets of its first byte and of its closing quote. Nested members of the same name are
   * skipped (depth is tracked; strings are skipped with their escapes). False when absent or not
   * a string.
   */
  static boolean topLevelString(byte[] b, int off, int len, byte[] key, int[] range) {
    int end = off + len;
    int depth = 0;
    boolean expectKey = false;
    for (int i = off; i < end; i++) {
      byte c = b[i];
      if (c == '"') {
        int close = skipString(b, i, end);
        if (close < 0) return false;
        if (depth == 1 && expectKey) {
          expectKey = false;
          boolean match = close - i - 1 == key.length && Arrays.equals(b, i + 1, close, key, 0, key.length);
          if (match && close + 2 < end && b[close + 1] == ':' && b[close + 2] == '"') {
            int valueClose = skipString(b, close + 2, end);
            if (valueClose < 0) return false;
            range[0] = close + 3;
            range[1] = valueClose;
            return true;
          }
        }
        i = close;
      } else if (c == '{' || c == '[') {
        depth++;
        expectKey = c == '{' && depth == 1;
      } else if (c == '}' || c == ']') {
        depth--;
      } else if (c == ',' && depth == 1) {
        expectKey = true;
      }
    }
    return false;
  }

  /** The index of the quote closing the string that opens at {@code open}, or -1. */
  private static int skipString(byte[] b, int open, int end) {
    for (int i = open + 1; i < end; i++) {
      if (b[i] == '\\') i++;
      else if (b[i] == '"') return i;
    }
    return -1;
  }
}

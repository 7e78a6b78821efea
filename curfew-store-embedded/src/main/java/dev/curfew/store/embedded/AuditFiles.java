package dev.curfew.store.embedded;

import dev.curfew.core.audit.NoteSigner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where the audit trail lives in a data directory, and read-only access to it that works whether
 * or not a server is running on the directory (what the {@code curfew audit} commands use):
 *
 * <pre>
 * audit/audit-&lt;first seq, 20 digits&gt;.jsonl   the records (segments), one canonical JSON line each
 * audit/archive/audit-*.jsonl                  segments older than the retention, moved, never deleted
 * audit/archived.jsonl                         per archived segment: its SHA-256 and Merkle subtree hashes (ArchiveManifest)
 * audit/holds.json                             the legal holds in force (LegalHolds)
 * audit/checkpoints.jsonl                      {"note":..., "tree_size":N} per checkpoint (CheckpointLine);
 *                                              a size may repeat, the later line adding witness cosignatures
 * audit/tree/level-*.bin                       the Merkle tree's hashes (FileHashStore), derived
 * audit/index/audit-*.idx                      per closed segment: session id hash to seq (SessionIndex), derived
 * audit-signing.key                            the Ed25519 signer key (NoteSigner format), 0600
 * </pre>
 *
 * <p>A reader that races a running writer sees every segment complete except perhaps the last,
 * whose last line may still be being written: {@link #forEachLine} stops at the last line feed.
 */
public final class AuditFiles {
  private final Path dataDir;
  private final Path archiveDir; // null: audit/archive/

  private AuditFiles(Path dataDir, Path archiveDir) {
    this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    this.archiveDir = archiveDir;
  }

  public static AuditFiles of(Path dataDir) {
    return new AuditFiles(dataDir, null);
  }

  /**
   * The same files, with the archived segments read from {@code dir} instead of audit/archive/
   * (an archive moved elsewhere); readers only.
   */
  public AuditFiles withArchiveDir(Path dir) {
    return new AuditFiles(dataDir, Objects.requireNonNull(dir, "dir"));
  }

  public Path dataDir() {
    return dataDir;
  }

  public Path auditDir() {
    return dataDir.resolve("audit");
  }

  public Path archiveDir() {
    return archiveDir != null ? archiveDir : auditDir().resolve("archive");
  }

  public Path archiveManifestFile() {
    return auditDir().resolve("archived.jsonl");
  }

  public Path holdsFile() {
    return auditDir().resolve("holds.json");
  }

  public Path treeDir() {
    return auditDir().resolve("tree");
  }

  public Path indexDir() {
    return auditDir().resolve("index");
  }

  public Path checkpointsFile() {
    return auditDir().resolve("checkpoints.jsonl");
  }

  public Path defaultSigningKeyFile() {
    return dataDir.resolve("audit-signing.key");
  }

  /** Every segment, kept and archived, by first seq. A segment found in both places is refused. */
  public TreeMap<Long, Path> segments() throws IOException {
    TreeMap<Long, Path> all = new TreeMap<>();
    if (Files.isDirectory(archiveDir())) all.putAll(Segments.list(archiveDir()));
    if (Files.isDirectory(auditDir())) {
      for (Map.Entry<Long, Path> e : Segments.list(auditDir()).entrySet()) {
        Path dup = all.put(e.getKey(), e.getValue());
        if (dup != null) {
          throw new IOException("segment " + e.getValue().getFileName() + " is both kept and archived (" + dup + ")");
        }
      }
    }
    return all;
  }

  /** Where a segment is now: kept, or archived (it may move between the two at any time). */
  Path locate(Path segment) {
    if (Files.exists(segment)) return segment;
    Path name = segment.getFileName();
    Path archived = archiveDir().resolve(name);
    return Files.exists(archived) ? archived : auditDir().resolve(name);
  }

  /** Opens a segment for reading wherever it is now. */
  FileChannel openSegment(Path segment) throws IOException {
    try {
      return FileChannel.open(segment, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      return FileChannel.open(locate(segment), StandardOpenOption.READ); // archived meanwhile
    }
  }

  // ---------------------------------------------------------------- signing key

  /**
   * The signer in {@code keyFile}, created (mode 0600, named {@code name}) if the file does not
   * exist. The file holds the signer key ({@link NoteSigner#signerKey()}) and a line feed.
   */
  public static NoteSigner loadOrCreateSigner(Path keyFile, String name) throws IOException {
    if (!Files.exists(keyFile)) {
      NoteSigner created = NoteSigner.generate(name);
      Path tmp = keyFile.resolveSibling(keyFile.getFileName() + ".tmp");
      Files.deleteIfExists(tmp);
      try (FileChannel ch = PrivateFiles.createTruncate(tmp)) {
        ch.write(ByteBuffer.wrap((created.signerKey() + "\n").getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      try {
        Files.createLink(keyFile, tmp); // fails if another process created the key meanwhile
      } catch (FileAlreadyExistsException raced) {
        // keep theirs
      } finally {
        Files.deleteIfExists(tmp);
      }
      PrivateFiles.forceDirectory(keyFile.toAbsolutePath().getParent());
    }
    return readSigner(keyFile);
  }

  /** The signer in {@code keyFile}. */
  public static NoteSigner readSigner(Path keyFile) throws IOException {
    String text = Files.readString(keyFile, StandardCharsets.UTF_8).strip();
    try {
      return NoteSigner.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IOException(keyFile + " is not a signer key: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * The complete lines of the checkpoints file among its first {@code maxBytes} bytes (a line
   * being appended is left out); empty when there is no file.
   */
  public List<String> checkpointLines(long maxBytes) throws IOException {
    Path f = checkpointsFile();
    if (!Files.exists(f)) return List.of();
    byte[] bytes;
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      long n = Math.min(ch.size(), maxBytes);
      ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(n));
      while (b.hasRemaining() && ch.read(b) >= 0) {
        // fill
      }
      bytes = Arrays.copyOf(b.array(), b.position());
    }
    List<String> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == '\n') {
        out.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
        start = i + 1;
      }
    }
    return out;
  }

  /** The signed note of the last complete checkpoint line, or null when there is none. */
  public String latestCheckpointNote() throws IOException {
    List<String> lines = checkpointLines(Long.MAX_VALUE);
    return lines.isEmpty() ? null : dev.curfew.core.audit.CheckpointLine.parse(lines.get(lines.size() - 1)).note();
  }

  // ---------------------------------------------------------------- records

  /** Sees record lines with where they are: the line is {@code bytes[offset, offset + length)}. */
  @FunctionalInterface
  public interface LineVisitor {
    /** Returns false to stop. */
    boolean visit(long seq, long segmentFirstSeq, long byteOffset, byte[] bytes, int offset, int length)
        throws IOException;
  }

  /** What {@link #forEachLine} read. */
  public record Reading(long nextSeq, long incompleteTailBytes) {}

  /**
   * Calls {@code visitor} with each record line from {@code fromSeq} (lines are numbered by their
   * segment's first seq plus their position; nothing is parsed) until {@code toSeq} (exclusive) or
   * the end of the last segment. A last segment not ending in a line feed has an incomplete last
   * line (a write in progress, or a torn write that the next start cuts): it is not visited and
   * its length is reported. Lines longer than {@code maxLineBytes} are visited truncated at that
   * length plus one byte, so that a checker sees them as too long without this reader holding them.
   */
  public Reading forEachLine(long fromSeq, long toSeq, int maxLineBytes, LineVisitor visitor) throws IOException {
    TreeMap<Long, Path> segs = segments();
    if (segs.isEmpty()) return new Reading(0, 0);
    Long startKey = segs.floorKey(fromSeq);
    if (startKey == null) startKey = segs.firstKey();
    long seq = startKey;
    long incomplete = 0;
    for (Map.Entry<Long, Path> e : segs.tailMap(startKey, true).entrySet()) {
      if (seq >= toSeq) break;
      if (e.getKey() != seq) return new Reading(seq, 0); // a gap: the caller's checks name it
      boolean last = e.getKey().equals(segs.lastKey());
      try (FileChannel ch = openSegment(e.getValue())) {
        long[] state = {seq, 0};
        long size = ch.size();
        boolean stopped = readLines(ch, size, fromSeq, toSeq, maxLineBytes, e.getKey(), state, visitor);
        seq = state[0];
        if (last) incomplete = state[1];
        else if (state[1] > 0) {
          // a closed segment never ends mid-line; report it as a line so the checker names it
          if (seq >= fromSeq && seq < toSeq) {
            byte[] tail = readRange(ch, size - state[1], Math.min(state[1], maxLineBytes + 1L));
            if (!visitor.visit(seq, e.getKey(), size - state[1], tail, 0, tail.length)) return new Reading(seq + 1, 0);
          }
          seq++;
        }
        if (stopped) return new Reading(seq, incomplete);
      }
    }
    return new Reading(seq, incomplete);
  }

  /** Reads lines of one segment; state = {next seq, bytes after the last line feed}. True: stop. */
  private static boolean readLines(FileChannel ch, long size, long fromSeq, long toSeq, int maxLineBytes,
      long segmentFirstSeq, long[] state, LineVisitor visitor) throws IOException {
    InputStream in = Channels.newInputStream(ch.position(0));
    byte[] buf = new byte[1 << 20];
    int start = 0;
    int end = 0;
    long bufFileOffset = 0; // file offset of buf[0]
    long read = 0;
    boolean overlong = false;
    while (true) {
      int nl = -1;
      for (int i = start; i < end; i++) {
        if (buf[i] == '\n') {
          nl = i;
          break;
        }
      }
      if (nl >= 0) {
        long seq = state[0];
        if (seq >= toSeq) return true;
        if (seq >= fromSeq) {
          int len = overlong ? Math.min(nl - start, maxLineBytes + 1) : nl - start;
          if (!visitor.visit(seq, segmentFirstSeq, bufFileOffset + start, buf, start, len)) {
            state[0] = seq + 1;
            return true;
          }
        }
        state[0] = seq + 1;
        start = nl + 1;
        overlong = false;
        continue;
      }
      if (start > 0) {
        System.arraycopy(buf, start, buf, 0, end - start);
        end -= start;
        bufFileOffset += start;
        start = 0;
      }
      if (end == buf.length) {
        if (buf.length > maxLineBytes + 2) { // an over-long line: keep its head only
          overlong = true;
          bufFileOffset += end - (maxLineBytes + 1);
          end = maxLineBytes + 1;
        } else {
          buf = Arrays.copyOf(buf, buf.length * 2);
        }
      }
      if (read >= size) {
        state[1] = size - (bufFileOffset + start);
        return false;
      }
      int n = in.read(buf, end, (int) Math.min(buf.length - end, size - read));
      if (n < 0) {
        state[1] = size - read + (end - start);
        return false;
      }
      end += n;
      read += n;
    }
  }

  /** The line at {@code byteOffset} of a segment (without its line feed), at most {@code maxBytes}. */
  byte[] readLine(Path segment, long byteOffset, int maxBytes) throws IOException {
    try (FileChannel ch = openSegment(segment)) {
      return readLine(ch, byteOffset, maxBytes);
    }
  }

  static byte[] readLine(FileChannel ch, long byteOffset, int maxBytes) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(Math.min(maxBytes, 1024));
    int filled = 0;
    while (true) {
      int n = ch.read(b, byteOffset + filled);
      if (n < 0) throw new IOException("no line feed after offset " + byteOffset);
      for (int i = filled; i < filled + n; i++) {
        if (b.get(i) == '\n') return Arrays.copyOf(b.array(), i);
      }
      filled += n;
      if (!b.hasRemaining()) {
        if (b.capacity() >= maxBytes) throw new IOException("line at offset " + byteOffset + " longer than " + maxBytes);
        ByteBuffer bigger = ByteBuffer.allocate(Math.min(maxBytes, b.capacity() * 4));
        b.flip();
        bigger.put(b);
        b = bigger;
      }
    }
  }

  private static byte[] readRange(FileChannel ch, long from, long length) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(length));
    while (b.hasRemaining()) {
      if (ch.read(b, from + b.position()) < 0) break;
    }
    return Arrays.copyOf(b.array(), b.position());
  }
}

package dev.curfew.store.embedded;

import dev.curfew.core.audit.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * The audit log's segment files: {@code audit/audit-<first seq, 20 digits>.jsonl}, each a run of
 * canonical JSON lines with consecutive {@code seq}. Naming a segment by its first seq lets a reader
 * find the segment of any seq from the directory listing alone, and lets open check continuity
 * from the first and last line of each segment without reading whole files (except the last).
 */
final class Segments {
  static final String PREFIX = "audit-";
  static final String SUFFIX = ".jsonl";
  private static final int READ_CHUNK_BYTES = 1 << 20;

  private Segments() {}

  static String name(long firstSeq) {
    return PREFIX + String.format("%020d", firstSeq) + SUFFIX;
  }

  /** The segments in {@code dir} by first seq; other files are ignored. */
  static TreeMap<Long, Path> list(Path dir) throws IOException {
    TreeMap<Long, Path> out = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        String digits = n.substring(PREFIX.length(), n.length() - SUFFIX.length());
        if (digits.length() == 20 && digits.chars().allMatch(Character::isDigit)) {
          out.put(Long.parseLong(digits), p);
        }
      }
    }
    return out;
  }

  /** What open learned from the last segment, after any repair. */
  record Tail(long lines, long cutBytes, String firstLine, String lastLine) {}

  /**
   * Reads the last segment once, cuts a torn end (a partial last line, then at most one complete
   * but unparseable last line: what a crash during an append can leave), makes the cut durable,
   * and counts the complete lines. More damage than that is not a torn write and fails open.
   */
  static Tail repair(Path segment) throws IOException {
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      long lines = 0;
      long nl1 = -1; // offset of the last '\n'
      long nl2 = -1; // ... the one before
      long nl3 = -1;
      ByteBuffer buf = ByteBuffer.allocate(READ_CHUNK_BYTES);
      for (long pos = 0; pos < size; ) {
        buf.clear();
        int n = ch.read(buf, pos);
        if (n < 0) break;
        for (int i = 0; i < n; i++) {
          if (buf.get(i) == '\n') {
            lines++;
            nl3 = nl2;
            nl2 = nl1;
            nl1 = pos + i;
          }
        }
        pos += n;
      }
      long keep = nl1 + 1;
      String last = lines == 0 ? null : read(ch, nl2 + 1, nl1);
      if (last != null && seqOf(last) < 0) {
        keep = nl2 + 1;
        lines--;
        last = lines == 0 ? null : read(ch, nl3 + 1, nl2);
        if (last != null && seqOf(last) < 0) {
          throw new IOException(segment + ": the last two lines are not audit records;"
              + " that is not a torn write, refusing to cut more");
        }
      }
      if (keep < size) {
        ch.truncate(keep);
        ch.force(true);
      }
      String first = lines == 0 ? null : firstLine(ch);
      return new Tail(lines, size - keep, first, last);
    }
  }

  /** The first line of a segment (without its '\n'), or null if it has none. */
  static String firstLine(Path segment) throws IOException {
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
      return firstLine(ch);
    }
  }

  private static String firstLine(FileChannel ch) throws IOException {
    long size = ch.size();
    ByteBuffer buf = ByteBuffer.allocate(4096);
    for (long pos = 0; pos < size; ) {
      buf.clear();
      int n = ch.read(buf, pos);
      if (n < 0) break;
      for (int i = 0; i < n; i++) {
        if (buf.get(i) == '\n') return read(ch, 0, pos + i);
      }
      pos += n;
    }
    return null;
  }

  /** The last complete line of a segment that ends with '\n', or null if it is empty. */
  static String lastLine(Path segment) throws IOException {
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
      long end = ch.size() - 1; // the final '\n'
      if (end < 0) return null;
      ByteBuffer one = ByteBuffer.allocate(1);
      ch.read(one, end);
      if (one.get(0) != '\n') throw new IOException(segment + " does not end with a line feed");
      ByteBuffer buf = ByteBuffer.allocate(4096);
      long start = end;
      while (start > 0) {
        long from = Math.max(0, start - buf.capacity());
        buf.clear().limit((int) (start - from));
        ch.read(buf, from);
        for (int i = buf.position() - 1; i >= 0; i--) {
          if (buf.get(i) == '\n') return read(ch, from + i + 1, end);
        }
        start = from;
      }
      return read(ch, 0, end);
    }
  }

  private static String read(FileChannel ch, long from, long to) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(to - from));
    while (b.hasRemaining()) {
      if (ch.read(b, from + b.position()) < 0) throw new IOException("unexpected end of file");
    }
    return new String(b.array(), StandardCharsets.UTF_8);
  }

  /** The {@code seq} of a record line, or -1 if the line is not a JSON object with a seq. */
  static long seqOf(String line) {
    try {
      Map<String, Object> m = Json.parseObject(line);
      return m.get("seq") instanceof Long ? (Long) m.get("seq") : -1;
    } catch (IllegalArgumentException e) {
      return -1;
    }
  }
}

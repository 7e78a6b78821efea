package dev.curfew.store.embedded;

import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.MerkleRange;
import dev.curfew.core.audit.MerkleTree;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * audit/archived.jsonl: what each archived segment was when it was archived, kept in audit/ (not
 * in audit/archive/) so that it stays when the archive is moved elsewhere. One canonical JSON line
 * per segment, written and forced before the segment moves:
 *
 * <pre>
 * {"archived_at":"...","end_seq":E,"first_seq":F,"segment":"audit-....jsonl","sha256":"&lt;hex of the file&gt;",
 *  "subtrees":[{"hash":"&lt;base64&gt;","index":I,"level":L}, ...]}
 * </pre>
 *
 * {@code subtrees} is the compact range of the records [F, E) (MerkleRange): with it, {@code audit
 * verify} recomputes every checkpoint root from E on without the archived records, which proves
 * that they are the ones the current signed tree holds; {@code sha256} names an archived file that
 * was changed. The file is not signed: a manifest line altered to match an altered archive yields
 * roots that no signed checkpoint has.
 */
public final class ArchiveManifest {

  /** One archived segment. */
  public record Entry(String segment, MerkleRange range, String sha256Hex, String archivedAt) {
    public Entry {
      Objects.requireNonNull(segment, "segment");
      Objects.requireNonNull(range, "range");
      Objects.requireNonNull(sha256Hex, "sha256Hex");
      Objects.requireNonNull(archivedAt, "archivedAt");
    }

    public long firstSeq() {
      return range.begin();
    }

    public long endSeq() {
      return range.end();
    }

    String toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("segment", segment);
      m.put("first_seq", range.begin());
      m.put("end_seq", range.end());
      m.put("sha256", sha256Hex);
      m.put("archived_at", archivedAt);
      List<Object> subtrees = new ArrayList<>();
      for (MerkleRange.Subtree s : range.subtrees()) {
        subtrees.add(Map.of("index", s.index(), "level", s.level(), "hash", Base64.getEncoder().encodeToString(s.hash())));
      }
      m.put("subtrees", subtrees);
      return CanonicalJson.write(m);
    }

    static Entry parse(String line) {
      Map<String, Object> m = Json.parseObject(line);
      List<MerkleRange.Subtree> subtrees = new ArrayList<>();
      for (Object o : (List<?>) m.get("subtrees")) {
        Map<?, ?> s = (Map<?, ?>) o;
        subtrees.add(new MerkleRange.Subtree(((Number) s.get("index")).longValue(), ((Number) s.get("level")).intValue(),
            Base64.getDecoder().decode((String) s.get("hash"))));
      }
      MerkleRange range = MerkleRange.of(((Number) m.get("first_seq")).longValue(), ((Number) m.get("end_seq")).longValue(),
          subtrees);
      return new Entry((String) m.get("segment"), range, (String) m.get("sha256"), (String) m.get("archived_at"));
    }
  }

  private ArchiveManifest() {}

  /**
   * Whether {@code manifest} lists archived segments that follow one another from {@code fromSeq}
   * to {@code toSeq} (exclusive): records the data directory lacks because the archive was moved
   * elsewhere, which are proven by their entries (the segments themselves are not at hand).
   */
  public static boolean covers(TreeMap<Long, Entry> manifest, long fromSeq, long toSeq) {
    long seq = fromSeq;
    while (seq < toSeq) {
      Entry e = manifest.get(seq);
      if (e == null) return false;
      seq = e.endSeq();
    }
    return seq == toSeq;
  }

  /** The entries of {@code files}' manifest by first seq; empty without one. */
  public static TreeMap<Long, Entry> read(AuditFiles files) throws IOException {
    TreeMap<Long, Entry> out = new TreeMap<>();
    Path f = files.archiveManifestFile();
    if (!Files.exists(f)) return out;
    int lineNo = 0;
    String text = Files.readString(f, StandardCharsets.UTF_8);
    text = text.substring(0, text.lastIndexOf('\n') + 1); // a torn last line (a crash while appending) is not an entry
    for (String line : text.split("\n")) {
      lineNo++;
      if (line.isBlank()) continue;
      try {
        Entry e = Entry.parse(line);
        out.put(e.firstSeq(), e);
      } catch (RuntimeException e) {
        throw new IOException(f + " line " + lineNo + " is not an archived segment's entry: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * What a reader that needs the records themselves (export, attest) says of archived segments
   * that are not at hand ({@code absent}, in seq order, not empty): their seq ranges, where they
   * were looked for, and how to give them.
   */
  public static String notAtHand(AuditFiles files, List<Entry> absent) {
    StringBuilder ranges = new StringBuilder();
    long from = -1;
    long end = -1;
    for (Entry e : absent) {
      if (e.firstSeq() != end) {
        if (from >= 0) ranges.append(from).append("..").append(end - 1).append(", ");
        from = e.firstSeq();
      }
      end = e.endSeq();
    }
    ranges.append(from).append("..").append(end - 1);
    return "the records seq " + ranges + " are in " + absent.size() + " archived segment(s) (audit/archived.jsonl, from "
        + absent.get(0).segment() + ") that are not in " + files.archiveDir() + ": the archive was moved;"
        + " give --archive DIR with the directory it is in now";
  }

  /** The entries whose segment file is not among {@code files.segments()}, in seq order. */
  public static List<Entry> absent(AuditFiles files) throws IOException {
    TreeMap<Long, Path> present = files.segments();
    List<Entry> out = new ArrayList<>();
    for (Entry e : read(files).values()) {
      if (!present.containsKey(e.firstSeq())) out.add(e);
    }
    return out;
  }

  /** Computes the entry of {@code segment} (whose first record is {@code firstSeq}) from its bytes. */
  static Entry describe(Path segment, long firstSeq, long archivedAtMs) throws IOException {
    MessageDigest file = sha256();
    List<byte[]> leaves = new ArrayList<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream(512);
    try (InputStream in = Files.newInputStream(segment)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        file.update(buf, 0, n);
        int start = 0;
        for (int i = 0; i < n; i++) {
          if (buf[i] != '\n') continue;
          line.write(buf, start, i - start);
          leaves.add(MerkleTree.leafHash(line.toByteArray()));
          line.reset();
          start = i + 1;
        }
        line.write(buf, start, n - start);
      }
    }
    if (line.size() > 0) throw new IOException(segment + " does not end with a line feed: a closed segment never does");
    return new Entry(segment.getFileName().toString(), MerkleRange.ofLeafHashes(firstSeq, leaves),
        HexFormat.of().formatHex(file.digest()), dev.curfew.core.audit.Times.format(archivedAtMs));
  }

  /** The SHA-256 of a file's bytes, in hex. */
  static String sha256Hex(Path file) throws IOException {
    MessageDigest d = sha256();
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(d.digest());
  }

  /** Appends {@code entry} to the manifest of {@code files} and forces it. */
  static void append(AuditFiles files, Entry entry) throws IOException {
    byte[] bytes = (entry.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
    PrivateFiles.openAppend(files.archiveManifestFile()).close(); // created 0600
    try (FileChannel ch = FileChannel.open(files.archiveManifestFile(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      cutTornLine(ch);
      ch.position(ch.size());
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) ch.write(b);
      ch.force(false);
    }
    PrivateFiles.forceDirectory(files.auditDir());
  }

  /** Cuts what follows the last line feed (a line a crash left half written). */
  private static void cutTornLine(FileChannel ch) throws IOException {
    long end = ch.size();
    ByteBuffer one = ByteBuffer.allocate(1);
    while (end > 0) {
      one.clear();
      ch.read(one, end - 1);
      if (one.get(0) == '\n') break;
      end--;
    }
    if (end < ch.size()) ch.truncate(end);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}

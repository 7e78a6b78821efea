package dev.curfew.store.embedded;

import dev.curfew.core.AuditSink.TokenBinding;
import dev.curfew.core.TokenHash;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The token journal: which token hash belongs to which session, the one thing recovery needs that
 * the audit trail must never show. One canonical JSON line per binding ({@code issued_at_ms},
 * {@code session_id}, {@code token_sha256} as hex) in {@code tokens-<generation>.jsonl}, mode 0600.
 *
 * <p>Generations bound its size: a snapshot starts a new generation at the point in the append
 * order where it reads the log's size, so every binding of a record at or after the snapshot's
 * {@code seq} is in that generation or a later one, and older generations are deleted once the
 * snapshot (which holds the token hashes of every session it knows) is durable.
 */
final class TokenJournal {
  static final String PREFIX = "tokens-";
  static final String SUFFIX = ".jsonl";

  private TokenJournal() {}

  static Path file(Path dataDir, long generation) {
    return dataDir.resolve(PREFIX + generation + SUFFIX);
  }

  /**
   * The binding's line with its line feed: canonical JSON, members in their canonical order
   * (issued_at_ms, session_id, token_sha256), written directly; the writer thread makes one per
   * session opened or token rotated.
   */
  static byte[] line(TokenBinding b) {
    StringBuilder out = new StringBuilder(48 + 64 + b.sessionId().length());
    out.append("{\"issued_at_ms\":");
    CanonicalJson.writeLong(b.issuedAtMs(), out);
    out.append(",\"session_id\":");
    CanonicalJson.write(b.sessionId(), out);
    // Hex digits: nothing to escape.
    out.append(",\"token_sha256\":\"").append(b.tokenHash().toHex()).append("\"}\n");
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The journal generations in {@code dataDir}, ascending. */
  static TreeMap<Long, Path> generations(Path dataDir) throws IOException {
    TreeMap<Long, Path> out = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dataDir, PREFIX + "*" + SUFFIX)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        String digits = n.substring(PREFIX.length(), n.length() - SUFFIX.length());
        if (!digits.isEmpty() && digits.length() <= 18 && digits.chars().allMatch(Character::isDigit)) {
          out.put(Long.parseLong(digits), p);
        }
      }
    }
    return out;
  }

  /** Cuts a partial last line (a crash during an append) so that new lines start clean. */
  static long repair(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = ch.size();
      long keep = size;
      java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
      while (keep > 0) {
        one.clear();
        ch.read(one, keep - 1);
        if (one.get(0) == '\n') break;
        keep--;
      }
      if (keep < size) {
        ch.truncate(keep);
        ch.force(true);
      }
      return size - keep;
    }
  }

  /**
   * Calls {@code sink} with every binding of generations {@code >= fromGeneration}, in order. A
   * line that does not parse is skipped only if it is the last of its file (a torn write).
   */
  static void read(Path dataDir, long fromGeneration, Consumer<TokenBinding> sink) throws IOException {
    for (Map.Entry<Long, Path> e : generations(dataDir).tailMap(fromGeneration, true).entrySet()) {
      List<String> lines = new ArrayList<>();
      try (BufferedReader r = Files.newBufferedReader(e.getValue(), StandardCharsets.UTF_8)) {
        for (String l; (l = r.readLine()) != null; ) lines.add(l);
      }
      for (int i = 0; i < lines.size(); i++) {
        TokenBinding b = parse(lines.get(i));
        if (b == null && i < lines.size() - 1) {
          throw new IOException(e.getValue() + " line " + (i + 1) + " is not a token binding");
        }
        if (b != null) sink.accept(b);
      }
    }
  }

  private static TokenBinding parse(String line) {
    try {
      Map<String, Object> m = Json.parseObject(line);
      return new TokenBinding((String) m.get("session_id"), TokenHash.fromHex((String) m.get("token_sha256")),
          ((Number) m.get("issued_at_ms")).longValue());
    } catch (RuntimeException e) {
      return null;
    }
  }
}

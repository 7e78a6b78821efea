package dev.curfew.store.embedded;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Legal holds on the audit trail (docs/audit.md, "Retention and legal holds"): a hold names a
 * subject (every record whose {@code subject} is it) or a period (every record whose {@code time}
 * is in [from, to)), and a segment holding any held record is not archived while the hold stands.
 *
 * <p>The holds in force are audit/holds.json; placing and lifting one is an {@code
 * audit.hold_placed} / {@code audit.hold_lifted} record with its actor, so the trail itself says
 * who held what and when. The order of the two writes errs toward holding: a hold is in the file
 * before its record is written (taken out again if the record cannot be), and a lift is recorded
 * before it leaves the file, so a crash between them never leaves a hold unrecorded-and-released.
 * Not thread-safe; the caller holds the data directory (DataDirLock) or the log.
 */
public final class LegalHolds {
  /** Limit on the holds in force at once: each one is checked against every segment archived. */
  public static final int MAX_HOLDS = 1000;
  /** Limit on a subject and a reason, in characters. */
  public static final int MAX_TEXT_CHARS = 512;

  /**
   * One hold: on {@code subject}, or on the period [fromMs, toMs) (then subject is null).
   *
   * @param placedAt RFC 3339
   */
  public record Hold(String id, String subject, long fromMs, long toMs, String reason, String placedBy, String placedAt) {
    public Hold {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(placedBy, "placedBy");
      Objects.requireNonNull(placedAt, "placedAt");
      if (subject == null && toMs <= fromMs) throw new IllegalArgumentException("a period hold needs from < to");
      if (subject != null && (subject.isEmpty() || subject.length() > MAX_TEXT_CHARS)) {
        throw new IllegalArgumentException("subject must have 1.." + MAX_TEXT_CHARS + " characters");
      }
      if (reason.isBlank() || reason.length() > MAX_TEXT_CHARS) {
        throw new IllegalArgumentException("reason must have 1.." + MAX_TEXT_CHARS + " characters");
      }
      if (placedBy.isBlank()) throw new IllegalArgumentException("the actor must not be blank");
    }

    /** What it holds, for people: {@code subject "alice"} or {@code period [from, to)}. */
    public String scope() {
      return subject != null ? "subject " + CanonicalJson.write(subject)
          : "period [" + Times.format(fromMs) + ", " + Times.format(toMs) + ")";
    }

    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("hold_id", id);
      if (subject != null) {
        m.put("subject", subject);
      } else {
        m.put("from", Times.format(fromMs));
        m.put("to", Times.format(toMs));
      }
      m.put("reason_text", reason);
      m.put("actor", placedBy);
      m.put("placed_at", placedAt);
      return m;
    }

    static Hold fromMap(Map<?, ?> m) {
      String subject = (String) m.get("subject");
      return new Hold((String) m.get("hold_id"), subject,
          subject == null ? Times.parse((String) m.get("from")) : 0, subject == null ? Times.parse((String) m.get("to")) : 0,
          (String) m.get("reason_text"), (String) m.get("actor"), (String) m.get("placed_at"));
    }

    /** Whether the record {@code r} (a parsed line) is held by this. */
    boolean holds(Map<String, Object> r) {
      if (subject != null) return subject.equals(r.get("subject"));
      long t = Times.parse((String) r.get("time"));
      return t >= fromMs && t < toMs;
    }
  }

  private static final SecureRandom IDS = new SecureRandom();

  private LegalHolds() {}

  /** A new hold id: {@code hold_} and 12 random hex digits. */
  public static String newId() {
    byte[] b = new byte[6];
    IDS.nextBytes(b);
    return "hold_" + HexFormat.of().formatHex(b);
  }

  /** The holds in force under {@code files} (none without a holds file). */
  public static List<Hold> read(AuditFiles files) throws IOException {
    Path f = files.holdsFile();
    if (!Files.exists(f)) return List.of();
    try {
      List<Hold> out = new ArrayList<>();
      for (Object o : (List<?>) Json.parseObject(Files.readString(f, StandardCharsets.UTF_8)).get("holds")) {
        out.add(Hold.fromMap((Map<?, ?>) o));
      }
      return out;
    } catch (RuntimeException e) {
      throw new IOException(f + " is not a holds file (fix or restore it; nothing is archived meanwhile): " + e.getMessage(), e);
    }
  }

  /** Replaces the holds file atomically (written, forced, renamed, directory forced). */
  static void write(AuditFiles files, List<Hold> holds) throws IOException {
    List<Object> list = new ArrayList<>();
    for (Hold h : holds) list.add(h.toMap());
    byte[] bytes = (CanonicalJson.write(Map.of("holds", list)) + "\n").getBytes(StandardCharsets.UTF_8);
    Path tmp = files.holdsFile().resolveSibling("holds.json.tmp");
    try (FileChannel ch = PrivateFiles.createTruncate(tmp)) {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) ch.write(b);
      ch.force(true);
    }
    Files.move(tmp, files.holdsFile(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    PrivateFiles.forceDirectory(files.auditDir());
  }

  /**
   * Places {@code hold}: into the holds file, then its {@code audit.hold_placed} record, durable
   * when this returns; the file is restored if the record cannot be written.
   */
  public static void place(AuditFiles files, FileAuditLog log, Hold hold, String node, long nowMs) throws IOException {
    List<Hold> before = read(files);
    if (before.size() >= MAX_HOLDS) throw new IllegalStateException("already " + MAX_HOLDS + " holds in force (the limit)");
    for (Hold h : before) {
      if (h.id().equals(hold.id())) throw new IllegalArgumentException("a hold " + hold.id() + " is already in force");
    }
    List<Hold> after = new ArrayList<>(before);
    after.add(hold);
    write(files, after);
    AuditRecord.Builder r = AuditRecord.builder(RecordTypes.AUDIT_HOLD_PLACED, nowMs, node);
    hold.toMap().forEach((k, v) -> {
      if (!k.equals("placed_at")) r.put(k, v);
    });
    try {
      appendDurably(log, r.build());
    } catch (IOException | RuntimeException e) {
      write(files, before);
      throw e;
    }
  }

  /**
   * Lifts the hold {@code id}: its {@code audit.hold_lifted} record first, durable, then out of the
   * holds file. Returns the hold lifted.
   *
   * @throws IllegalArgumentException when no such hold is in force
   */
  public static Hold lift(AuditFiles files, FileAuditLog log, String id, String reason, String actor, String node,
      long nowMs) throws IOException {
    List<Hold> before = read(files);
    Hold found = before.stream().filter(h -> h.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no hold " + id + " is in force"));
    if (reason == null || reason.isBlank() || reason.length() > MAX_TEXT_CHARS) {
      throw new IllegalArgumentException("reason must have 1.." + MAX_TEXT_CHARS + " characters");
    }
    if (actor == null || actor.isBlank()) throw new IllegalArgumentException("the actor must not be blank");
    appendDurably(log, AuditRecord.builder(RecordTypes.AUDIT_HOLD_LIFTED, nowMs, node)
        .put("hold_id", id).put("reason_text", reason).put("actor", actor).build());
    List<Hold> after = new ArrayList<>(before);
    after.remove(found);
    write(files, after);
    return found;
  }

  private static void appendDurably(FileAuditLog log, AuditRecord r) throws IOException {
    try {
      log.append(List.of(r), List.of()).join();
    } catch (java.util.concurrent.CompletionException e) {
      throw new IOException("the audit log cannot record the hold: " + e.getCause(), e.getCause());
    }
  }

  /**
   * The first hold (of {@code holds}) that holds a record of {@code segment}, or null: a period
   * hold is decided from the segment's first and last record (time never decreases along a
   * node's log, and a segment is one node's), a subject hold by reading the segment.
   */
  static Hold holding(List<Hold> holds, Path segment) throws IOException {
    if (holds.isEmpty()) return null;
    String first = Segments.firstLine(segment);
    String last = Segments.lastLine(segment);
    if (first == null || last == null) return null;
    long firstMs = Times.parse((String) Json.parseObject(first).get("time"));
    long lastMs = Times.parse((String) Json.parseObject(last).get("time"));
    List<Hold> subjects = new ArrayList<>();
    for (Hold h : holds) {
      if (h.subject() != null) subjects.add(h);
      else if (firstMs < h.toMs() && lastMs >= h.fromMs()) return h;
    }
    if (subjects.isEmpty()) return null;
    try (BufferedReader r = Files.newBufferedReader(segment, StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.indexOf("\"subject\":") < 0) continue;
        Map<String, Object> rec = Json.parseObject(line);
        for (Hold h : subjects) {
          if (h.holds(rec)) return h;
        }
      }
    }
    return null;
  }
}

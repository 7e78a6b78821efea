package dev.curfew.bench.reliability;

import dev.curfew.core.audit.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a stopped server's audit log (every segment, archived ones too) and holds it against the
 * ledger: each acknowledged session has its {@code session.created}, each acknowledged end its
 * ending record, no session has two endings, and nothing but refusals and notifications follows
 * an ending (nothing ended is revived, not even in the log).
 */
final class AuditLogCheck {
  private static final Set<String> ENDINGS = Set.of("session.expired", "session.revoked", "session.logged_out");
  private static final Set<String> AFTER_END_ALLOWED = Set.of("session.refused", "session.notified");

  record Summary(long records, Map<String, Long> byType, String lastType) {}

  static Summary check(Path dataDir, List<Tracked> ledger, Judge judge) throws IOException {
    TreeMap<Long, Path> segments = new TreeMap<>();
    for (Path dir : List.of(dataDir.resolve("audit"), dataDir.resolve("audit/archive"))) {
      if (!Files.isDirectory(dir)) continue;
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(p -> p.getFileName().toString().matches("audit-\\d{20}\\.jsonl"))
            .forEach(p -> segments.put(Long.parseLong(p.getFileName().toString().substring(6, 26)), p));
      }
    }
    Map<String, String> endingOf = new HashMap<>();
    Map<String, Boolean> created = new HashMap<>();
    Map<String, Long> byType = new TreeMap<>();
    long records = 0;
    long expectedSeq = 0;
    String lastType = null;
    for (Path segment : segments.values()) {
      for (String line : Files.readAllLines(segment, StandardCharsets.UTF_8)) {
        Map<String, Object> r = Json.parseObject(line);
        long seq = ((Number) r.get("seq")).longValue();
        if (seq != expectedSeq) judge.violation("log", null, "seq " + seq + " where " + expectedSeq + " was due");
        expectedSeq = seq + 1;
        records++;
        String type = (String) r.get("type");
        lastType = type;
        byType.merge(type, 1L, Long::sum);
        String sid = (String) r.get("session_id");
        if (sid == null) continue;
        if (type.equals("session.created")) created.put(sid, true);
        String ended = endingOf.get(sid);
        if (ended != null && !AFTER_END_ALLOWED.contains(type)) {
          judge.violation("log", null, "seq " + seq + ": " + type + " of " + sid + " after its " + ended);
        }
        if (ENDINGS.contains(type) && ended == null) endingOf.put(sid, type);
      }
    }
    for (Tracked t : ledger) {
      if (!created.containsKey(t.sessionId)) {
        judge.violation("log", t, "no session.created for an acknowledged session");
      }
      if (t.acknowledgedEnd != null) {
        String expected = t.acknowledgedEnd.equals("revoked") ? "session.revoked" : "session.logged_out";
        if (!expected.equals(endingOf.get(t.sessionId))) {
          judge.violation("log", t, "acknowledged " + t.acknowledgedEnd + " but the log ends it with " + endingOf.get(t.sessionId));
        }
      }
    }
    return new Summary(records, byType, lastType);
  }

  private AuditLogCheck() {}
}

package dev.curfew.client;

import dev.curfew.core.audit.CanonicalJson;
import java.time.Instant;
import java.util.Map;

/**
 * One record of the audit trail (spec/audit.md): its common fields and every field as read.
 * {@link #line()} writes it back as canonical JSON, the bytes its Merkle leaf hashes.
 */
public record AuditRecord(long seq, Instant time, String type, String node, String sessionId, String subject,
    Map<String, Object> data, Map<String, Object> fields) {

  static AuditRecord from(Map<String, Object> m) {
    Map<String, Object> data = JsonValues.object(m, "data");
    return new AuditRecord(JsonValues.longValue(m, "seq", -1), JsonValues.instant(m, "time"), JsonValues.string(m, "type"),
        JsonValues.string(m, "node"), JsonValues.string(m, "session_id"), JsonValues.string(m, "subject"),
        data == null ? Map.of() : data, m);
  }

  /** The record as its canonical JSON line. */
  public String line() {
    return CanonicalJson.write(fields);
  }
}

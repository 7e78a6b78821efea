package dev.curfew.core.audit;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One lifecycle event, as spec/audit.md defines it. Built by the engine without {@code seq}; the
 * log that accepts it assigns {@code seq} and the final {@code time} and writes {@link
 * #canonicalLine(long, long)}, whose bytes are the Merkle leaf. No record ever holds a token or a
 * token's hash.
 */
public final class AuditRecord {
  private final String type;
  private final long timeMs;
  private final String node;
  private final String sessionId;
  private final String subject;
  private final String policy;
  private final int policyVersion;
  private final Map<String, Object> data;

  private AuditRecord(Builder b) {
    this.type = Objects.requireNonNull(b.type, "type");
    this.timeMs = b.timeMs;
    this.node = Objects.requireNonNull(b.node, "node");
    this.sessionId = b.sessionId;
    this.subject = b.subject;
    this.policy = b.policy;
    this.policyVersion = b.policyVersion;
    this.data = b.data;
  }

  public static Builder builder(String type, long timeMs, String node) {
    return new Builder(type, timeMs, node);
  }

  public String type() { return type; }
  public long timeMs() { return timeMs; }
  public String node() { return node; }
  public String sessionId() { return sessionId; }
  public String subject() { return subject; }
  public String policy() { return policy; }
  public int policyVersion() { return policyVersion; }
  public Map<String, Object> data() { return data; }

  /**
   * This record with one more data field (or one replaced): a store that adds what is its own, such
   * as the claim a record was written under, to a record built by {@code SessionRecords}.
   */
  public AuditRecord with(String key, Object value) {
    Builder b = builder(type, timeMs, node);
    b.sessionId = sessionId;
    b.subject = subject;
    b.policy = policy;
    b.policyVersion = policyVersion;
    b.data.putAll(data);
    b.data.put(key, value);
    return b.build();
  }

  /** The record as a JSON object with the given {@code seq} and {@code time}. */
  public Map<String, Object> toMap(long seq, long timeMs) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seq", seq);
    m.put("time", Times.format(timeMs));
    m.put("type", type);
    m.put("node", node);
    if (sessionId != null) m.put("session_id", sessionId);
    if (subject != null) m.put("subject", subject);
    if (policy != null) m.put("policy", policy);
    if (policyVersion > 0) m.put("policy_version", (long) policyVersion);
    m.put("data", data);
    return m;
  }

  /** The record's canonical JSON (RFC 8785), without the line feed: the Merkle leaf's bytes. */
  public byte[] canonicalLine(long seq, long timeMs) {
    StringBuilder out = new StringBuilder(256 + 32 * data.size());
    writeCanonical(seq, timeMs, out);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Writes what {@code CanonicalJson.write(toMap(seq, timeMs))} writes, without building that map:
   * the top-level members are fixed, so their canonical order is too (UTF-16 order: data, node,
   * policy, policy_version, seq, session_id, subject, time, type). Every record the log accepts goes
   * through here, on the thread that opened, touched or ended its session.
   */
  void writeCanonical(long seq, long timeMs, StringBuilder out) {
    out.append("{\"data\":");
    CanonicalJson.write(data, out);
    out.append(",\"node\":");
    CanonicalJson.writeString(node, out);
    if (policy != null) {
      out.append(",\"policy\":");
      CanonicalJson.writeString(policy, out);
    }
    if (policyVersion > 0) out.append(",\"policy_version\":").append(policyVersion);
    out.append(",\"seq\":");
    CanonicalJson.writeLong(seq, out);
    if (sessionId != null) {
      out.append(",\"session_id\":");
      CanonicalJson.writeString(sessionId, out);
    }
    if (subject != null) {
      out.append(",\"subject\":");
      CanonicalJson.writeString(subject, out);
    }
    // An RFC 3339 time has nothing to escape.
    out.append(",\"time\":\"").append(Times.format(timeMs)).append("\",\"type\":");
    CanonicalJson.writeString(type, out);
    out.append('}');
  }

  @Override
  public String toString() {
    return CanonicalJson.write(toMap(-1, timeMs));
  }

  /** Collects a record's fields; data keys keep their insertion order until canonicalized. */
  public static final class Builder {
    private final String type;
    private final long timeMs;
    private final String node;
    private String sessionId;
    private String subject;
    private String policy;
    private int policyVersion;
    private final Map<String, Object> data = new LinkedHashMap<>();

    private Builder(String type, long timeMs, String node) {
      this.type = type;
      this.timeMs = timeMs;
      this.node = node;
    }

    public Builder session(String sessionId, String subject, String policy, int policyVersion) {
      this.sessionId = sessionId;
      this.subject = subject;
      this.policy = policy;
      this.policyVersion = policyVersion;
      return this;
    }

    public Builder put(String key, Object value) {
      data.put(key, value);
      return this;
    }

    public Builder putTime(String key, long epochMs) {
      data.put(key, Times.format(epochMs));
      return this;
    }

    public AuditRecord build() {
      return new AuditRecord(this);
    }
  }
}

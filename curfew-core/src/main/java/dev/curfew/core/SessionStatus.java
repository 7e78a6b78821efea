package dev.curfew.core;

import dev.curfew.core.audit.Times;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the API says of a session at one instant: the status body of spec/http-api.md. Immutable.
 * {@code expires_at} is the earlier of the two deadlines. {@code resumedFrom}: the idle-expired
 * session this one continues ({@link Resumption}); null: none.
 */
public record SessionStatus(
    String sessionId,
    String subject,
    String policy,
    int policyVersion,
    long createdAtMs,
    long lastActivityAtMs,
    long idleExpiresAtMs,
    long absoluteExpiresAtMs,
    long warningAtMs,
    int extensionsUsed,
    int extensionsLeft,
    long serverTimeMs,
    EndReason endReason,
    long endedAtMs,
    Map<String, Object> attributes,
    Audience audience,
    String resumedFrom) {

  /** A session that continues none. */
  public SessionStatus(String sessionId, String subject, String policy, int policyVersion, long createdAtMs,
      long lastActivityAtMs, long idleExpiresAtMs, long absoluteExpiresAtMs, long warningAtMs, int extensionsUsed,
      int extensionsLeft, long serverTimeMs, EndReason endReason, long endedAtMs, Map<String, Object> attributes,
      Audience audience) {
    this(sessionId, subject, policy, policyVersion, createdAtMs, lastActivityAtMs, idleExpiresAtMs, absoluteExpiresAtMs,
        warningAtMs, extensionsUsed, extensionsLeft, serverTimeMs, endReason, endedAtMs, attributes, audience, null);
  }

  public long expiresAtMs() {
    return Math.min(idleExpiresAtMs, absoluteExpiresAtMs);
  }

  public boolean ended() {
    return endReason != null;
  }

  /** The status body, snake_case, times as RFC 3339 strings, in the contract's order. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("session_id", sessionId);
    m.put("subject", subject);
    m.put("policy", policy);
    m.put("policy_version", policyVersion);
    m.put("created_at", Times.format(createdAtMs));
    m.put("last_activity_at", Times.format(lastActivityAtMs));
    m.put("idle_expires_at", Times.format(idleExpiresAtMs));
    m.put("absolute_expires_at", Times.format(absoluteExpiresAtMs));
    m.put("expires_at", Times.format(expiresAtMs()));
    m.put("warning_at", Times.format(warningAtMs));
    m.put("extensions_used", extensionsUsed);
    m.put("extensions_left", extensionsLeft);
    m.put("server_time", Times.format(serverTimeMs));
    m.put("audience", audience.toList());
    if (resumedFrom != null) m.put("resumed_from", resumedFrom);
    String parent = SessionAttributes.parentOf(attributes);
    if (parent != null) m.put("parent_session_id", parent);
    if (endReason != null) {
      m.put("ended_reason", endReason.wire());
      m.put("ended_at", Times.format(endedAtMs));
    }
    return m;
  }
}

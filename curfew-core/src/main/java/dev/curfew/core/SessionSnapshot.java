package dev.curfew.core;

import dev.curfew.core.audit.CanonicalJson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything needed to bring one session back after a restart, as a value: what snapshots hold
 * and what {@link Replay} rebuilds from the log. Token hashes are here (recovery needs them);
 * snapshots are therefore private files, never audit records.
 */
public record SessionSnapshot(
    String sessionId,
    String subject,
    Policy policy,
    long createdAtMs,
    Map<String, Object> attributes,
    TokenHash tokenHash,
    TokenHash previousTokenHash,
    long tokenIssuedAtMs,
    long lastActivityAtMs,
    long idleExpiresAtMs,
    long absoluteExpiresAtMs,
    int extensionsUsed,
    long warnedForMs,
    EndReason endReason,
    long endedAtMs,
    Audience audience,
    long acknowledgedForMs,
    String resumedFrom,
    String resumedBy) {

  static SessionSnapshot of(Session s) {
    return new SessionSnapshot(s.id(), s.subject, s.policy, s.createdAtMs,
        s.attributes, s.tokenHash(), s.previousTokenHash(), s.tokenIssuedAtMs, s.lastActivityAtMs,
        s.idleExpiresAtMs, s.absoluteExpiresAtMs, s.extensionsUsed, s.warnedForMs, s.endReason, s.endedAtMs(),
        s.audience, s.acknowledgedForMs(), s.resumedFrom(), s.resumedBy());
  }

  /**
   * The session, under the registry's copy of its policy version when the values agree, else
   * under the values it was opened with (the configuration may have changed while it was down).
   */
  Session toSession(Policies policies) {
    Policy p = policies.version(policy.name(), policy.version()).filter(policy::equals).orElse(policy);
    Session s = new Session(sessionId, subject, p, createdAtMs, attributes == null ? Map.of() : attributes,
        audience == null ? Audience.NOWHERE : audience);
    if (tokenHash != null) s.setToken(tokenHash);
    // Neither the grace nor the sealed token outlives a restart: the previous token is a replay now.
    s.previous = previousTokenHash == null ? null : new Session.PreviousToken(previousTokenHash, Long.MIN_VALUE, null);
    s.tokenIssuedAtMs = tokenIssuedAtMs;
    s.lastActivityAtMs = lastActivityAtMs;
    s.idleExpiresAtMs = idleExpiresAtMs;
    s.absoluteExpiresAtMs = absoluteExpiresAtMs;
    s.extensionsUsed = extensionsUsed;
    s.warnedForMs = warnedForMs;
    s.acknowledgedForMs(acknowledgedForMs);
    s.endReason = endReason;
    s.endedAtMs(endedAtMs);
    s.resumedFrom(resumedFrom);
    s.resumedBy(resumedBy);
    return s;
  }

  public boolean ended() {
    return endReason != null;
  }

  /**
   * As a JSON object for a snapshot file (times as epoch ms: this file is for machines): the
   * definition of the format, which {@link #fromMap} reads back and {@link #writeCanonical} writes
   * without building the map (snapshots use that one; the test holds the two to the same text).
   */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("session_id", sessionId);
    m.put("subject", subject);
    m.put("policy", policy.name());
    m.put("policy_version", (long) policy.version());
    m.put("idle_timeout_ms", policy.idleTimeoutMs());
    m.put("absolute_timeout_ms", policy.absoluteTimeoutMs());
    m.put("warn_before_ms", policy.warnBeforeMs());
    m.put("max_extensions", (long) policy.maxExtensions());
    m.put("renew_every_ms", policy.renewEvery() == null ? null : policy.renewEvery().toMillis());
    m.put("created_at_ms", createdAtMs);
    m.put("attributes", attributes);
    m.put("token_sha256", tokenHash == null ? null : tokenHash.toHex());
    m.put("previous_token_sha256", previousTokenHash == null ? null : previousTokenHash.toHex());
    m.put("token_issued_at_ms", tokenIssuedAtMs);
    m.put("last_activity_at_ms", lastActivityAtMs);
    m.put("idle_expires_at_ms", idleExpiresAtMs);
    m.put("absolute_expires_at_ms", absoluteExpiresAtMs);
    m.put("extensions_used", (long) extensionsUsed);
    m.put("warned_for_ms", warnedForMs == Long.MIN_VALUE ? null : warnedForMs);
    m.put("end_reason", endReason == null ? null : endReason.wire());
    m.put("ended_at_ms", endedAtMs);
    m.put("audience", audience == null ? List.of() : audience.toList());
    m.put("acknowledged_for_ms", acknowledgedForMs == Long.MIN_VALUE ? null : acknowledgedForMs);
    m.put("resume_within_ms", policy.resumeWithin() == null ? null : policy.resumeWithinMs());
    m.put("resumed_from", resumedFrom);
    m.put("resumed_by", resumedBy);
    return m;
  }

  /**
   * Appends {@code CanonicalJson.write(toMap())} to {@code out} without building the map: the keys
   * are written in their canonical (sorted) order by hand. A snapshot writes one per session, a
   * million of them every {@code snapshot_interval} on a large node.
   */
  public void writeCanonical(StringBuilder out) {
    out.append("{\"absolute_expires_at_ms\":");
    CanonicalJson.writeLong(absoluteExpiresAtMs, out);
    out.append(",\"absolute_timeout_ms\":");
    CanonicalJson.writeLong(policy.absoluteTimeoutMs(), out);
    out.append(",\"acknowledged_for_ms\":");
    longOrNull(acknowledgedForMs, out);
    out.append(",\"attributes\":");
    CanonicalJson.write(attributes, out);
    out.append(",\"audience\":");
    CanonicalJson.write(audience == null ? List.of() : audience.toList(), out);
    out.append(",\"created_at_ms\":");
    CanonicalJson.writeLong(createdAtMs, out);
    out.append(",\"end_reason\":");
    CanonicalJson.write(endReason == null ? null : endReason.wire(), out);
    out.append(",\"ended_at_ms\":");
    CanonicalJson.writeLong(endedAtMs, out);
    out.append(",\"extensions_used\":");
    CanonicalJson.writeLong(extensionsUsed, out);
    out.append(",\"idle_expires_at_ms\":");
    CanonicalJson.writeLong(idleExpiresAtMs, out);
    out.append(",\"idle_timeout_ms\":");
    CanonicalJson.writeLong(policy.idleTimeoutMs(), out);
    out.append(",\"last_activity_at_ms\":");
    CanonicalJson.writeLong(lastActivityAtMs, out);
    out.append(",\"max_extensions\":");
    CanonicalJson.writeLong(policy.maxExtensions(), out);
    out.append(",\"policy\":");
    CanonicalJson.write(policy.name(), out);
    out.append(",\"policy_version\":");
    CanonicalJson.writeLong(policy.version(), out);
    out.append(",\"previous_token_sha256\":");
    CanonicalJson.write(previousTokenHash == null ? null : previousTokenHash.toHex(), out);
    out.append(",\"renew_every_ms\":");
    longOrNull(policy.renewEvery() == null ? Long.MIN_VALUE : policy.renewEvery().toMillis(), out);
    out.append(",\"resume_within_ms\":");
    longOrNull(policy.resumeWithin() == null ? Long.MIN_VALUE : policy.resumeWithinMs(), out);
    out.append(",\"resumed_by\":");
    CanonicalJson.write(resumedBy, out);
    out.append(",\"resumed_from\":");
    CanonicalJson.write(resumedFrom, out);
    out.append(",\"session_id\":");
    CanonicalJson.write(sessionId, out);
    out.append(",\"subject\":");
    CanonicalJson.write(subject, out);
    out.append(",\"token_issued_at_ms\":");
    CanonicalJson.writeLong(tokenIssuedAtMs, out);
    out.append(",\"token_sha256\":");
    CanonicalJson.write(tokenHash == null ? null : tokenHash.toHex(), out);
    out.append(",\"warn_before_ms\":");
    CanonicalJson.writeLong(policy.warnBeforeMs(), out);
    out.append(",\"warned_for_ms\":");
    longOrNull(warnedForMs, out);
    out.append('}');
  }

  /** {@code ms}, or null for MIN_VALUE (none), as {@link #toMap} maps them. */
  private static void longOrNull(long ms, StringBuilder out) {
    if (ms == Long.MIN_VALUE) {
      out.append("null");
    } else {
      CanonicalJson.writeLong(ms, out);
    }
  }

  @SuppressWarnings("unchecked")
  public static SessionSnapshot fromMap(Map<String, Object> m) {
    String token = (String) m.get("token_sha256");
    String prev = (String) m.get("previous_token_sha256");
    Object warned = m.get("warned_for_ms");
    Object acknowledged = m.get("acknowledged_for_ms");
    String end = (String) m.get("end_reason");
    return new SessionSnapshot(
        (String) m.get("session_id"), (String) m.get("subject"), policyFrom(m),
        ((Number) m.get("created_at_ms")).longValue(),
        (Map<String, Object>) m.get("attributes"),
        token == null ? null : TokenHash.fromHex(token), prev == null ? null : TokenHash.fromHex(prev),
        ((Number) m.get("token_issued_at_ms")).longValue(), ((Number) m.get("last_activity_at_ms")).longValue(),
        ((Number) m.get("idle_expires_at_ms")).longValue(), ((Number) m.get("absolute_expires_at_ms")).longValue(),
        ((Number) m.get("extensions_used")).intValue(),
        warned == null ? Long.MIN_VALUE : ((Number) warned).longValue(),
        end == null ? null : EndReason.fromWire(end), ((Number) m.get("ended_at_ms")).longValue(),
        // A snapshot written before audiences existed: the session passes no enforcement point.
        Audience.fromStored(m.get("audience")),
        acknowledged == null ? Long.MIN_VALUE : ((Number) acknowledged).longValue(),
        (String) m.get("resumed_from"), (String) m.get("resumed_by"));
  }

  /** The policy values stored beside a session: {@code policy}, {@code policy_version} and the {@code *_ms} fields. */
  static Policy policyFrom(Map<String, Object> m) {
    Object renew = m.get("renew_every_ms");
    Object resume = m.get("resume_within_ms");
    return new Policy((String) m.get("policy"), ((Number) m.get("policy_version")).intValue(),
        java.time.Duration.ofMillis(((Number) m.get("idle_timeout_ms")).longValue()),
        java.time.Duration.ofMillis(((Number) m.get("absolute_timeout_ms")).longValue()),
        java.time.Duration.ofMillis(((Number) m.get("warn_before_ms")).longValue()),
        ((Number) m.get("max_extensions")).intValue(),
        renew == null ? null : java.time.Duration.ofMillis(((Number) renew).longValue()),
        m.get("comply_with") instanceof java.util.List ? stringList((java.util.List<?>) m.get("comply_with")) : null,
        ConcurrencyLimit.NONE, resume == null ? null : java.time.Duration.ofMillis(((Number) resume).longValue()));
  }

  private static java.util.List<String> stringList(java.util.List<?> list) {
    java.util.List<String> out = new java.util.ArrayList<>();
    for (Object o : list) out.add(String.valueOf(o));
    return out;
  }
}

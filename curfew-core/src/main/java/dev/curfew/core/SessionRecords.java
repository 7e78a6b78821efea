package dev.curfew.core;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Every audit record of a session's life, built in one place for every store (spec/audit.md): a
 * store decides what happened and when, on its own clock, and builds the record here, so that the
 * same event gives the same record whichever store or node writes it.
 *
 * <p>Each method takes the record's time ({@code nowMs}) and, for a session's records, {@link
 * About}: the session's id, subject and the policy version it runs under.
 */
public final class SessionRecords {
  private final String node;

  /** @param node the node that writes the records */
  public SessionRecords(String node) {
    this.node = Objects.requireNonNull(node, "node");
  }

  public String node() {
    return node;
  }

  /** Whom a session's record is about: the common fields of spec/audit.md. */
  public record About(String sessionId, String subject, String policy, int policyVersion) {
    public About {
      Objects.requireNonNull(sessionId, "sessionId");
    }
  }

  private AuditRecord.Builder on(String type, About s, long nowMs) {
    return AuditRecord.builder(type, nowMs, node).session(s.sessionId(), s.subject(), s.policy(), s.policyVersion());
  }

  private AuditRecord.Builder bare(String type, long nowMs) {
    return AuditRecord.builder(type, nowMs, node);
  }

  private static AuditRecord.Builder putAll(AuditRecord.Builder b, Map<String, Object> data) {
    Objects.requireNonNull(data, "data");
    data.forEach(b::put);
    return b;
  }

  // ---------------------------------------------------------------- opening

  /**
   * {@code session.created}: the values the session runs under, its first deadlines, the caller's
   * attributes, who opened it, where it may be used, and the session it was minted from, if any.
   *
   * @param resumedFrom the idle-expired session it continues ({@link Resumption}); null: none
   */
  public AuditRecord created(About s, long nowMs, Policy policy, long idleExpiresAtMs, long absoluteExpiresAtMs,
      Map<String, Object> attributes, String actor, Audience audience, String resumedFrom) {
    AuditRecord.Builder b = on(RecordTypes.SESSION_CREATED, s, nowMs);
    effectiveValues(b, policy);
    b.putTime("idle_expires_at", idleExpiresAtMs)
        .putTime("absolute_expires_at", absoluteExpiresAtMs)
        .put("attributes", SessionAttributes.callers(attributes))
        .put("actor", actor)
        .put("audience", audience.toList());
    String parent = SessionAttributes.parentOf(attributes);
    if (parent != null) b.put("parent_session_id", parent);
    if (resumedFrom != null) b.put("resumed_from", resumedFrom);
    return b.build();
  }

  /** {@code session.resumed}, on the idle-expired session that {@code resumedBy} continues. */
  public AuditRecord resumed(About old, long nowMs, String resumedBy, long idleExpiresAtMs, String actor) {
    return on(RecordTypes.RESUMED, old, nowMs)
        .put("resumed_by", resumedBy)
        .putTime("expired_at", idleExpiresAtMs)
        .put("actor", actor)
        .build();
  }

  /**
   * {@code session.refused} of an opening refused by the subject's concurrency limit: under the id
   * the session would have had, which names no session that ever lived.
   */
  public AuditRecord openingRefused(About s, long nowMs, ConcurrencyLimit limit, List<Object> liveSessionIds,
      String actor, Audience audience) {
    return on(RecordTypes.REFUSED, s, nowMs)
        .put("reason", EndReason.CONCURRENCY_LIMIT.wire())
        .put("max_sessions_per_subject", (long) limit.maxSessionsPerSubject())
        .put("limit_scope", limit.scope().wire())
        .put("live_sessions", List.copyOf(liveSessionIds))
        .put("actor", actor)
        .put("audience", audience.toList())
        .build();
  }

  // ---------------------------------------------------------------- a live session

  /** {@code session.rotated}: the token was renewed ({@code renew_every}). */
  public AuditRecord rotated(About s, long nowMs) {
    return on(RecordTypes.ROTATED, s, nowMs).putTime("renewed_at", nowMs).build();
  }

  /** {@code session.extended}. */
  public AuditRecord extended(About s, long nowMs, long previousExpiresAtMs, long expiresAtMs, int extensionsUsed,
      long idleExpiresAtMs) {
    return on(RecordTypes.EXTENDED, s, nowMs)
        .putTime("previous_expires_at", previousExpiresAtMs)
        .putTime("expires_at", expiresAtMs)
        .put("extensions_used", (long) extensionsUsed)
        .putTime("idle_expires_at", idleExpiresAtMs)
        .build();
  }

  /** {@code session.extension_refused}, with the refusals held back since the last one ({@link Refusals}). */
  public AuditRecord extensionRefused(About s, long nowMs, String why, long repeats) {
    return on(RecordTypes.EXTENSION_REFUSED, s, nowMs).put("why", why).put("repeats", repeats).build();
  }

  /** {@code session.warning_sent}: its lead is the time left at {@code nowMs}. */
  public AuditRecord warningSent(About s, long nowMs, long expiresAtMs, long deliveredTo) {
    return on(RecordTypes.WARNING_SENT, s, nowMs)
        .putTime("expires_at", expiresAtMs)
        .put("lead_ms", expiresAtMs - nowMs)
        .put("delivered_to", deliveredTo)
        .build();
  }

  /** {@code session.warning_acknowledged}, of the warning sent for {@code expiresAtMs}. */
  public AuditRecord warningAcknowledged(About s, long nowMs, long expiresAtMs) {
    return on(RecordTypes.WARNING_ACKNOWLEDGED, s, nowMs).putTime("expires_at", expiresAtMs).build();
  }

  /**
   * {@code session.refused}: an ended session's token presented again (reason: the end reason),
   * a live one outside its audience ({@link Decision#WRONG_AUDIENCE_REASON}, with {@code usedAt}),
   * or an acknowledgement refused ({@link Refusals}); with the refusals held back since the last one.
   *
   * @param usedAt where it was presented (null: not an audience refusal)
   */
  public AuditRecord refused(About s, long nowMs, String reason, long repeats, Audience usedAt) {
    AuditRecord.Builder b = on(RecordTypes.REFUSED, s, nowMs).put("reason", reason).put("repeats", repeats);
    if (usedAt != null) b.put("used_at", usedAt.toList());
    return b.build();
  }

  /**
   * {@code session.policy_applied}: a new policy version moved the session's deadlines; {@code
   * effective} is what it runs under from now on (what recovery restores).
   */
  public AuditRecord policyApplied(About s, long nowMs, long previousExpiresAtMs, long idleExpiresAtMs,
      long absoluteExpiresAtMs, Policy effective) {
    AuditRecord.Builder b = on(RecordTypes.POLICY_APPLIED, s, nowMs)
        .putTime("previous_expires_at", previousExpiresAtMs)
        .putTime("expires_at", Deadlines.expiresAt(idleExpiresAtMs, absoluteExpiresAtMs))
        .putTime("idle_expires_at", idleExpiresAtMs)
        .putTime("absolute_expires_at", absoluteExpiresAtMs);
    effectiveValues(b, effective);
    return b.build();
  }

  // ---------------------------------------------------------------- endings

  /** {@code session.expired}: a deadline passed, found at {@code nowMs} by {@code detectedBy} ({@code timer}, {@code request}, {@code recovery}). */
  public AuditRecord expired(About s, long nowMs, EndReason reason, long deadlineMs, long lastActivityAtMs,
      String detectedBy) {
    if (reason != EndReason.IDLE_TIMEOUT && reason != EndReason.ABSOLUTE_TIMEOUT) {
      throw new IllegalArgumentException("not a timeout: " + reason);
    }
    return on(RecordTypes.EXPIRED, s, nowMs)
        .put("reason", reason.wire())
        .putTime("deadline", deadlineMs)
        .putTime("detected_at", nowMs)
        .put("lateness_ms", nowMs - deadlineMs)
        .putTime("last_activity_at", lastActivityAtMs)
        .put("detected_by", detectedBy)
        .build();
  }

  /**
   * {@code session.revoked} by someone ({@link EndReason#REVOKED}: an operator or API key; {@link
   * EndReason#IDP_LOGOUT}: an identity provider's logout).
   *
   * @param actor null: {@code unknown}
   * @param reasonText null: empty
   */
  public AuditRecord revoked(About s, long nowMs, EndReason reason, String actor, String reasonText) {
    return on(RecordTypes.REVOKED, s, nowMs)
        .put("actor", actor == null || actor.isEmpty() ? "unknown" : actor)
        .put("reason", reason.wire())
        .put("reason_text", reasonText == null ? "" : reasonText)
        .build();
  }

  /** {@code session.revoked} of a session whose rotated-out token came back after its grace. */
  public AuditRecord replayed(About s, long nowMs) {
    return revoked(s, nowMs, EndReason.REPLAYED, EndReason.CURFEW_ACTOR, EndReason.REPLAYED_TEXT);
  }

  /**
   * {@code session.revoked} of a session displaced by a newer one of its subject ({@link
   * EndReason#CONCURRENCY_LIMIT}), with the limit's sentence ({@link ConcurrencyLimit#displacement}).
   */
  public AuditRecord displaced(About s, long nowMs, String reasonText, String displacedBy) {
    return on(RecordTypes.REVOKED, s, nowMs)
        .put("actor", EndReason.CURFEW_ACTOR)
        .put("reason", EndReason.CONCURRENCY_LIMIT.wire())
        .put("reason_text", reasonText)
        .put("displaced_by", displacedBy)
        .build();
  }

  /** {@code session.logged_out}. */
  public AuditRecord loggedOut(About s, long nowMs) {
    return on(RecordTypes.LOGGED_OUT, s, nowMs).build();
  }

  // ---------------------------------------------------------------- what edges report

  /** {@code session.notified}: an app was told (or could not be told) that the session ended. */
  public AuditRecord notified(About s, long nowMs, Map<String, Object> data) {
    return putAll(on(RecordTypes.NOTIFIED, s, nowMs), data).build();
  }

  /**
   * What a protocol gateway saw ({@link RecordTypes#GATEWAY_EVENTS}), under the session when it is
   * known (null: a record without session fields).
   */
  public AuditRecord gatewayEvent(About s, long nowMs, String type, Map<String, Object> data) {
    requireGatewayType(type);
    return putAll(s == null ? bare(type, nowMs) : on(type, s, nowMs), data).build();
  }

  /** Throws IllegalArgumentException unless {@code type} is one a gateway may append. */
  public static void requireGatewayType(String type) {
    if (!RecordTypes.GATEWAY_EVENTS.contains(type)) {
      throw new IllegalArgumentException("not a gateway record type: " + type);
    }
  }

  /** {@code idp.logout} accepted: the logout's own data, and the sessions it ended. */
  public AuditRecord idpLogoutAccepted(long nowMs, IdpLogout logout, List<Object> endedSessionIds) {
    Map<String, Object> data = logout.auditData();
    data.put("outcome", "accepted");
    data.put("ended", (long) endedSessionIds.size());
    data.put("session_ids", List.copyOf(endedSessionIds));
    return putAll(bare(RecordTypes.IDP_LOGOUT, nowMs), data).build();
  }

  /** {@code idp.logout} refused: a logout token that was not accepted, with why. */
  public AuditRecord idpLogoutRefused(long nowMs, Map<String, Object> data) {
    return putAll(bare(RecordTypes.IDP_LOGOUT, nowMs), data).put("outcome", "refused").build();
  }

  /** {@code audit.read}: who read which part of the trail. */
  public AuditRecord auditRead(long nowMs, Map<String, Object> data) {
    return putAll(bare(RecordTypes.AUDIT_READ, nowMs), data).build();
  }

  // ---------------------------------------------------------------- policies

  /** {@code policy.changed}: the new version's values and who changed it (null: {@code unknown}). */
  public AuditRecord policyChanged(long nowMs, Policy stored, String actor) {
    Map<String, Object> data = policyData(stored);
    data.put("actor", actor == null ? "unknown" : actor);
    return putAll(bare(RecordTypes.POLICY_CHANGED, nowMs), data).build();
  }

  /** A policy's values as audit data: {@code name}, {@code version} and the {@code *_ms} fields. */
  public static Map<String, Object> policyData(Policy p) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", p.name());
    m.put("version", (long) p.version());
    m.put("idle_timeout_ms", p.idleTimeoutMs());
    m.put("absolute_timeout_ms", p.absoluteTimeoutMs());
    m.put("warn_before_ms", p.warnBeforeMs());
    m.put("max_extensions", (long) p.maxExtensions());
    if (p.renewEvery() != null) m.put("renew_every_ms", p.renewEvery().toMillis());
    if (p.resumeWithin() != null) m.put("resume_within_ms", p.resumeWithinMs());
    m.put("comply_with", new ArrayList<Object>(p.complyWith()));
    p.concurrency().putFields(m);
    return m;
  }

  /** The values a session runs under, as {@code session.created} and {@code session.policy_applied} record them. */
  private static void effectiveValues(AuditRecord.Builder b, Policy p) {
    b.put("idle_timeout_ms", p.idleTimeoutMs())
        .put("absolute_timeout_ms", p.absoluteTimeoutMs())
        .put("warn_before_ms", p.warnBeforeMs())
        .put("max_extensions", (long) p.maxExtensions());
    if (p.renewEvery() != null) b.put("renew_every_ms", p.renewEvery().toMillis());
    if (p.resumeWithin() != null) b.put("resume_within_ms", p.resumeWithinMs());
  }
}

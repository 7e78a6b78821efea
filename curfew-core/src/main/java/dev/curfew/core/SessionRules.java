package dev.curfew.core;

import dev.curfew.core.audit.AuditRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What every {@link SessionStore} holds a session to, apart from any store: the limits on what an
 * opening may carry, the checks made before any I/O, the words of refusals, and the parts of audit
 * records that every store writes alike. Edges (the API, the console, the gateways) read the limits
 * from here, never from a store's implementation.
 */
public final class SessionRules {
  /** The longest subject. */
  public static final int MAX_SUBJECT_LENGTH = 256;
  /** Most attributes a session may carry ({@link SessionAttributes}). */
  public static final int MAX_ATTRIBUTES = SessionAttributes.MAX_ATTRIBUTES;
  /** How long an ended session is remembered by default, so that its token is refused with a reason. */
  public static final long DEFAULT_ENDED_RETENTION_MS = 24 * 3_600_000L;
  /** The actor of sessions the embedding program opens itself. */
  public static final String LOCAL_ACTOR = "local";
  /** The actor of a session ended by the subject's concurrency limit: Curfew itself, on the policy's word. */
  public static final String DISPLACING_ACTOR = "curfew";
  /** Why a warning cannot be acknowledged: none was sent yet. */
  public static final String NO_WARNING_SENT = "no warning was sent for this session yet";
  /** Why a warning cannot be acknowledged: the last one was already. */
  public static final String WARNING_ALREADY_ACKNOWLEDGED = "the last warning was acknowledged already";

  private SessionRules() {}

  /** A subject every store accepts: 1 to {@value #MAX_SUBJECT_LENGTH} characters, not blank. */
  public static void checkSubject(String subject) {
    if (subject == null || subject.isBlank() || subject.length() > MAX_SUBJECT_LENGTH) {
      throw new IllegalArgumentException("subject must be 1-" + MAX_SUBJECT_LENGTH + " characters");
    }
  }

  /** What every store checks of a new session's audience and actor before any I/O. */
  public static void checkOpening(Audience audience, String actor) {
    Objects.requireNonNull(audience, "audience");
    if (audience.isEmpty()) throw new IllegalArgumentException("audience must name at least one place");
    if (actor == null || actor.isBlank() || actor.length() > 300) {
      throw new IllegalArgumentException("actor must be 1-300 characters");
    }
  }

  /**
   * The data of the {@code session.refused} record of an opening refused by the subject's limit
   * (the same in every store): the refused session's id names no session that ever lived.
   */
  public static AuditRecord concurrencyRefused(AuditRecord.Builder b, ConcurrencyLimit limit, List<Object> liveIds,
      String actor, Audience audience) {
    return b.put("reason", EndReason.CONCURRENCY_LIMIT.wire())
        .put("max_sessions_per_subject", (long) limit.maxSessionsPerSubject())
        .put("limit_scope", limit.scope().wire())
        .put("live_sessions", List.copyOf(liveIds))
        .put("actor", actor)
        .put("audience", audience.toList())
        .build();
  }

  /** The {@code session.revoked} record of a session displaced by {@code displacedBy} (the same in every store). */
  public static AuditRecord displacedRecord(AuditRecord.Builder b, String reasonText, String displacedBy) {
    return b.put("actor", DISPLACING_ACTOR)
        .put("reason", EndReason.CONCURRENCY_LIMIT.wire())
        .put("reason_text", reasonText)
        .put("displaced_by", displacedBy)
        .build();
  }

  /** The data of an accepted logout's {@code idp.logout} record (the same in every store). */
  public static Map<String, Object> idpAccepted(IdpLogout logout, List<Object> endedSessionIds) {
    Map<String, Object> data = logout.auditData();
    data.put("outcome", "accepted");
    data.put("ended", (long) endedSessionIds.size());
    data.put("session_ids", List.copyOf(endedSessionIds));
    return data;
  }

  /** The values a session runs under, as {@code session.policy_applied} records them (what recovery restores). */
  public static void effectiveValues(AuditRecord.Builder b, Policy p) {
    b.put("idle_timeout_ms", p.idleTimeoutMs())
        .put("absolute_timeout_ms", p.absoluteTimeoutMs())
        .put("warn_before_ms", p.warnBeforeMs())
        .put("max_extensions", (long) p.maxExtensions());
    if (p.renewEvery() != null) b.put("renew_every_ms", p.renewEvery().toMillis());
    if (p.resumeWithin() != null) b.put("resume_within_ms", p.resumeWithinMs());
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
}

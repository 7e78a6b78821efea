package dev.curfew.core;

import dev.curfew.core.schedule.Timer;
import java.util.Map;

/**
 * The mutable state of one session, owned by {@link SessionEngine}: every field is read and written
 * under the session's own monitor. It is also its own timer node in the deadline scheduler, so a
 * live session costs one object, not two.
 */
final class Session extends Timer {
  /** The id as two longs; {@link #id()} gives the string form. */
  final SessionId key;
  final String subject;
  final long createdAtMs;
  final Map<String, Object> attributes;
  /** Where the session may be used; fixed at creation. */
  final Audience audience;

  Policy policy;
  /** The order this engine opened it in (0: restored): ties of {@link #createdAtMs} for the concurrency limit. */
  long openedSeq;
  TokenHash tokenHash;
  TokenHash previousTokenHash;
  long tokenIssuedAtMs;
  /**
   * Until when the previous token is still honoured after a rotation ({@link RotationGrace}), and
   * the current token sealed under it ({@link SealedToken}); neither outlives a restart.
   */
  long previousGraceUntilMs = Long.MIN_VALUE;
  String sealedForPrevious;
  long lastActivityAtMs;
  long idleExpiresAtMs;
  long absoluteExpiresAtMs;
  int extensionsUsed;
  /** The {@code expires_at} that the last warning was sent for; MIN_VALUE: none yet. */
  long warnedForMs = Long.MIN_VALUE;
  /** The {@code expires_at} of the warning the holder last acknowledged; MIN_VALUE: none. */
  long acknowledgedForMs = Long.MIN_VALUE;

  EndReason endReason;
  long endedAtMs;
  /**
   * When the last refusal record ({@code session.refused}, {@code session.extension_refused}) was
   * written, and how many refusals were held back since: at most one such record per session per
   * second (spec/audit.md), so that a holder cannot grow the trail by asking again and again.
   */
  long lastRefusedRecordMs = Long.MIN_VALUE;
  int refusedRepeats;
  /** The idle-expired session this one continues ({@link Resumption}); null: none. Set at opening. */
  String resumedFrom;
  /** The session that continued this idle-expired one; null: none yet. */
  String resumedBy;

  Session(String id, String subject, Policy policy, long createdAtMs, Map<String, Object> attributes,
      Audience audience) {
    this.key = java.util.Objects.requireNonNull(SessionId.parse(id), "malformed session id");
    this.subject = subject;
    this.policy = policy;
    this.createdAtMs = createdAtMs;
    this.attributes = attributes;
    this.audience = java.util.Objects.requireNonNull(audience, "audience");
  }

  /**
   * Whether a refusal may be recorded now; if not, it is counted. The caller writes the record
   * (with {@link #takeRepeats()}) when this answers true.
   */
  boolean refusalRecordDue(long nowMs) {
    if (lastRefusedRecordMs == Long.MIN_VALUE || nowMs - lastRefusedRecordMs >= 1000) {
      lastRefusedRecordMs = nowMs;
      return true;
    }
    refusedRepeats++;
    return false;
  }

  /** The refusals held back since the last record, reset to zero. */
  long takeRepeats() {
    long n = refusedRepeats;
    refusedRepeats = 0;
    return n;
  }

  /** Whether a warning was sent that the holder has not acknowledged yet. */
  boolean warningUnacknowledged() {
    return warnedForMs != Long.MIN_VALUE && acknowledgedForMs != warnedForMs;
  }

  String id() {
    return key.toString();
  }

  boolean ended() {
    return endReason != null;
  }

  long expiresAtMs() {
    return Deadlines.expiresAt(idleExpiresAtMs, absoluteExpiresAtMs);
  }

  /** The reason the session ends at {@link #expiresAtMs()} ({@link Deadlines#timeoutReason}). */
  EndReason timeoutReason() {
    return Deadlines.timeoutReason(idleExpiresAtMs, absoluteExpiresAtMs);
  }

  long warningAtMs() {
    return Deadlines.warningAt(expiresAtMs(), policy.warnBeforeMs());
  }

  boolean warningDue() {
    return Deadlines.warningDue(expiresAtMs(), policy.warnBeforeMs(), warnedForMs);
  }

  /** The next instant the scheduler must look at this live session ({@link Deadlines#nextEventAt}). */
  long nextEventMs() {
    return Deadlines.nextEventAt(idleExpiresAtMs, absoluteExpiresAtMs, policy.warnBeforeMs(), warnedForMs);
  }

  /** Whom this session's audit records are about. */
  SessionRecords.About about() {
    return new SessionRecords.About(id(), subject, policy.name(), policy.version());
  }

  SessionStatus status(long nowMs) {
    return new SessionStatus(id(), subject, policy.name(), policy.version(), createdAtMs, lastActivityAtMs,
        idleExpiresAtMs, absoluteExpiresAtMs, warningAtMs(), extensionsUsed,
        Math.max(0, policy.maxExtensions() - extensionsUsed), nowMs, endReason, endedAtMs, attributes, audience, resumedFrom);
  }
}

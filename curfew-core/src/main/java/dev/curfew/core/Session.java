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

  Policy policy;
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

  EndReason endReason;
  long endedAtMs;
  /** When the last {@code session.refused} record was written, and how many were held back since. */
  long lastRefusedRecordMs = Long.MIN_VALUE;
  int refusedRepeats;

  Session(String id, String subject, Policy policy, long createdAtMs, Map<String, Object> attributes) {
    this.key = java.util.Objects.requireNonNull(SessionId.parse(id), "malformed session id");
    this.subject = subject;
    this.policy = policy;
    this.createdAtMs = createdAtMs;
    this.attributes = attributes;
  }

  String id() {
    return key.toString();
  }

  boolean ended() {
    return endReason != null;
  }

  long expiresAtMs() {
    return Math.min(idleExpiresAtMs, absoluteExpiresAtMs);
  }

  /** The reason the session ends at {@link #expiresAtMs()}; a tie goes to the absolute deadline. */
  EndReason timeoutReason() {
    return absoluteExpiresAtMs <= idleExpiresAtMs ? EndReason.ABSOLUTE_TIMEOUT : EndReason.IDLE_TIMEOUT;
  }

  long warningAtMs() {
    return expiresAtMs() - policy.warnBeforeMs();
  }

  boolean warningDue() {
    return policy.warnBeforeMs() > 0 && warnedForMs != expiresAtMs();
  }

  /** The next instant the scheduler must look at this live session. */
  long nextEventMs() {
    return warningDue() ? Math.min(warningAtMs(), expiresAtMs()) : expiresAtMs();
  }

  SessionStatus status(long nowMs) {
    return new SessionStatus(id(), subject, policy.name(), policy.version(), createdAtMs, lastActivityAtMs,
        idleExpiresAtMs, absoluteExpiresAtMs, warningAtMs(), extensionsUsed,
        Math.max(0, policy.maxExtensions() - extensionsUsed), nowMs, endReason, endedAtMs, attributes);
  }
}

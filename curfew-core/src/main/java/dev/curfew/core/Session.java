package dev.curfew.core;

import dev.curfew.core.schedule.Timer;
import java.util.Map;

/**
 * The mutable state of one session, owned by {@link SessionEngine}: every field is read and written
 * under the session's own monitor. It is also its own timer node in the deadline scheduler, so a
 * live session costs one object, not two.
 */
final class Session extends Timer {
  /** The id as two longs ({@link SessionId}); {@link #id()} gives the string form. */
  final long idHi;
  final long idLo;
  final String subject;
  final long createdAtMs;
  final Map<String, Object> attributes;
  /** Where the session may be used; fixed at creation. */
  final Audience audience;

  Policy policy;
  /**
   * The order this engine opened it in (0: restored): ties of {@link #createdAtMs} for the
   * concurrency limit, compared by {@link #openedBefore} so that wrapping past 2^31 does not matter
   * (two sessions opened in the same millisecond are never 2^31 openings apart).
   */
  int openedSeq;
  /**
   * The SHA-256 of the current token ({@link TokenHash}) as four words held inline, so that the
   * token index leads from a slot straight to the comparison; all four zero: none yet (a session
   * being rebuilt from the audit trail; a SHA-256 of zero is not a value a token has in practice). Written only by {@link SessionTable} while it
   * holds its write lock (and under this session's monitor once the session is in the table), so
   * the index may read them without this monitor as a hint; the decision is taken under it.
   */
  long tokA;
  long tokB;
  long tokC;
  long tokD;
  /** The token rotated out last, with its grace; null: never rotated (most sessions). */
  PreviousToken previous;
  long tokenIssuedAtMs;
  long lastActivityAtMs;
  long idleExpiresAtMs;
  long absoluteExpiresAtMs;
  int extensionsUsed;
  /** The {@code expires_at} that the last warning was sent for; MIN_VALUE: none yet. */
  long warnedForMs = Long.MIN_VALUE;

  EndReason endReason;
  /** What few live sessions need (an acknowledged warning, a refusal, a resumption) and an ended one; null: none yet. */
  private Rare rare;

  Session(String id, String subject, Policy policy, long createdAtMs, Map<String, Object> attributes,
      Audience audience) {
    SessionId key = java.util.Objects.requireNonNull(SessionId.parse(id), "malformed session id");
    this.idHi = key.hi();
    this.idLo = key.lo();
    this.subject = subject;
    this.policy = policy;
    this.createdAtMs = createdAtMs;
    this.attributes = attributes;
    this.audience = java.util.Objects.requireNonNull(audience, "audience");
  }

  /**
   * A token rotated out of a session: its hash, until when it is still honoured ({@link
   * RotationGrace}), and the current token sealed under it ({@link SealedToken}); neither of the
   * last two outlives a restart.
   */
  static final class PreviousToken {
    final TokenHash hash;
    final long graceUntilMs;
    String sealed;

    PreviousToken(TokenHash hash, long graceUntilMs, String sealed) {
      this.hash = hash;
      this.graceUntilMs = graceUntilMs;
      this.sealed = sealed;
    }
  }

  /** The current token's hash; null: none yet. */
  TokenHash tokenHash() {
    return hasToken() ? TokenHash.ofWords(tokA, tokB, tokC, tokD) : null;
  }

  /** Whether {@code h} is the current token's hash. */
  boolean tokenIs(TokenHash h) {
    return tokA == h.a() && tokB == h.b() && tokC == h.c() && tokD == h.d();
  }

  /** Sets the current token's hash; only {@link SessionTable} calls this once the session is in it. */
  void setToken(TokenHash h) {
    tokA = h.a();
    tokB = h.b();
    tokC = h.c();
    tokD = h.d();
  }

  boolean hasToken() {
    return (tokA | tokB | tokC | tokD) != 0;
  }

  /** Whether {@code a} was opened before {@code b} in the same millisecond ({@link #openedSeq}). */
  static int openedBefore(Session a, Session b) {
    return Integer.compare(a.openedSeq - b.openedSeq, 0);
  }

  /** The hash of the token rotated out last; null: none. */
  TokenHash previousTokenHash() {
    return previous == null ? null : previous.hash;
  }

  /** Until when the previous token is honoured; MIN_VALUE: no previous token in its grace. */
  long previousGraceUntilMs() {
    return previous == null ? Long.MIN_VALUE : previous.graceUntilMs;
  }

  /** The hash of the session's id, for spreading sessions over shards and index slots. */
  int idHash() {
    return SessionId.hash(idLo);
  }

  /** The fields most sessions never set, kept out of the session object until one is set. */
  private static final class Rare {
    /** When the session ended (with {@link Session#endReason}); 0: not ended. */
    long endedAtMs;
    /** The {@code expires_at} of the warning the holder last acknowledged; MIN_VALUE: none. */
    long acknowledgedForMs = Long.MIN_VALUE;
    /**
     * When the last refusal record ({@code session.refused}, {@code session.extension_refused}) was
     * written, and how many refusals were held back since: at most one such record per session per
     * second (spec/audit.md), so that a holder cannot grow the trail by asking again and again.
     */
    long lastRefusedRecordMs = Long.MIN_VALUE;
    int refusedRepeats;
    /**
     * The record of the last held-back refusal, given its time and the repeats before it: written
     * when the session is forgotten or the node stops, if no later refusal record counted them
     * ({@link SessionEngine}).
     */
    HeldBack heldBack;
    /** The idle-expired session this one continues ({@link Resumption}); null: none. Set at opening. */
    String resumedFrom;
    /** The session that continued this idle-expired one; null: none yet. */
    String resumedBy;
  }

  private Rare rare() {
    if (rare == null) rare = new Rare();
    return rare;
  }

  long endedAtMs() {
    return rare == null ? 0 : rare.endedAtMs;
  }

  void endedAtMs(long ms) {
    if (rare != null || ms != 0) rare().endedAtMs = ms;
  }

  long acknowledgedForMs() {
    return rare == null ? Long.MIN_VALUE : rare.acknowledgedForMs;
  }

  void acknowledgedForMs(long ms) {
    if (rare != null || ms != Long.MIN_VALUE) rare().acknowledgedForMs = ms;
  }

  String resumedFrom() {
    return rare == null ? null : rare.resumedFrom;
  }

  void resumedFrom(String id) {
    if (rare != null || id != null) rare().resumedFrom = id;
  }

  String resumedBy() {
    return rare == null ? null : rare.resumedBy;
  }

  void resumedBy(String id) {
    if (rare != null || id != null) rare().resumedBy = id;
  }

  /**
   * Whether a refusal may be recorded now; if not, it is counted. The caller writes the record
   * (with {@link #takeRepeats()}) when this answers true.
   */
  boolean refusalRecordDue(long nowMs) {
    Rare r = rare();
    if (r.lastRefusedRecordMs == Long.MIN_VALUE || nowMs - r.lastRefusedRecordMs >= 1000) {
      r.lastRefusedRecordMs = nowMs;
      return true;
    }
    r.refusedRepeats++;
    return false;
  }

  /** The refusals held back since the last record, reset to zero. */
  long takeRepeats() {
    if (rare == null) return 0;
    long n = rare.refusedRepeats;
    rare.refusedRepeats = 0;
    rare.heldBack = null;
    return n;
  }

  /** The record a held-back refusal would write at {@code atMs}, counting {@code repeats} before it. */
  interface HeldBack {
    dev.curfew.core.audit.AuditRecord record(long atMs, long repeats);
  }

  /** A refusal was held back ({@link #refusalRecordDue} said no): {@code record} is what it would have written. */
  void holdBack(HeldBack record) {
    rare().heldBack = record;
  }

  /**
   * The record of the refusals held back since the last one, written at {@code nowMs}: the last of
   * them, counting the others as its repeats; null when none is held back.
   */
  dev.curfew.core.audit.AuditRecord takeHeldBack(long nowMs) {
    if (rare == null || rare.heldBack == null || rare.refusedRepeats == 0) return null;
    dev.curfew.core.audit.AuditRecord record = rare.heldBack.record(nowMs, rare.refusedRepeats - 1);
    rare.refusedRepeats = 0;
    rare.heldBack = null;
    rare.lastRefusedRecordMs = nowMs;
    return record;
  }

  /** Whether a warning was sent that the holder has not acknowledged yet. */
  boolean warningUnacknowledged() {
    return warnedForMs != Long.MIN_VALUE && acknowledgedForMs() != warnedForMs;
  }

  String id() {
    return SessionId.format(idHi, idLo);
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
        Math.max(0, policy.maxExtensions() - extensionsUsed), nowMs, endReason, endedAtMs(), attributes, audience, resumedFrom());
  }
}

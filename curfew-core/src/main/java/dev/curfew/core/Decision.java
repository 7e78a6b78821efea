package dev.curfew.core;

import java.util.concurrent.CompletableFuture;

/**
 * The answer of one engine operation: allowed with the session's new status, or refused with a
 * reason. {@link #durable()} completes once the audit records the operation produced are on
 * stable storage; an API must not acknowledge a change before that.
 *
 * @param verdict what the edge should answer
 * @param status the session's status after the operation (null when there is no session to show)
 * @param reason why a token was refused ({@link Verdict#ENDED}), or the ended session's reason
 * @param detail a sentence for people (refusals)
 * @param token a token issued by this operation (open, rotation); it appears in this answer only
 * @param durable completes when the produced records are durable; fails when they could not be
 */
public record Decision(
    Verdict verdict,
    SessionStatus status,
    EndReason reason,
    String detail,
    String token,
    CompletableFuture<Void> durable) {

  /** What happened, in terms an edge maps to a response. */
  public enum Verdict {
    /** The operation was done (or the read answered); the session is valid. */
    ALLOWED,
    /** The token or session is not valid: {@link #reason()} says why (HTTP 401, or 410 by id). */
    ENDED,
    /** No session with that id was ever known here, or it is forgotten (HTTP 404). */
    NOT_FOUND,
    /** The session is valid but the policy forbids the operation (HTTP 409). */
    REFUSED,
    /**
     * The session is valid but may not be used here: the enforcement point is not in its audience
     * (HTTP 403, {@code reason: "wrong_audience"}). The session was not touched and lives on.
     */
    WRONG_AUDIENCE,
    /** The store or the audit log cannot be written: fail closed (HTTP 503). */
    UNAVAILABLE
  }

  static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  public boolean allowed() {
    return verdict == Verdict.ALLOWED;
  }

  // ---------------------------------------------------------------- factories, for every store

  /** Done, the session valid: its status after the operation. */
  public static Decision allowed(SessionStatus status, CompletableFuture<Void> durable) {
    return new Decision(Verdict.ALLOWED, status, null, null, null, durable);
  }

  /** Done, and a token issued (an opening, a rotation): the token appears in this answer only. */
  public static Decision issued(SessionStatus status, String token, CompletableFuture<Void> durable) {
    return new Decision(Verdict.ALLOWED, status, null, null, token, durable);
  }

  /** The session has ended (or the token was never issued: {@link EndReason#UNKNOWN}); status may be null. */
  public static Decision ended(EndReason reason, SessionStatus status, CompletableFuture<Void> durable) {
    return new Decision(Verdict.ENDED, status, reason, null, null, durable);
  }

  /** No session with that id is known (any more). */
  public static Decision notFound() {
    return new Decision(Verdict.NOT_FOUND, null, null, null, null, DONE);
  }

  /**
   * The policy forbids the operation: {@code detail} says why in a sentence; {@code reason} names
   * the rule when there is one ({@link EndReason#CONCURRENCY_LIMIT}); status null when no session opened.
   */
  public static Decision refused(SessionStatus status, EndReason reason, String detail, CompletableFuture<Void> durable) {
    return new Decision(Verdict.REFUSED, status, reason, detail, null, durable);
  }

  /** A live session used outside its audience: untouched; {@code durable} covers the refusal's record. */
  public static Decision wrongAudience(String detail, CompletableFuture<Void> durable) {
    return new Decision(Verdict.WRONG_AUDIENCE, null, null, detail, null, durable);
  }

  /** The wire name of the {@link Verdict#WRONG_AUDIENCE} refusal (spec/http-api.md). */
  public static final String WRONG_AUDIENCE_REASON = "wrong_audience";

  /**
   * The word a protocol gateway names a refused check by, in what it tells the client and in
   * {@code connection.refused}'s {@code why}: {@value #WRONG_AUDIENCE_REASON} for a live session used
   * outside its audience, else the session's end reason ({@code unknown} for a token never issued).
   */
  public String refusalReason() {
    if (verdict == Verdict.WRONG_AUDIENCE) return WRONG_AUDIENCE_REASON;
    return reason == null ? EndReason.UNKNOWN.wire() : reason.wire();
  }

  /** The store or the audit log cannot be written: fail closed. */
  public static Decision unavailable(String detail) {
    return new Decision(Verdict.UNAVAILABLE, null, null, detail, null, DONE);
  }
}

package dev.curfew.core;

/**
 * Why a session ended, or why a token is refused: the closed vocabulary of the API's {@code reason}
 * (spec/http-api.md), each with the event that announces such an ending on the session's event
 * stream ({@code expired}, {@code revoked} or {@code logged_out}).
 */
public enum EndReason {
  IDLE_TIMEOUT("idle_timeout", "expired"),
  ABSOLUTE_TIMEOUT("absolute_timeout", "expired"),
  REVOKED("revoked", "revoked"),
  LOGGED_OUT("logged_out", "logged_out"),
  REPLAYED("replayed", "revoked"),
  /** The identity provider logged the user out (an OpenID Connect back-channel logout): the holder is logged out. */
  IDP_LOGOUT("idp_logout", "logged_out"),
  /**
   * The subject opened more sessions than its policy's {@code max_sessions_per_subject} allows with
   * {@code when_exceeded: end_oldest}: this one, the oldest, was displaced by a newer one.
   */
  CONCURRENCY_LIMIT("concurrency_limit", "revoked"),
  /**
   * The session was minted from another ({@code POST /_curfew/connect}: a database, shell or agent
   * session of a person signed in on the web), and that parent was logged out or revoked.
   */
  PARENT_ENDED("parent_ended", "revoked"),
  /** A token that was never issued, is malformed, or whose session is no longer remembered. */
  UNKNOWN("unknown", "expired");

  /**
   * The {@code actor} of an ending Curfew decides itself ({@link #REPLAYED}, {@link
   * #CONCURRENCY_LIMIT}): Curfew, on the policy's word.
   */
  public static final String CURFEW_ACTOR = "curfew";
  /** The {@code reason_text} of a session ended because a rotated-out token came back ({@link #REPLAYED}). */
  public static final String REPLAYED_TEXT = "a rotated-out token was presented again";

  private final String wire;
  private final String event;

  EndReason(String wire, String event) {
    this.wire = wire;
    this.event = event;
  }

  /** The event name that announces an ending for this reason (every store and stream uses this one). */
  public String event() {
    return event;
  }

  /**
   * Whether an ending for this reason also ends the sessions minted from the session
   * (spec/protocol-gateways.md: logging out of or revoking the parent ends its children; its expiry
   * does not, each session keeps its own clock).
   */
  public boolean endsChildren() {
    return this != IDLE_TIMEOUT && this != ABSOLUTE_TIMEOUT && this != UNKNOWN;
  }

  /** The name used in the API and in audit records. */
  public String wire() {
    return wire;
  }

  public static EndReason fromWire(String s) {
    for (EndReason r : values()) {
      if (r.wire.equals(s)) return r;
    }
    throw new IllegalArgumentException("unknown end reason: " + s);
  }
}

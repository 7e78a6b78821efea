package dev.curfew.core;

/** Why a session ended, or why a token is refused: the closed vocabulary of the API's {@code reason}. */
public enum EndReason {
  IDLE_TIMEOUT("idle_timeout"),
  ABSOLUTE_TIMEOUT("absolute_timeout"),
  REVOKED("revoked"),
  LOGGED_OUT("logged_out"),
  REPLAYED("replayed"),
  /** A token that was never issued, is malformed, or whose session is no longer remembered. */
  UNKNOWN("unknown");

  private final String wire;

  EndReason(String wire) {
    this.wire = wire;
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

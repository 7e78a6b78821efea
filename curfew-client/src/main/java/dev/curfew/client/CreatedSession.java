package dev.curfew.client;

/** A session just opened: its token (shown by the server in this answer only) and its status. */
public record CreatedSession(String token, SessionStatus status) {
  @Override
  public String toString() {
    return "CreatedSession[token=(hidden), status=" + status + "]"; // a token never goes to a log
  }
}

package dev.curfew.gateway.db;

import dev.curfew.core.EndReason;

/**
 * A client connection held under a session, as the session's events reach it. Both methods are
 * called under the engine's session lock: implementations hand off to their own event loop and
 * return at once.
 */
public interface GovernedConnection {
  /** The session's warning ({@code warning} event): {@code expiresAtMs} and its deadline kind. */
  void warn(long expiresAtMs, long secondsLeft);

  /**
   * The session's idle timeout is now {@code idleTimeoutMs} ({@code status} event: a policy was
   * applied to the live session): work running must keep touching it by the new timeout.
   */
  default void idleTimeoutChanged(long idleTimeoutMs) {
  }

  /**
   * The session was extended ({@code extended} event): a warning not yet delivered names a deadline
   * that no longer holds (MySQL holds it for the next OK packet).
   */
  default void extended() {
  }

  /** The session ended: say why in the protocol, cancel work in flight, close. */
  void end(EndReason reason);
}

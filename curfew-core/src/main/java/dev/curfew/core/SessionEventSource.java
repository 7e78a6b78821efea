package dev.curfew.core;

/**
 * Lets an edge that holds a session's connections (a protocol gateway) follow that session's events:
 * the warning and the ending, whichever node decided them. The server implements it where every
 * event passes (its fan-out of local and remote events); a gateway only subscribes.
 *
 * <p>Listeners are called like any {@link SessionEvents}: under the session's lock or on the thread
 * that received another node's event, so they hand off and return at once.
 */
@FunctionalInterface
public interface SessionEventSource {
  /** Delivers {@code sessionId}'s events to {@code listener} until the subscription is closed. */
  Subscription follow(String sessionId, SessionEvents listener);

  /** An active subscription; closing it twice is harmless. */
  @FunctionalInterface
  interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /** No events at all (a gateway then learns of an ending on the next keystroke). */
  SessionEventSource NONE = (sessionId, listener) -> () -> {};
}

package dev.curfew.core;

import java.util.Map;

/**
 * Delivers session events (the SSE names of spec/http-api.md: {@code status}, {@code warning},
 * {@code extended}, {@code expired}, {@code revoked}, {@code logged_out}) to whoever follows a
 * session; a session's opening is a {@code status} too, for those who follow every session. Called under the session's lock: implementations hand off and return at once.
 */
@FunctionalInterface
public interface SessionEvents {
  /** Delivers and returns the number of live event streams it reached. */
  int publish(String sessionId, String event, Map<String, Object> data);

  SessionEvents NONE = (sessionId, event, data) -> 0;
}

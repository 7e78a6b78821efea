package dev.curfew.core;

import dev.curfew.core.audit.Times;
import java.util.LinkedHashMap;
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

  /** The data of a {@code warning} event, sent at {@code nowMs} for a session expiring at {@code expiresAtMs}. */
  static Map<String, Object> warningData(long expiresAtMs, long nowMs) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("expires_at", Times.format(expiresAtMs));
    data.put("seconds_left", (expiresAtMs - nowMs + 999) / 1000);
    return data;
  }

  /** The data of the event that announces an ending ({@link EndReason#event()}). */
  static Map<String, Object> endedData(EndReason reason, long endedAtMs) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("reason", reason.wire());
    data.put("expired_at", Times.format(endedAtMs));
    return data;
  }
}

package dev.curfew.client;

import java.util.Map;

/**
 * One server-sent event of a session ({@code GET /v1/session/events}): its name ({@code status},
 * {@code warning}, {@code extended}, {@code expired}, {@code revoked}, {@code logged_out}) and its
 * JSON data.
 */
public record SessionEvent(String name, Map<String, Object> data) {
  /** Whether the session ended with this event; the server closes the stream after it. */
  public boolean ending() {
    return name.equals("expired") || name.equals("revoked") || name.equals("logged_out");
  }
}

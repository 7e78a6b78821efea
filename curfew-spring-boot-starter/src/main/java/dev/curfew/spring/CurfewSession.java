package dev.curfew.spring;

import dev.curfew.client.SessionStatus;

/**
 * The Curfew session of the current request, as checked at its start: its id (safe to log and
 * show), subject and status. Also a request attribute named {@link #REQUEST_ATTRIBUTE}.
 */
public record CurfewSession(String sessionId, String subject, SessionStatus status) {
  public static final String REQUEST_ATTRIBUTE = CurfewSession.class.getName();
}

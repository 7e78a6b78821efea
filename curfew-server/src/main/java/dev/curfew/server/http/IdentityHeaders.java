package dev.curfew.server.http;

import dev.curfew.core.SessionStatus;
import dev.curfew.core.audit.Times;
import io.vertx.core.MultiMap;

/**
 * The headers by which Curfew tells an upstream whose session a request belongs to (forward-auth
 * answers and the gateway's forwarded requests), and the rule that no client may send them.
 */
public final class IdentityHeaders {
  public static final String SUBJECT = "X-Curfew-Subject";
  public static final String SESSION_ID = "X-Curfew-Session-Id";
  public static final String EXPIRES_AT = "X-Curfew-Expires-At";
  /** Every header Curfew sets starts so; a client-sent one is removed before anything is forwarded. */
  public static final String PREFIX = "x-curfew-";

  private IdentityHeaders() {}

  /** Sets the three identity headers of {@code s}, replacing whatever was there. */
  public static void put(MultiMap headers, SessionStatus s) {
    headers.set(SUBJECT, BackendRoutes.headerSafe(s.subject()))
        .set(SESSION_ID, s.sessionId())
        .set(EXPIRES_AT, Times.format(s.expiresAtMs()));
  }

  /**
   * Removes every {@code X-Curfew-*} header (any case), and every name that reads as one with its
   * underscores taken for hyphens ({@code X_Curfew_Subject}): CGI, wsgiref and PHP give an app both
   * spellings as the same variable ({@code HTTP_X_CURFEW_SUBJECT}).
   */
  public static void removeClientSent(MultiMap headers) {
    java.util.List<String> names = null;
    for (String name : headers.names()) {
      if (name.replace('_', '-').regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
        if (names == null) names = new java.util.ArrayList<>();
        names.add(name);
      }
    }
    if (names != null) names.forEach(headers::remove);
  }
}

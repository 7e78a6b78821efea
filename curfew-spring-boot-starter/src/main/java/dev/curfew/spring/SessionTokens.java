package dev.curfew.spring;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;

/**
 * Where the Curfew token of a signed-in user lives: in the app's own HTTP session, next to Spring
 * Security's context, never in a cookie or a page. Ending one ends the other.
 */
final class SessionTokens {
  static final String ATTRIBUTE = SessionTokens.class.getName() + ".token";
  static final String SUBJECT_ATTRIBUTE = SessionTokens.class.getName() + ".subject";

  private SessionTokens() {}

  static String get(HttpServletRequest request) {
    HttpSession s = request.getSession(false);
    return s == null ? null : (String) s.getAttribute(ATTRIBUTE);
  }

  static void put(HttpServletRequest request, String token) {
    request.getSession(true).setAttribute(ATTRIBUTE, token);
  }

  /** The token of a session just opened for {@code subject}. */
  static void put(HttpServletRequest request, String token, String subject) {
    HttpSession s = request.getSession(true);
    s.setAttribute(SUBJECT_ATTRIBUTE, subject);
    s.setAttribute(ATTRIBUTE, token);
  }

  /** The subject the kept token's session was opened for, or null. */
  static String subject(HttpServletRequest request) {
    HttpSession s = request.getSession(false);
    return s == null ? null : (String) s.getAttribute(SUBJECT_ATTRIBUTE);
  }

  /** The app's session ends with Curfew's: its security context and everything else in it. */
  static void endAppSession(HttpServletRequest request) {
    HttpSession s = request.getSession(false);
    if (s != null) {
      try {
        s.invalidate();
      } catch (IllegalStateException invalidatedAlready) {
        // ended by another request at the same time
      }
    }
  }
}

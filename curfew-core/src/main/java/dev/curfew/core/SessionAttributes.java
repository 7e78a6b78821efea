package dev.curfew.core;

import java.util.Locale;
import java.util.Map;

/**
 * The rule for the attributes a caller attaches to a session (spec/http-api.md, {@code POST
 * /v1/sessions}: "400 for ... an attribute in Curfew's reserved namespace"). Attributes are the
 * caller's notes, shown and recorded, never trusted for a decision: what Curfew decides on (who
 * opened a session, where it may be used) lives in fields of its own. Names that start with {@code
 * curfew.} or {@code curfew_}, in any case, are reserved for Curfew, so that no caller can write
 * something that later reads as Curfew's own.
 */
public final class SessionAttributes {
  /** Most attributes a session may carry. */
  /**
   * The one reserved attribute Curfew writes itself: the session a child session was minted from
   * ({@link OpenRequest#child}). It is recorded as {@code parent_session_id}, not among the attributes.
   */
  public static final String PARENT_SESSION_ID = "curfew.parent_session_id";

  public static final int MAX_ATTRIBUTES = 32;

  private SessionAttributes() {}

  /** Whether {@code name} lies in Curfew's reserved namespace. */
  public static boolean reserved(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.startsWith("curfew.") || n.startsWith("curfew_");
  }

  /**
   * Checks what a caller may set.
   *
   * @throws IllegalArgumentException naming the offending attribute, or the limit
   */
  public static void check(Map<String, Object> attributes) {
    if (attributes.size() > MAX_ATTRIBUTES) {
      throw new IllegalArgumentException("more than " + MAX_ATTRIBUTES + " attributes");
    }
    for (String name : attributes.keySet()) {
      if (reserved(name)) {
        throw new IllegalArgumentException("attribute \"" + name.replaceAll("[^\\x20-\\x7e]", "?")
            + "\" is in Curfew's reserved namespace (names starting with curfew. or curfew_)");
      }
    }
  }

  /** The caller's attributes of a session, without the ones Curfew keeps in the same map ({@link #PARENT_SESSION_ID}). */
  public static Map<String, Object> callers(Map<String, Object> attributes) {
    if (attributes == null || !attributes.containsKey(PARENT_SESSION_ID)) return attributes;
    Map<String, Object> out = new java.util.LinkedHashMap<>(attributes);
    out.remove(PARENT_SESSION_ID);
    return java.util.Collections.unmodifiableMap(out);
  }

  /** The session {@code attributes} name as their parent, or null. */
  public static String parentOf(Map<String, Object> attributes) {
    Object p = attributes == null ? null : attributes.get(PARENT_SESSION_ID);
    return p instanceof String s ? s : null;
  }
}

package dev.curfew.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An identity provider's logout of a user, already verified at the edge (an OpenID Connect
 * Back-Channel Logout 1.0 logout token): which Curfew sessions it ends, and what their records say.
 *
 * <p>Which sessions (OpenID Connect Back-Channel Logout 1.0 §2.7: with a {@code sid}, the sessions
 * of that IdP session; without one, every session of the user at that issuer):
 * <ul>
 *   <li>a session labelled with another provider (attribute {@value #PROVIDER_ATTRIBUTE}) never;</li>
 *   <li>a session that knows its IdP session (attribute {@value #SID_ATTRIBUTE}): when the logout
 *       names that {@code sid}, or names no {@code sid} and the session's subject is its {@code sub};</li>
 *   <li>a session that does not know its IdP session: when its subject is the logout's {@code sub}.
 *       Curfew cannot tell which IdP login opened it, so it ends with any of the user's IdP sessions:
 *       early, never late.</li>
 * </ul>
 * This is the one statement of the rule; every store asks {@link #matches}.
 *
 * @param provider the configured provider's name
 * @param sid the IdP session id, or null
 * @param subject the {@code sub} claim, or null; at least one of {@code sid} and {@code subject}
 * @param jti the logout token's id, kept in the records
 */
public record IdpLogout(String provider, String sid, String subject, String jti) {
  /** The session attribute that holds the IdP's session id ({@code sid} of the user's ID token). */
  public static final String SID_ATTRIBUTE = "idp_sid";
  /** The session attribute that names the provider the session's login came from. */
  public static final String PROVIDER_ATTRIBUTE = "idp";
  /** Longest provider name, sid, subject or jti accepted. */
  public static final int MAX_CLAIM_LENGTH = 256;

  public IdpLogout {
    requireText("provider", provider);
    requireText("jti", jti);
    if (sid != null) requireText("sid", sid);
    if (subject != null) requireText("subject", subject);
    if (sid == null && subject == null) throw new IllegalArgumentException("an IdP logout names a sid, a subject or both");
  }

  private static void requireText(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isEmpty() || value.length() > MAX_CLAIM_LENGTH) {
      throw new IllegalArgumentException(what + " must be 1-" + MAX_CLAIM_LENGTH + " characters");
    }
  }

  /** Whether the session of {@code sessionSubject} with {@code attributes} ends by this logout. */
  public boolean matches(String sessionSubject, Map<String, Object> attributes) {
    Object label = attributes.get(PROVIDER_ATTRIBUTE);
    if (label != null && !provider.equals(label.toString())) return false;
    Object sessionSid = attributes.get(SID_ATTRIBUTE);
    if (sid != null && sessionSid != null) return sid.equals(sessionSid.toString());
    return subject != null && subject.equals(sessionSubject);
  }

  /** Whether every candidate session is among the subject's (no {@code sid}: none of another subject can match). */
  public boolean bySubjectOnly() {
    return sid == null;
  }

  /** The {@code actor} of the ending's {@code session.revoked} record. */
  public String actor() {
    return "idp:" + provider;
  }

  /** The {@code reason_text} of the ending's record: names the token, so the trail leads to its receipt. */
  public String reasonText() {
    return "OpenID Connect back-channel logout, jti " + jti;
  }

  /** The audit data of the logout itself ({@code idp.logout}): provider, jti, sid, sub. */
  public Map<String, Object> auditData() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("provider", provider);
    m.put("jti", jti);
    if (sid != null) m.put("sid", sid);
    if (subject != null) m.put("sub", subject);
    return m;
  }
}

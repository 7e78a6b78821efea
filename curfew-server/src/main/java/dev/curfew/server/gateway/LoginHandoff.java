package dev.curfew.server.gateway;

/**
 * The upstream's {@code Curfew-Login: subject=<id>[; policy=<name>][; idp=<provider>][; idp_sid=<sid>]}
 * response header. {@code idp} and {@code idp_sid} name the identity provider and its session the
 * login came from (the {@code sid} of the user's ID token), so that the provider's back-channel
 * logout ends this session ({@link dev.curfew.core.IdpLogout}). Values are tokens or quoted strings
 * (RFC 9110 §5.6); anything else, a missing subject, or an unknown parameter makes the whole header
 * invalid (null): a login is never half-understood.
 */
record LoginHandoff(String subject, String policy, String idp, String idpSid) {
  /** The session's attributes: where it was opened, and the IdP login it came from when named. */
  java.util.Map<String, Object> attributes(String route) {
    java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("via", "gateway");
    m.put("route", route);
    if (idp != null) m.put(dev.curfew.core.IdpLogout.PROVIDER_ATTRIBUTE, idp);
    if (idpSid != null) m.put(dev.curfew.core.IdpLogout.SID_ATTRIBUTE, idpSid);
    return m;
  }

  static LoginHandoff parse(String header) {
    if (header == null) return null;
    String subject = null;
    String policy = null;
    String idp = null;
    String idpSid = null;
    for (String part : header.split(";")) {
      String p = part.trim();
      if (p.isEmpty()) continue;
      int eq = p.indexOf('=');
      if (eq <= 0) return null;
      String name = p.substring(0, eq).trim().toLowerCase(java.util.Locale.ROOT);
      String value = p.substring(eq + 1).trim();
      if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
        value = value.substring(1, value.length() - 1);
      }
      if (value.isEmpty()) return null;
      switch (name) {
        case "subject" -> subject = value;
        case "policy" -> policy = value;
        case "idp" -> idp = value;
        case "idp_sid" -> idpSid = value;
        default -> {
          return null;
        }
      }
    }
    if (idpSid != null && idpSid.length() > dev.curfew.core.IdpLogout.MAX_CLAIM_LENGTH) return null;
    return subject == null ? null : new LoginHandoff(subject, policy, idp, idpSid);
  }
}

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
    java.util.Map<String, String> params = new java.util.HashMap<>();
    int i = 0;
    int n = header.length();
    while (i < n) {
      i = skipSpace(header, i);
      if (i < n && header.charAt(i) == ';') { // an empty parameter
        i++;
        continue;
      }
      if (i >= n) break;
      int eq = header.indexOf('=', i);
      if (eq < 0) return null;
      String name = header.substring(i, eq).trim().toLowerCase(java.util.Locale.ROOT);
      if (name.isEmpty()) return null;
      i = skipSpace(header, eq + 1);
      String value;
      if (i < n && header.charAt(i) == '"') { // a quoted-string (RFC 9110 section 5.6.4), which may hold ';'
        StringBuilder v = new StringBuilder();
        i++;
        while (true) {
          if (i >= n) return null; // unterminated
          char c = header.charAt(i++);
          if (c == '"') break;
          if (c == '\\') {
            if (i >= n) return null;
            c = header.charAt(i++);
          }
          v.append(c);
        }
        value = v.toString();
        i = skipSpace(header, i);
        if (i < n && header.charAt(i) != ';') return null; // something after the closing quote
      } else {
        int semi = header.indexOf(';', i);
        value = header.substring(i, semi < 0 ? n : semi).trim();
        if (value.indexOf('"') >= 0) return null;
        i = semi < 0 ? n : semi;
      }
      if (i < n) i++; // the ';'
      if (value.isEmpty()) return null;
      switch (name) {
        case "subject", "policy", "idp", "idp_sid" -> params.put(name, value);
        default -> {
          return null;
        }
      }
    }
    String subject = params.get("subject");
    String idpSid = params.get("idp_sid");
    if (idpSid != null && idpSid.length() > dev.curfew.core.IdpLogout.MAX_CLAIM_LENGTH) return null;
    return subject == null ? null : new LoginHandoff(subject, params.get("policy"), params.get("idp"), idpSid);
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) i++;
    return i;
  }
}

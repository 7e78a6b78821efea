package dev.curfew.server.gateway;

/**
 * The upstream's {@code Curfew-Login: subject=<id>[; policy=<name>]} response header. Values are
 * tokens or quoted strings (RFC 9110 §5.6); anything else, a missing subject, or an unknown
 * parameter makes the whole header invalid (null): a login is never half-understood.
 */
record LoginHandoff(String subject, String policy) {
  static LoginHandoff parse(String header) {
    if (header == null) return null;
    String subject = null;
    String policy = null;
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
        default -> {
          return null;
        }
      }
    }
    return subject == null ? null : new LoginHandoff(subject, policy);
  }
}

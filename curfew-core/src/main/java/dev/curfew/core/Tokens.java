package dev.curfew.core;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Session tokens and session ids. A token is 256 bits from a CSPRNG, base64url without padding,
 * prefixed {@code cft_} so that secret scanners can recognise a leaked one. A session id is a
 * different 128-bit random value ({@code s_...}): safe to log and show, it grants nothing.
 */
public final class Tokens {
  public static final String TOKEN_PREFIX = "cft_";
  /** 4 prefix characters + 43 base64url characters for 32 bytes. */
  public static final int TOKEN_LENGTH = 47;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private Tokens() {}

  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return TOKEN_PREFIX + B64.encodeToString(bytes);
  }

  public static String newSessionId() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return "s_" + B64.encodeToString(bytes);
  }

  /** True when {@code s} has the shape of a token this server issues; says nothing of validity. */
  public static boolean wellFormed(String s) {
    if (s == null || s.length() != TOKEN_LENGTH || !s.startsWith(TOKEN_PREFIX)) {
      return false;
    }
    for (int i = TOKEN_PREFIX.length(); i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '_';
      if (!ok) return false;
    }
    return true;
  }
}

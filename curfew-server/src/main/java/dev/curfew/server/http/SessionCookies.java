package dev.curfew.server.http;

import io.vertx.core.http.HttpServerResponse;

/**
 * The session cookie as spec/cli-and-config.md fixes it, and what a response to an ended session
 * tells the browser to forget. Shared by the API's holder endpoints and the gateway.
 */
public final class SessionCookies {
  /** The directive of W3C Clear Site Data that ends a session in the browser too. */
  public static final String CLEAR_SITE_DATA = "\"cache\", \"cookies\", \"storage\"";

  private SessionCookies() {}

  /**
   * What a cookie name may be (RFC 6265 section 4.1.1: a token of RFC 9110 section 5.6.2): no
   * separator, space or control character, so that a name cannot end the pair or add an attribute.
   */
  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");

  /** The rule of a cookie name, in words, for the errors that refuse one. */
  public static final String NAME_RULE = "an RFC 6265 token (letters, digits and !#$%&'*+-.^_`|~)";

  /** Whether {@code name} is a cookie name that {@link #header} can write as it is. */
  public static boolean isName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** The attributes, spelled as RFC 6265 and the browsers' documentation spell them. */
  private static final String ATTRIBUTES = "; Path=/; Secure; HttpOnly; SameSite=Lax";

  /**
   * The {@code Set-Cookie} value: {@code Secure}, {@code HttpOnly}, {@code SameSite=Lax}, {@code
   * Path=/}, no {@code Domain} (what a {@code __Host-} cookie must be) and no {@code Max-Age}: the
   * server, not the cookie, ends sessions. Tokens are base64url, so they need no quoting.
   */
  public static String header(String name, String value) {
    return name + "=" + value + ATTRIBUTES;
  }

  /** The same cookie, emptied and expired ({@code Max-Age=0}, and a past {@code Expires} for old clients). */
  public static String expiredHeader(String name) {
    return name + "=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT" + ATTRIBUTES;
  }

  /** {@code Clear-Site-Data} and the expired cookie on {@code response}. */
  public static void forget(HttpServerResponse response, String cookieName) {
    response.putHeader("Clear-Site-Data", CLEAR_SITE_DATA);
    response.headers().add("Set-Cookie", expiredHeader(cookieName));
  }
}

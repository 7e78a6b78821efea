package dev.curfew.server.security;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.time.Duration;
import java.util.Objects;

/**
 * The response headers that tell a browser how to treat what it got, for the API and the gateway.
 *
 * <ul>
 *   <li>{@code Strict-Transport-Security} (RFC 6797), only on a port that serves TLS (section 7.2:
 *       a browser ignores it over plain HTTP, so sending it there would only mislead);
 *   <li>{@code X-Content-Type-Options: nosniff}: a body is what its Content-Type says;
 *   <li>framing: {@code X-Frame-Options} and CSP {@code frame-ancestors} (the OWASP Clickjacking
 *       Defense Cheat Sheet), so that no other site can overlay the "Stay signed in" button;
 *   <li>{@code Referrer-Policy}: no path with a return URL or a query leaves for another origin.
 * </ul>
 *
 * The API is JSON for machines: every answer carries what the OWASP REST Security Cheat Sheet
 * ("Security Headers") lists for all API responses ({@code nosniff}, {@code X-Frame-Options: DENY},
 * {@code frame-ancestors 'none'}, HSTS under TLS; {@code Cache-Control: no-store} the API sets
 * anyway), and, since nothing in it is meant to load anything, {@code default-src 'none'} and
 * {@code Referrer-Policy: no-referrer}.
 * The gateway fronts an app whose pages it did not write: it adds only what the app's response
 * lacks, with values that break no same-origin page ({@code SAMEORIGIN}, {@code frame-ancestors
 * 'self'}, {@code strict-origin-when-cross-origin}); HSTS it always sets, since it terminates TLS.
 */
public final class SecurityHeaders {
  private SecurityHeaders() {}

  /**
   * A {@code Strict-Transport-Security} policy.
   *
   * @param maxAge how long a browser keeps to HTTPS for this host (0: forget the policy)
   * @param includeSubdomains the policy covers every subdomain too
   * @param preload the host asks to be in the browsers' preload lists, which (hstspreload.org)
   *     needs {@code includeSubDomains} and a max-age of at least a year
   */
  public record Hsts(Duration maxAge, boolean includeSubdomains, boolean preload) {
    /** One year: what hstspreload.org asks for, and the OWASP HTTP Strict Transport Security cheat sheet's example. */
    public static final Hsts DEFAULT = new Hsts(Duration.ofDays(365), false, false);

    public Hsts {
      Objects.requireNonNull(maxAge, "maxAge");
      if (maxAge.isNegative()) throw new IllegalArgumentException("max_age < 0: " + maxAge);
      if (preload && (!includeSubdomains || maxAge.compareTo(Duration.ofDays(365)) < 0)) {
        throw new IllegalArgumentException("preload needs include_subdomains: true and a max_age of at least 365d");
      }
    }

    /** The header value, e.g. {@code max-age=31536000; includeSubDomains}. */
    public String header() {
      return "max-age=" + maxAge.toSeconds() + (includeSubdomains ? "; includeSubDomains" : "")
          + (preload ? "; preload" : "");
    }
  }

  /**
   * Every API response; {@code hsts} null when the port serves plain HTTP. A page the API port
   * serves with policies of its own (the admin console's, with its script nonce) keeps them.
   */
  public static void api(MultiMap headers, Hsts hsts) {
    headers.set(X_CONTENT_TYPE_OPTIONS, NOSNIFF).set(X_FRAME_OPTIONS, DENY);
    if (!headers.contains(REFERRER_POLICY)) headers.set(REFERRER_POLICY, NO_REFERRER);
    if (!headers.contains(CONTENT_SECURITY_POLICY)) headers.set(CONTENT_SECURITY_POLICY, API_CSP);
    if (hsts != null) headers.set("Strict-Transport-Security", hsts.header());
  }

  // Set on every API response: encoded to ASCII once, copied as bytes into each response head.
  private static final CharSequence X_CONTENT_TYPE_OPTIONS = HttpHeaders.createOptimized("X-Content-Type-Options");
  private static final CharSequence NOSNIFF = HttpHeaders.createOptimized("nosniff");
  private static final CharSequence X_FRAME_OPTIONS = HttpHeaders.createOptimized("X-Frame-Options");
  private static final CharSequence DENY = HttpHeaders.createOptimized("DENY");
  private static final CharSequence REFERRER_POLICY = HttpHeaders.createOptimized("Referrer-Policy");
  private static final CharSequence NO_REFERRER = HttpHeaders.createOptimized("no-referrer");
  private static final CharSequence CONTENT_SECURITY_POLICY = HttpHeaders.createOptimized("Content-Security-Policy");
  private static final CharSequence API_CSP = HttpHeaders.createOptimized("default-src 'none'; frame-ancestors 'none'");

  /**
   * Every gateway response, the upstream's and the gateway's own: with {@code defaults}, the
   * headers the response lacks; {@code hsts} (null: plain HTTP) always.
   */
  public static void gateway(MultiMap headers, Hsts hsts, boolean defaults) {
    if (defaults) {
      setIfAbsent(headers, "X-Content-Type-Options", "nosniff");
      setIfAbsent(headers, "X-Frame-Options", "SAMEORIGIN");
      setIfAbsent(headers, "Referrer-Policy", "strict-origin-when-cross-origin");
      if (!headers.contains("Content-Security-Policy")) {
        headers.set("Content-Security-Policy", "frame-ancestors 'self'");
      }
    }
    if (hsts != null) headers.set("Strict-Transport-Security", hsts.header());
  }

  private static void setIfAbsent(MultiMap headers, String name, String value) {
    if (!headers.contains(name)) headers.set(name, value);
  }
}

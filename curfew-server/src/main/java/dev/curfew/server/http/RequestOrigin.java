package dev.curfew.server.http;

import io.vertx.core.http.HttpServerRequest;
import java.net.URI;
import java.util.Locale;

/**
 * Whether a request that carries the session cookie came from a page of this server's own origin,
 * as far as the browser says: the one rule for every change a cookie can make at the session
 * holder's endpoints ({@link HolderRoutes}) and for {@code POST /_curfew/connect} ({@link
 * ConnectRoutes}).
 *
 * <p>{@code SameSite=Lax} keeps the cookie off requests from other sites, not off those of another
 * origin of the same site: another port or subdomain (an app behind the gateway, a sibling
 * service on the same host) sends it along, even with {@code fetch(..., {mode: "no-cors"})}. So
 * the check is for the origin, not the site:
 *
 * <ol>
 *   <li>{@code Sec-Fetch-Site} (W3C Fetch Metadata), when sent, decides alone: {@code same-origin}
 *       or {@code none} (the user's own act: typed, bookmarked) pass; {@code same-site} and {@code
 *       cross-site} do not. The browser computes it from the page's origin, the request's URL and
 *       every redirect in between, which this server may not see: behind a proxy that ends TLS, or
 *       one that rewrites {@code Host}, the browser's word still holds.
 *   <li>Without it (an older browser), an {@code Origin} must be this server's own: the host and
 *       port of the request's {@code Host} (a port left out being the default of the scheme), and
 *       {@code https} when this server ends TLS itself. On a plain connection the origin's scheme is
 *       believed, since a proxy that ends TLS in front of the server is indistinguishable from none:
 *       {@code https://gw.example} is taken as port 443 of {@code Host: gw.example}. {@code null}
 *       (an opaque origin: a sandboxed frame, a redirect through another origin) never passes.
 *   <li>Without either, the request is no browser's cross-origin one (browsers send {@code Origin}
 *       with every {@code POST} and {@code DELETE}); a client that holds the cookie itself passes.
 * </ol>
 */
public final class RequestOrigin {
  private RequestOrigin() {}

  /** Whether {@code req} came from this server's own origin, as far as the browser says (see the class comment). */
  public static boolean isOwn(HttpServerRequest req) {
    String host = req.getHeader("Host");
    if (host == null && req.authority() != null) host = req.authority().toString(); // HTTP/2: :authority
    return isOwn(req.getHeader("Sec-Fetch-Site"), req.getHeader("Origin"), host, req.isSSL());
  }

  /**
   * @param fetchSite the {@code Sec-Fetch-Site} header, or null
   * @param origin the {@code Origin} header, or null
   * @param host the request's {@code Host} ({@code host[:port]}), or null
   * @param tls whether the request reached this server over TLS (then only an {@code https} origin is its own)
   */
  static boolean isOwn(String fetchSite, String origin, String host, boolean tls) {
    if (fetchSite != null) return fetchSite.equals("same-origin") || fetchSite.equals("none");
    if (origin == null) return true;
    if (host == null) return false;
    try {
      URI o = new URI(origin.trim());
      String scheme = o.getScheme() == null ? "" : o.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("https") || (scheme.equals("http") && !tls)) || o.getHost() == null) return false;
      if (o.getRawUserInfo() != null || o.getRawQuery() != null || o.getRawFragment() != null) return false;
      if (o.getRawPath() != null && !o.getRawPath().isEmpty()) return false;
      URI h = new URI(scheme + "://" + host);
      if (h.getHost() == null || h.getRawUserInfo() != null || !h.getRawPath().isEmpty()) return false;
      int defaultPort = scheme.equals("https") ? 443 : 80;
      int port = o.getPort() == -1 ? defaultPort : o.getPort();
      int hostPort = h.getPort() == -1 ? defaultPort : h.getPort();
      return o.getHost().equalsIgnoreCase(h.getHost()) && port == hostPort;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }
}

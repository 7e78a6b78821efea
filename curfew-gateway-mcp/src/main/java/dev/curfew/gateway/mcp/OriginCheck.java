package dev.curfew.gateway.mcp;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * The {@code Origin} check of the MCP Streamable HTTP transport: "Servers MUST validate the Origin
 * header on all incoming connections to prevent DNS rebinding attacks. If the Origin header is
 * present and invalid, servers MUST respond with HTTP 403 Forbidden"
 * (https://modelcontextprotocol.io/specification/2025-11-25/basic/transports, Security Warning).
 *
 * <p>A request without {@code Origin} (an agent, a command-line client: browsers alone send it)
 * passes. One with an {@code Origin} passes when it is one of the route's {@code allowed_origins},
 * or the route's own origin: the scheme, host and port the request was sent to (its {@code Host}),
 * when that host is an IP address or {@code localhost}. A host name the request's {@code Host}
 * gives is not the route's own: in DNS rebinding the attacker's page at {@code
 * http://evil.example} has its name pointed at the gateway's address, and its requests carry
 * {@code Host} and {@code Origin} both naming evil.example, so {@code Host} vouches for a name only
 * where no DNS answer is involved. A page served under a host name must be listed. Origins are
 * compared as {@code scheme://host:port}, lower-case, the port written out.
 */
final class OriginCheck {
  private OriginCheck() {}

  /** Whether {@code req} (its {@code Origin}, if any) may be served on a route allowing {@code allowed} besides its own. */
  static boolean allowed(HttpServerRequest req, List<String> allowed) {
    String origin = req.getHeader("Origin");
    if (origin == null) return true;
    String o = parse(origin);
    if (o == null) return false; // "null" (an opaque origin), or not an origin at all
    return o.equals(own(req)) || allowed.contains(o);
  }

  /** {@code origin} as it is compared; fails, naming it, when it is not {@code http(s)://host[:port]}. */
  static String normalized(String origin) {
    String o = parse(origin);
    if (o == null) throw new IllegalArgumentException("not an origin (http(s)://host[:port]): " + origin);
    return o;
  }

  /** The request's own origin from its {@code Host}, or null when that host is a name DNS could have rebound. */
  private static String own(HttpServerRequest req) {
    HostAndPort authority = req.authority();
    if (authority == null || authority.host() == null || authority.host().isEmpty()) return null;
    String host = authority.host().toLowerCase(Locale.ROOT);
    if (!resolvesWithoutDns(host)) return null;
    String scheme = req.isSSL() ? "https" : "http";
    int port = authority.port() > 0 ? authority.port() : defaultPort(scheme);
    return scheme + "://" + host + ":" + port;
  }

  private static final java.util.regex.Pattern IPV4 =
      java.util.regex.Pattern.compile("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");

  /** An IPv4 address in dotted decimal, an IPv6 address (with or without brackets), or {@code localhost}. */
  static boolean resolvesWithoutDns(String host) {
    if (host.equals("localhost")) return true;
    if (IPV4.matcher(host).matches()) return true;
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return h.indexOf(':') >= 0 && h.matches("[0-9a-f:.]+");
  }

  private static String parse(String origin) {
    if (origin == null) return null;
    URI u;
    try {
      u = new URI(origin.trim());
    } catch (URISyntaxException e) {
      return null;
    }
    String scheme = u.getScheme() == null ? null : u.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) return null;
    if (u.getHost() == null || u.getRawUserInfo() != null || u.getRawQuery() != null || u.getRawFragment() != null) return null;
    if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/")) return null;
    int port = u.getPort() > 0 ? u.getPort() : defaultPort(scheme);
    return scheme + "://" + u.getHost().toLowerCase(Locale.ROOT) + ":" + port;
  }

  private static int defaultPort(String scheme) {
    return "https".equals(scheme) ? 443 : 80;
  }
}

package dev.curfew.server.gateway;

import dev.curfew.core.Audience;
import dev.curfew.gateway.mcp.McpRoute;
import dev.curfew.server.http.SessionCookies;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * One route of the gateway ({@code gateway.routes[]}, spec/cli-and-config.md and
 * spec/protocol-gateways.md), as the configuration parsed it once at load: a {@link Web} app behind
 * a session cookie, or an {@link Mcp} server whose agents hold their session as a bearer token.
 * Paths are matched by segment-aligned prefix: {@code /app} covers {@code /app} and {@code /app/x},
 * not {@code /apple}; the longest matching prefix wins.
 */
public sealed interface GatewayRoute permits GatewayRoute.Web, GatewayRoute.Mcp {

  /** The session cookie's name when a route names none. */
  String DEFAULT_COOKIE = "__Host-curfew";

  /** The prefix this route serves. */
  String path();

  /** The policy named on the route (null: the default policy). */
  String policy();

  /**
   * {@code kind: http} (the default): a web app. The request's path is forwarded unchanged (the
   * prefix is not stripped).
   *
   * @param upstream the app, {@code http(s)://host[:port]}
   * @param policy the policy of sessions opened here by login handoff (null: the default policy)
   * @param loginPath where ended page navigations are sent; it and everything under it pass without a session (null: none)
   * @param loginHandoff whether the upstream may open sessions with a {@code Curfew-Login} response header
   * @param passivePaths requests under these never count as activity
   * @param cookie the session cookie's name
   */
  record Web(String path, URI upstream, String policy, String loginPath, boolean loginHandoff,
      List<String> passivePaths, String cookie) implements GatewayRoute {

    public Web {
      Objects.requireNonNull(path, "path");
      if (!path.startsWith("/")) throw new IllegalArgumentException("path does not start with /: " + path);
      Objects.requireNonNull(upstream, "upstream");
      if (!"http".equalsIgnoreCase(upstream.getScheme()) && !"https".equalsIgnoreCase(upstream.getScheme())
          || upstream.getHost() == null) {
        throw new IllegalArgumentException("upstream is not an http(s) URL: " + upstream);
      }
      if (loginPath != null && !loginPath.startsWith("/")) {
        throw new IllegalArgumentException("login_path does not start with /: " + loginPath);
      }
      passivePaths = List.copyOf(passivePaths);
      Objects.requireNonNull(cookie, "cookie");
      // Written as it is into Set-Cookie: anything but a token would add attributes to the cookie.
      if (!SessionCookies.isName(cookie)) throw new IllegalArgumentException("cookie is not a cookie name: " + cookie);
    }

    /** A route to {@code upstream} with no login path, no handoff, no passive paths and the default cookie. */
    public static Web of(String path, String upstream) {
      return new Web(path, URI.create(upstream), null, null, false, List.of(), DEFAULT_COOKIE);
    }

    public boolean upstreamTls() {
      return "https".equalsIgnoreCase(upstream.getScheme());
    }

    public String upstreamHost() {
      return upstream.getHost();
    }

    public int upstreamPort() {
      return upstream.getPort() > 0 ? upstream.getPort() : upstreamTls() ? 443 : 80;
    }

    /** The route's place: {@code route:<path>}, what sessions used here must have in their audience. */
    public Audience audience() {
      return Audience.route(path);
    }

    boolean isLoginPath(String requestPath) {
      return loginPath != null && under(requestPath, loginPath);
    }

    boolean isPassive(String requestPath) {
      for (String p : passivePaths) {
        if (under(requestPath, p)) return true;
      }
      return false;
    }
  }

  /**
   * {@code kind: mcp}: an MCP server (Streamable HTTP transport), served by module
   * curfew-gateway-mcp; sessions need {@code mcp:<path>} in their audience ({@link McpRoute#audience}).
   *
   * @param route the path, upstream endpoint, active methods, {@code busy_is_activity} and allowed origins
   * @param policy the route's {@code policy}, checked against {@code policies} (null: the default
   *     policy); agents' sessions are opened through the API, which names its own
   */
  record Mcp(McpRoute route, String policy) implements GatewayRoute {
    public Mcp {
      Objects.requireNonNull(route, "route");
    }

    @Override
    public String path() {
      return route.path();
    }
  }

  /** Whether {@code requestPath} is {@code prefix} or lies under it, segment-aligned. */
  static boolean under(String requestPath, String prefix) {
    if (prefix.equals("/")) return requestPath.startsWith("/");
    String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    return requestPath.startsWith(p) && (requestPath.length() == p.length() || requestPath.charAt(p.length()) == '/');
  }

  /** The route serving {@code requestPath}: the longest matching prefix; null when none does. */
  static GatewayRoute match(List<GatewayRoute> routes, String requestPath) {
    GatewayRoute best = null;
    for (GatewayRoute r : routes) {
      if (under(requestPath, r.path()) && (best == null || r.path().length() > best.path().length())) best = r;
    }
    return best;
  }
}

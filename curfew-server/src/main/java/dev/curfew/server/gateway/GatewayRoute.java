package dev.curfew.server.gateway;

import dev.curfew.gateway.mcp.McpRoute;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One route of the gateway (spec/cli-and-config.md, {@code gateway.routes[]}). Paths are matched
 * by segment-aligned prefix: {@code /app} covers {@code /app} and {@code /app/x}, not {@code /apple}.
 * The request's path is forwarded unchanged (the prefix is not stripped).
 *
 * @param path the prefix this route serves; the longest matching prefix wins
 * @param upstreamHost host of the upstream app
 * @param upstreamPort its port
 * @param upstreamTls whether the upstream is https
 * @param policy the policy of sessions opened here by login handoff (null: the default policy)
 * @param loginPath where ended page navigations are sent; it and everything under it pass without a session (null: none)
 * @param loginHandoff whether the upstream may open sessions with a {@code Curfew-Login} response header
 * @param passivePaths requests under these never count as activity
 * @param cookie the session cookie's name
 * @param mcp on a {@code kind: mcp} route, the MCP server behind it (module curfew-gateway-mcp); null on a web route
 */
public record GatewayRoute(String path, String upstreamHost, int upstreamPort, boolean upstreamTls, String policy,
    String loginPath, boolean loginHandoff, List<String> passivePaths, String cookie, McpRoute mcp) {

  public GatewayRoute {
    Objects.requireNonNull(path, "path");
    if (!path.startsWith("/")) throw new IllegalArgumentException("path does not start with /: " + path);
    if (loginPath != null && !loginPath.startsWith("/")) {
      throw new IllegalArgumentException("login_path does not start with /: " + loginPath);
    }
    passivePaths = List.copyOf(passivePaths);
    Objects.requireNonNull(cookie, "cookie");
  }

  /** A route as {@code CurfewConfig} parsed it. */
  @SuppressWarnings("unchecked")
  public static GatewayRoute fromConfig(Map<String, Object> r) {
    URI u = URI.create((String) r.get("upstream"));
    boolean tls = "https".equalsIgnoreCase(u.getScheme());
    int port = u.getPort() > 0 ? u.getPort() : tls ? 443 : 80;
    McpRoute mcp = !"mcp".equals(r.get("kind")) ? null : new McpRoute((String) r.get("path"), u,
        java.util.Set.copyOf((List<String>) r.getOrDefault("active_methods", McpRoute.DEFAULT_ACTIVE_METHODS)),
        !Boolean.FALSE.equals(r.get("busy_is_activity")), (List<String>) r.getOrDefault("allowed_origins", List.of()));
    return new GatewayRoute((String) r.get("path"), u.getHost(), port, tls, (String) r.get("policy"),
        (String) r.get("login_path"), Boolean.TRUE.equals(r.get("login_handoff")),
        (List<String>) r.getOrDefault("passive_paths", List.of()), (String) r.getOrDefault("cookie", "__Host-curfew"), mcp);
  }

  /** Whether {@code requestPath} is {@code prefix} or lies under it, segment-aligned. */
  static boolean under(String requestPath, String prefix) {
    if (prefix.equals("/")) return requestPath.startsWith("/");
    String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    return requestPath.startsWith(p) && (requestPath.length() == p.length() || requestPath.charAt(p.length()) == '/');
  }

  /** The route's place: {@code route:<path>}, what sessions used here must have in their audience. */
  public dev.curfew.core.Audience audience() {
    return dev.curfew.core.Audience.route(path);
  }

  boolean serves(String requestPath) {
    return under(requestPath, path);
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

  /** The route serving {@code requestPath}: the longest matching prefix; null when none does. */
  static GatewayRoute match(List<GatewayRoute> routes, String requestPath) {
    GatewayRoute best = null;
    for (GatewayRoute r : routes) {
      if (r.serves(requestPath) && (best == null || r.path.length() > best.path.length())) best = r;
    }
    return best;
  }
}

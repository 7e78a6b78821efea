package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.gateway.mcp.McpRoute;
import dev.curfew.server.gateway.GatewayRoute;
import java.net.URI;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code gateway.routes} parsed once, at load, into typed routes: a web route or an MCP route, nothing in between. */
class GatewayRoutesConfigTest {
  private static final String POLICIES = "policies:\n  default: {idle_timeout: 15m, absolute_timeout: 12h}\n"
      + "  strict: {idle_timeout: 5m, absolute_timeout: 1h}\n";

  private static List<GatewayRoute> routes(String yaml) {
    return CurfewConfig.parse(POLICIES + "gateway:\n  routes:\n" + yaml).gateway().routes();
  }

  private static String keyOf(String yaml) {
    try {
      routes(yaml);
    } catch (ConfigException e) {
      return e.key();
    }
    throw new AssertionError("accepted: " + yaml);
  }

  @Test
  void aWebRouteHoldsItsValues_withTheDefaultsForWhatIsLeftOut() {
    List<GatewayRoute> rs = routes("""
            - path: /app
              upstream: https://app.internal
              policy: strict
              login_path: /app/login
              login_handoff: true
              passive_paths: [/app/poll, /app/beacon]
              cookie: __Host-app
            - {path: /, upstream: "http://127.0.0.1:3000/"}
        """);
    assertThat(rs.get(0)).isEqualTo(new GatewayRoute.Web("/app", URI.create("https://app.internal"), "strict",
        "/app/login", true, List.of("/app/poll", "/app/beacon"), "__Host-app"));
    GatewayRoute.Web app = (GatewayRoute.Web) rs.get(0);
    assertThat(app.upstreamTls()).isTrue();
    assertThat(app.upstreamHost()).isEqualTo("app.internal");
    assertThat(app.upstreamPort()).isEqualTo(443);
    assertThat(rs.get(1)).isEqualTo(new GatewayRoute.Web("/", URI.create("http://127.0.0.1:3000/"), null, null, false,
        List.of(), GatewayRoute.DEFAULT_COOKIE));
    assertThat(((GatewayRoute.Web) rs.get(1)).upstreamPort()).isEqualTo(3000);
  }

  @Test
  void anMcpRouteHoldsTheMcpGatewaysRouteAndItsPolicy() {
    GatewayRoute r = routes("""
            - path: /agents
              kind: mcp
              upstream: http://127.0.0.1:9000/mcp
              policy: strict
              active_methods: [tools/call]
              busy_is_activity: false
              allowed_origins: ["https://ui.example"]
        """).get(0);
    assertThat(r).isEqualTo(new GatewayRoute.Mcp(new McpRoute("/agents", URI.create("http://127.0.0.1:9000/mcp"),
        Set.of("tools/call"), false, List.of("https://ui.example")), "strict"));
    assertThat(r.path()).isEqualTo("/agents");
    assertThat(r.policy()).isEqualTo("strict");
  }

  @Test
  void anUpstreamThePatternAdmitsButThatHasNoHost_isRefusedAtLoad() {
    // An underscore is no host name to java.net.URI: such a route used to load and fail on its first request.
    assertThat(keyOf("    - {path: /, upstream: \"http://app_1:8080\"}\n")).isEqualTo("gateway.routes[0].upstream");
    assertThat(keyOf("    - {path: /mcp, kind: mcp, upstream: \"http://mcp_1:9000/mcp\"}\n"))
        .isEqualTo("gateway.routes[0].upstream");
    assertThat(keyOf("    - {path: /, upstream: \"http://[::1:80\"}\n")).isEqualTo("gateway.routes[0].upstream");
  }

  @Test
  void passivePathsMustBeAList() {
    // A mapping here used to end the load with a NullPointerException, a string was silently ignored.
    assertThat(keyOf("    - {path: /, upstream: \"http://h:1\", passive_paths: /poll}\n"))
        .isEqualTo("gateway.routes[0].passive_paths");
    assertThat(keyOf("    - {path: /, upstream: \"http://h:1\", passive_paths: {a: /poll}}\n"))
        .isEqualTo("gateway.routes[0].passive_paths");
    assertThat(keyOf("    - {path: /, upstream: \"http://h:1\", passive_paths: [/ok, 7]}\n"))
        .isEqualTo("gateway.routes[0].passive_paths[1]");
  }

  @Test
  void aCookieThatIsNoRfc6265CookieName_isRefusedAtLoad() {
    // Written verbatim into Set-Cookie, this one gave the cookie a Domain and put the token in an attribute.
    assertThat(keyOf("    - {path: /, upstream: \"http://h:1\", cookie: \"bad;Domain=evil.example; x\"}\n"))
        .isEqualTo("gateway.routes[0].cookie");
    for (String bad : List.of("", "a b", "a=b", "a,b", "a\\\"b", "(a)", "a/b", "a\\tb", "caf\\u00e9")) {
      assertThat(keyOf("    - {path: /, upstream: \"http://h:1\", cookie: \"" + bad + "\"}\n")).as(bad)
          .isEqualTo("gateway.routes[0].cookie");
    }
    assertThatThrownBy(() -> routes("    - {path: /, upstream: \"http://h:1\", cookie: \"a;b\"}\n"))
        .hasMessage("gateway.routes[0].cookie: \"a;b\" is not a cookie name: an RFC 6265 token"
            + " (letters, digits and !#$%&'*+-.^_`|~)");
    assertThat(((GatewayRoute.Web) routes("    - {path: /, upstream: \"http://h:1\", cookie: \"sid.v2!#$%&'*+-^_`|~\"}\n")
        .get(0)).cookie()).isEqualTo("sid.v2!#$%&'*+-^_`|~");
  }

  @Test
  void theTypedRoutesRefuseWhatTheyCannotHold() {
    assertThatThrownBy(() -> GatewayRoute.Web.of("app", "http://h:1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GatewayRoute.Web.of("/", "ftp://h:1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new GatewayRoute.Mcp(null, null)).isInstanceOf(NullPointerException.class);
  }
}

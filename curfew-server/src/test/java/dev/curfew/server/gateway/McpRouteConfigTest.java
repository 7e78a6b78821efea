package dev.curfew.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.gateway.mcp.McpRoute;
import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import org.junit.jupiter.api.Test;

/** {@code kind: mcp} routes as the configuration reads them (spec/protocol-gateways.md, "Configuration"). */
class McpRouteConfigTest {
  private static GatewayRoute route(String yaml) {
    return CurfewConfig.parse("gateway:\n  routes:\n" + yaml).gateway().routes().get(0);
  }

  private static McpRoute mcp(String yaml) {
    return ((GatewayRoute.Mcp) route(yaml)).route();
  }

  @Test
  void anMcpRouteTakesTheSpecsActiveMethodsUnlessItNamesItsOwn() {
    assertThat(route("    - {path: /mcp, kind: mcp, upstream: \"http://127.0.0.1:9000/mcp\"}\n"))
        .isInstanceOf(GatewayRoute.Mcp.class);
    McpRoute r = mcp("    - {path: /mcp, kind: mcp, upstream: \"http://127.0.0.1:9000/mcp\"}\n");
    assertThat(r.activeMethods()).containsExactlyInAnyOrderElementsOf(McpRoute.DEFAULT_ACTIVE_METHODS);
    assertThat(r.busyIsActivity()).isTrue();
    assertThat(r.upstream().getPath()).isEqualTo("/mcp");
    assertThat(r.audience().entries()).containsExactly("mcp:/mcp");

    McpRoute own = mcp("    - {path: /agents, kind: mcp, upstream: \"http://127.0.0.1:9000/\","
        + " active_methods: [tools/call], busy_is_activity: false}\n");
    assertThat(own.activeMethods()).containsExactly("tools/call");
    assertThat(own.busyIsActivity()).isFalse();

    assertThat(route("    - {path: /, upstream: \"http://127.0.0.1:9000\"}\n")).isInstanceOf(GatewayRoute.Web.class);
    assertThat(r.allowedOrigins()).isEmpty();
  }

  @Test
  void allowedOriginsAreOriginsOfAnMcpRoute() {
    McpRoute r = mcp("    - {path: /mcp, kind: mcp, upstream: \"http://127.0.0.1:9000/mcp\","
        + " allowed_origins: [\"https://Agents.Example\", \"http://127.0.0.1:8080\"]}\n");
    assertThat(r.allowedOrigins()).containsExactly("https://agents.example:443", "http://127.0.0.1:8080");
    assertThatThrownBy(() -> route("    - {path: /mcp, kind: mcp, upstream: \"http://h:1/mcp\","
        + " allowed_origins: [\"https://agents.example/app\"]}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.routes[0].allowed_origins")
        .hasMessageContaining("not an origin");
    assertThatThrownBy(() -> route("    - {path: /mcp, kind: mcp, upstream: \"http://h:1/mcp\", allowed_origins: \"*\"}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.routes[0].allowed_origins");
    assertThatThrownBy(() -> route("    - {path: /, upstream: \"http://h:1\", allowed_origins: [\"https://a.example\"]}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.routes[0].allowed_origins");
  }

  @Test
  void keysOfTheOtherKindAndUnknownKindsAreRefusedByName() {
    assertThatThrownBy(() -> route("    - {path: /mcp, kind: grpc, upstream: \"http://h:1\"}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.routes[0].kind");
    assertThatThrownBy(() -> route("    - {path: /mcp, kind: mcp, upstream: \"http://h:1/mcp\", login_path: /login}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.routes[0].login_path");
    assertThatThrownBy(() -> route("    - {path: /, upstream: \"http://h:1\", active_methods: [tools/call]}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.routes[0].active_methods");
    assertThatThrownBy(() -> route("    - {path: /, upstream: \"http://h:1/app\"}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.routes[0].upstream");
    assertThatThrownBy(() -> route("    - {path: /mcp, kind: mcp, upstream: \"http://h:1/mcp\", active_methods: [\"\"]}\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("gateway.routes[0].active_methods");
  }
}

package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code gateway.trusted_proxies}, and route paths that the gateway's own screening would refuse. */
class GatewayPathsConfigTest {
  private static final String ROUTE = "{path: /, upstream: \"http://127.0.0.1:3000\", login_path: /login}";

  @Test
  void trustedProxiesAreNoneByDefault_andCidrsOrAddresses() {
    assertThat(CurfewConfig.parse("gateway: {routes: [" + ROUTE + "]}").gateway().trustedProxies()).isEmpty();
    CurfewConfig c = CurfewConfig.parse("gateway:\n  trusted_proxies: [127.0.0.1/32, 10.0.0.0/8, \"::1\", \"fd00::/8\"]\n"
        + "  routes: [" + ROUTE + "]\n");
    assertThat(c.gateway().trustedProxies()).containsExactly("127.0.0.1/32", "10.0.0.0/8", "::1", "fd00::/8");
    assertThat(c.rateLimits().trustedProxies()).as("the API port's list is its own").isEmpty();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "gateway: {trusted_proxies: [proxy.internal]}|gateway.trusted_proxies|\"proxy.internal\"",
      "gateway: {trusted_proxies: [10.0.0.0/33]}|gateway.trusted_proxies|0-32",
      "gateway: {trusted_proxies: [10.0.0.0/x]}|gateway.trusted_proxies|10.0.0.0/x",
      "gateway: {trusted_proxies: [1]}|gateway.trusted_proxies|strings",
      "gateway: {trusted_proxies: 10.0.0.0/8}|gateway.trusted_proxies|",
      "gateway: {routes: [{path: /app/../x, upstream: \"http://h:1\"}]}|gateway.routes[0].path|dot segment",
      "gateway: {routes: [{path: /app;v=1, upstream: \"http://h:1\"}]}|gateway.routes[0].path|';'",
      "gateway: {routes: [{path: /, upstream: \"http://h:1\", login_path: /login//x}]}|gateway.routes[0].login_path|empty segment",
      "gateway: {routes: [{path: /, upstream: \"http://h:1\", login_path: login}]}|gateway.routes[0].login_path|start with /",
      "gateway: {routes: [{path: /, upstream: \"http://h:1\", passive_paths: [/ok, /a%2fb]}]}|gateway.routes[0].passive_paths[1]|encoded slash",
  })
  void badValuesAreErrorsThatNameTheKey(String yaml, String key, String says) {
    assertThatThrownBy(() -> CurfewConfig.parse(yaml))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key))
        .hasMessageContaining(says == null ? "" : says);
  }
}

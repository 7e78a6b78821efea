package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The security sections of the configuration: key scopes, TLS, rate limits. */
class SecurityConfigTest {
  private static final String SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

  @Test
  void aKeyWithoutScopesIsAdmin_asEveryKeyWasBeforeScopes() {
    CurfewConfig c = CurfewConfig.parse("api_keys:\n  - {name: old, key_sha256: \"" + SHA + "\"}\n"
        + "  - {name: reporting, key_env: REPORTING_KEY, scopes: [auditor]}\n"
        + "  - {name: edge, key_sha256: \"" + SHA + "\", scopes: [gateway, app]}\n");
    assertThat(c.apiKeys().get(0).scopes()).containsExactly("admin");
    assertThat(c.apiKeys().get(1).scopes()).containsExactly("auditor");
    assertThat(c.apiKeys().get(2).scopes()).containsExactly("gateway", "app");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "api_keys: [{name: a, key_env: A, scopes: [root]}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scopes: []}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scopes: admin}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scopes: [app, app]}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scopes: [1]}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scope: [app]}]|api_keys[0].scope",
  })
  void badValuesAreErrorsThatNameTheKey(String yaml, String key) {
    assertThatThrownBy(() -> CurfewConfig.parse(yaml))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }
}

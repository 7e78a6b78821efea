package dev.curfew.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.server.security.RateLimiter.Rate;
import dev.curfew.server.security.RateLimits;
import java.time.Duration;
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

  @Test
  void rateLimitsAreOnByDefault_andEachLimitKeepsItsDefaultsWhereLeftOut() {
    RateLimits.Settings d = CurfewConfig.parse("").rateLimits();
    assertThat(d.enabled()).isTrue();
    assertThat(d).isEqualTo(RateLimits.Settings.defaults());
    RateLimits.Settings c = CurfewConfig.parse("rate_limits:\n  open_per_subject: {limit: 5}\n"
        + "  failed_checks_per_address: {limit: 10, per: 10s}\n  trusted_proxies: [127.0.0.1, \"fd00::/8\"]\n").rateLimits();
    assertThat(c.openPerSubject()).isEqualTo(Rate.of(5, d.openPerSubject().per()));
    assertThat(c.failedChecksPerAddress()).isEqualTo(Rate.of(10, Duration.ofSeconds(10)));
    assertThat(c.openPerKey()).isEqualTo(d.openPerKey());
    assertThat(c.trustedProxies()).containsExactly("127.0.0.1", "fd00::/8");
    assertThat(CurfewConfig.parse("rate_limits: {enabled: false}").rateLimits().enabled()).isFalse();
  }

  @Test
  void tlsIsOptional_andHstsDefaultsToAYear() {
    assertThat(CurfewConfig.parse("").serverTls()).isNull();
    CurfewConfig c = CurfewConfig.parse("server:\n  tls: {cert: /etc/curfew/api.crt, key: /etc/curfew/api.key}\n"
        + "gateway:\n  port: 8443\n  security_headers: false\n  tls:\n    cert: gw.crt\n    key: gw.key\n"
        + "    hsts: {max_age: 730d, include_subdomains: true, preload: true}\n");
    assertThat(c.serverTls().certFile()).hasToString("/etc/curfew/api.crt");
    assertThat(c.serverTls().keyFile()).hasToString("/etc/curfew/api.key");
    assertThat(c.serverTls().hsts().header()).isEqualTo("max-age=31536000");
    assertThat(c.gateway().tls().hsts().header()).isEqualTo("max-age=63072000; includeSubDomains; preload");
    assertThat(c.gateway().securityHeaders()).isFalse();
    assertThat(CurfewConfig.parse("gateway: {port: 1}").gateway().securityHeaders()).isTrue();
    assertThat(CurfewConfig.parse("gateway: {port: 1}").gateway().tls()).isNull();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "api_keys: [{name: a, key_env: A, scopes: [root]}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scopes: []}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scopes: admin}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scopes: [app, app]}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scopes: [1]}]|api_keys[0].scopes",
      "api_keys: [{name: a, key_env: A, scope: [app]}]|api_keys[0].scope",
      "rate_limits: {open_per_sujbect: {limit: 1}}|rate_limits.open_per_sujbect",
      "rate_limits: {open_per_subject: {limit: 0}}|rate_limits.open_per_subject.limit",
      "rate_limits: {open_per_subject: {limit: 5, per: soon}}|rate_limits.open_per_subject.per",
      "rate_limits: {open_per_subject: {limit: 5, per: 2d}}|rate_limits.open_per_subject",
      "rate_limits: {open_per_subject: {limit: 5, every: 1m}}|rate_limits.open_per_subject.every",
      "rate_limits: {open_per_subject: 5}|rate_limits.open_per_subject",
      "rate_limits: {enabled: yes please}|rate_limits.enabled",
      "rate_limits: {max_tracked: 10}|rate_limits.max_tracked",
      "rate_limits: {trusted_proxies: [proxy.internal]}|rate_limits.trusted_proxies",
      "rate_limits: {trusted_proxies: [10.0.0.0/40]}|rate_limits.trusted_proxies",
      "server: {tls: {cert: a.pem}}|server.tls.key",
      "server: {tls: {key: a.pem}}|server.tls.cert",
      "server: {tls: {cert: a.pem, key: b.pem, ciphers: [x]}}|server.tls.ciphers",
      "server: {tls: /etc/cert.pem}|server.tls",
      "server: {tls: {cert: a.pem, key: b.pem, hsts: {max_age: -1s}}}|server.tls.hsts.max_age",
      "server: {tls: {cert: a.pem, key: b.pem, hsts: {preload: true}}}|server.tls.hsts",
      "server: {tls: {cert: a.pem, key: b.pem, hsts: {preload: true, include_subdomains: true, max_age: 30d}}}|server.tls.hsts",
      "gateway: {tls: {cert: a.pem}}|gateway.tls.key",
      "gateway: {security_headers: sometimes}|gateway.security_headers",
  })
  void badValuesAreErrorsThatNameTheKey(String yaml, String key) {
    assertThatThrownBy(() -> CurfewConfig.parse(yaml))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo(key));
  }
}

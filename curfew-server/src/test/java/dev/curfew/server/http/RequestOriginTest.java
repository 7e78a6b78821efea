package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which cookie requests count as coming from the server's own origin (holder changes, POST /_curfew/connect). */
class RequestOriginTest {
  @Test
  void theBrowsersFetchMetadataDecidesWhenSent() {
    assertThat(RequestOrigin.isOwn("same-origin", "https://app.example", "app.example", false)).isTrue();
    // Behind a proxy that ends TLS the gateway sees plain HTTP: the browser's word still holds.
    assertThat(RequestOrigin.isOwn("same-origin", "https://app.example", "10.0.0.5:8081", false)).isTrue();
    assertThat(RequestOrigin.isOwn("none", null, "app.example", false)).isTrue();
    // Another port or subdomain of the same site: the SameSite=Lax cookie goes along, the change does not.
    assertThat(RequestOrigin.isOwn("same-site", "http://localhost:19304", "localhost:19302", false)).isFalse();
    assertThat(RequestOrigin.isOwn("same-site", "https://app.example", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn("cross-site", "https://app.example", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn("cross-site", null, "app.example", false)).isFalse();
  }

  @Test
  void withoutItTheOriginMustNameTheHostAndPort() {
    assertThat(RequestOrigin.isOwn(null, null, "app.example", false)).isTrue();
    assertThat(RequestOrigin.isOwn(null, "https://app.example", "app.example", false)).isTrue();
    assertThat(RequestOrigin.isOwn(null, "https://app.example", "app.example:443", false)).isTrue();
    assertThat(RequestOrigin.isOwn(null, "HTTPS://App.Example", "app.example", false)).isTrue();
    assertThat(RequestOrigin.isOwn(null, "http://127.0.0.1:8081", "127.0.0.1:8081", false)).isTrue();
    assertThat(RequestOrigin.isOwn(null, "http://[::1]:8081", "[::1]:8081", false)).isTrue();
    assertThat(RequestOrigin.isOwn(null, "https://evil.example", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "http://evil.example", "localhost:19302", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "http://localhost:19304", "localhost:19302", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "https://sub.app.example", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "https://app.example:8443", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "null", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "file:///x", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "https://app.example/path", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "https://user@app.example", "app.example", false)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "https://app.example", null, false)).isFalse();
  }

  @Test
  void overTlsOnlyAnHttpsOriginIsTheServersOwn() {
    assertThat(RequestOrigin.isOwn(null, "https://app.example", "app.example", true)).isTrue();
    assertThat(RequestOrigin.isOwn(null, "https://app.example:8443", "app.example:8443", true)).isTrue();
    // The plain-HTTP page on port 80 (a redirector, or one a network attacker answers) is another origin.
    assertThat(RequestOrigin.isOwn(null, "http://app.example", "app.example", true)).isFalse();
    assertThat(RequestOrigin.isOwn(null, "http://app.example:8443", "app.example:8443", true)).isFalse();
  }
}

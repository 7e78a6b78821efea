package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which cookie requests may mint a session at POST /_curfew/connect. */
class ConnectOriginTest {
  @Test
  void theBrowsersFetchMetadataDecidesWhenSent() {
    assertThat(ConnectRoutes.sameOrigin("same-origin", "https://app.example", "app.example")).isTrue();
    // Behind a proxy that ends TLS the gateway sees plain HTTP: the browser's word still holds.
    assertThat(ConnectRoutes.sameOrigin("same-origin", "https://app.example", "10.0.0.5:8081")).isTrue();
    assertThat(ConnectRoutes.sameOrigin("none", null, "app.example")).isTrue();
    assertThat(ConnectRoutes.sameOrigin("same-site", "https://app.example", "app.example")).isFalse();
    assertThat(ConnectRoutes.sameOrigin("cross-site", "https://app.example", "app.example")).isFalse();
  }

  @Test
  void withoutItTheOriginMustNameTheHostAndPort() {
    assertThat(ConnectRoutes.sameOrigin(null, null, "app.example")).isTrue();
    assertThat(ConnectRoutes.sameOrigin(null, "https://app.example", "app.example")).isTrue();
    assertThat(ConnectRoutes.sameOrigin(null, "https://app.example", "app.example:443")).isTrue();
    assertThat(ConnectRoutes.sameOrigin(null, "http://127.0.0.1:8081", "127.0.0.1:8081")).isTrue();
    assertThat(ConnectRoutes.sameOrigin(null, "https://evil.example", "app.example")).isFalse();
    assertThat(ConnectRoutes.sameOrigin(null, "https://app.example:8443", "app.example")).isFalse();
    assertThat(ConnectRoutes.sameOrigin(null, "null", "app.example")).isFalse();
    assertThat(ConnectRoutes.sameOrigin(null, "file:///x", "app.example")).isFalse();
  }
}

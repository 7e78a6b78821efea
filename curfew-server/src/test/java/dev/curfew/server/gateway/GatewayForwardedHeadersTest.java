package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the app learns about the client (issue 12, item 5): {@code X-Forwarded-*} and {@code Forwarded}
 * say what the gateway saw. A client's own are dropped, unless the peer is a trusted proxy, whose
 * chain is appended to. Path overrides ({@code X-Original-URL}) never reach the app.
 */
class GatewayForwardedHeadersTest {
  private static final String[] FORGED = {
      "X-Forwarded-For", "203.0.113.9", "X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https",
      "Forwarded", "for=203.0.113.9;host=evil.example;proto=https", "X-Real-IP", "203.0.113.9",
      "X-Forwarded-Port", "443", "X-Forwarded-Prefix", "/admin", "X-Original-URL", "/secret", "X-Rewrite-URL", "/secret",
      // what CGI, wsgiref and PHP read as the same headers (HTTP_X_FORWARDED_FOR ...)
      "X_Forwarded_For", "203.0.113.9", "x_real_ip", "203.0.113.9", "X_Original_URL", "/secret", "X-Forwarded_Host",
      "evil.example"};
  /** The spellings with an underscore among {@link #FORGED}: never forwarded, from anyone. */
  private static final List<String> UNDERSCORED = List.of("X_Forwarded_For", "x_real_ip", "X_Original_URL",
      "X-Forwarded_Host");

  private static String[] with(String token, String... more) {
    String[] all = new String[FORGED.length + 2 + more.length];
    System.arraycopy(FORGED, 0, all, 0, FORGED.length);
    all[FORGED.length] = "Cookie";
    all[FORGED.length + 1] = cookie(token);
    System.arraycopy(more, 0, all, FORGED.length + 2, more.length);
    return all;
  }

  @Test
  void fromAnUntrustedPeer_theClientsForwardingHeadersAreReplacedByWhatTheGatewaySaw() throws Exception {
    try (GatewayFixture f = new GatewayFixture()) {
      HttpResponse<String> r = f.get("/page", with(f.login("alice")));
      assertThat(r.statusCode()).isEqualTo(200);
      MultiMap h = f.lastReceived().headers();
      String host = "127.0.0.1:" + f.port;
      assertThat(h.getAll("X-Forwarded-For")).containsExactly("127.0.0.1");
      assertThat(h.getAll("X-Forwarded-Host")).containsExactly(host);
      assertThat(h.getAll("X-Forwarded-Proto")).containsExactly("http");
      assertThat(h.getAll("Forwarded")).containsExactly("for=127.0.0.1;host=\"" + host + "\";proto=http");
      for (String gone : List.of("X-Real-IP", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Original-URL", "X-Rewrite-URL")) {
        assertThat(h.get(gone)).as(gone).isNull();
      }
      for (String gone : UNDERSCORED) assertThat(h.get(gone)).as(gone).isNull();
      // the login path too: it passes without a session, and is forwarded all the same
      f.get("/login", FORGED);
      assertThat(f.lastReceived().headers().getAll("X-Forwarded-For")).containsExactly("127.0.0.1");
    }
  }

  @Test
  void fromATrustedProxy_theChainIsAppendedTo_andItsHostAndSchemeKept() throws Exception {
    try (GatewayFixture f = new GatewayFixture(Gateway.Settings.defaults().withInstances(1)
        .withUpstreamTimeout(Duration.ofSeconds(30)).withTrustedProxies(List.of("127.0.0.1/32", "10.0.0.0/8")))) {
      f.get("/page", with(f.login("bob")));
      MultiMap h = f.lastReceived().headers();
      assertThat(h.getAll("X-Forwarded-For")).containsExactly("203.0.113.9, 127.0.0.1");
      assertThat(h.get("X-Forwarded-Host")).isEqualTo("evil.example");
      assertThat(h.get("X-Forwarded-Proto")).isEqualTo("https");
      assertThat(h.getAll("Forwarded")).containsExactly("for=203.0.113.9;host=evil.example;proto=https, for=127.0.0.1;host=\"127.0.0.1:"
          + f.port + "\";proto=http");
      assertThat(h.get("X-Real-IP")).isEqualTo("203.0.113.9");
      assertThat(h.get("X-Original-URL")).as("a path override is dropped even from a trusted proxy").isNull();
      for (String gone : UNDERSCORED) assertThat(h.get(gone)).as(gone + ", even from a trusted proxy").isNull();
      // a trusted proxy's values are still checked: a scheme that is not http(s) or a bad host is replaced
      f.get("/page", "Cookie", cookie(f.login("carol")), "X-Forwarded-Proto", "gopher", "X-Forwarded-Host", "a b");
      MultiMap h2 = f.lastReceived().headers();
      assertThat(h2.get("X-Forwarded-Proto")).isEqualTo("http");
      assertThat(h2.get("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + f.port);
      assertThat(h2.getAll("X-Forwarded-For")).containsExactly("127.0.0.1");
    }
  }

  @Test
  void aProxyNotInTheListIsNotTrusted() throws Exception {
    try (GatewayFixture f = new GatewayFixture(Gateway.Settings.defaults().withInstances(1)
        .withUpstreamTimeout(Duration.ofSeconds(30)).withTrustedProxies(List.of("10.0.0.0/8", "::1")))) {
      f.get("/page", with(f.login("dave")));
      MultiMap h = f.lastReceived().headers();
      assertThat(h.getAll("X-Forwarded-For")).containsExactly("127.0.0.1");
      assertThat(h.get("X-Forwarded-Host")).isEqualTo("127.0.0.1:" + f.port);
    }
  }

  @Test
  void forwardedElements_quoteIpv6NodesAndHostsWithAPort() {
    assertThat(ForwardedHeaders.element("2001:db8::1", "app.example:8443", "https"))
        .isEqualTo("for=\"[2001:db8::1]\";host=\"app.example:8443\";proto=https");
    assertThat(ForwardedHeaders.element("unknown", null, "http")).isEqualTo("for=unknown;proto=http");
  }
}

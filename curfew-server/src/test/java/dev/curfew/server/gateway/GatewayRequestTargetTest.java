package dev.curfew.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.MalformedRequests;
import dev.curfew.server.RawExchange;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Request-target and Host tricks on a raw socket (issue 12, item 5): absolute-form, authority-form
 * and asterisk-form targets, and a Host header that is missing, repeated, a list or contradicted,
 * are 400 problems before the login exemption: the upstream sees none of them.
 */
class GatewayRequestTargetTest {
  private final GatewayFixture f = new GatewayFixture();

  @AfterEach
  void close() {
    f.close();
  }

  private RawExchange send(String head) {
    return RawExchange.send(f.port, head + "Connection: close\r\n\r\n", MalformedRequests.DEADLINE);
  }

  private void assertRefused(RawExchange r, String type, String what) {
    assertThat(r.status()).as(what + "\n" + r.head() + "\n" + r.body()).isEqualTo(400);
    assertThat(r.header("Content-Type")).as(what).startsWith("application/problem+json");
    assertThat(r.body()).as(what).contains("\"type\":\"urn:curfew:problem:" + type + "\"");
  }

  @Test
  void absoluteFormTargetsAreRefused_whateverTheirHost() {
    String self = "127.0.0.1:" + f.port;
    for (String target : List.of("http://" + self + "/login", "http://" + self + "/secret", "http://evil.example/login",
        "https://" + self + "/login", "HTTP://" + self + "/login", "http://" + self + "/login/../secret")) {
      for (String host : List.of(self, "evil.example")) {
        assertRefused(send("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n"), "request-target-refused",
            target + " with Host " + host);
      }
    }
    assertThat(f.received).isEmpty();
  }

  @Test
  void authorityAndAsteriskFormsAreRefused_exceptOptionsAsterisk() {
    assertRefused(send("CONNECT 127.0.0.1:" + f.upstreamPort + " HTTP/1.1\r\nHost: 127.0.0.1:" + f.upstreamPort + "\r\n"),
        "request-target-refused", "CONNECT");
    assertRefused(send("CONNECT /login HTTP/1.1\r\nHost: localhost\r\n"), "request-target-refused", "CONNECT /login");
    for (String method : List.of("GET", "POST", "DELETE", "HEAD")) {
      RawExchange r = send(method + " * HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n");
      assertThat(r.status()).as(method + " *").isEqualTo(400);
      if (!method.equals("HEAD")) assertThat(r.body()).contains("request-target-refused");
    }
    RawExchange options = send("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n");
    assertThat(options.status()).as(options.head()).isNotEqualTo(400).isLessThan(500);
    assertThat(f.received).isEmpty();
  }

  @Test
  void aMissingRepeatedOrMalformedHostIsRefused() {
    assertRefused(send("GET /login HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\n"), "ambiguous-host", "two Host");
    assertRefused(send("GET /login HTTP/1.1\r\nHost: localhost\r\nhost: localhost\r\n"), "ambiguous-host", "same twice");
    assertRefused(send("GET /login HTTP/1.1\r\n"), "ambiguous-host", "no Host in HTTP/1.1");
    for (String host : List.of("localhost, evil.example", "evil.example/login", "user@localhost", "localhost:80:80",
        "local host", "localhost:abc", "[::1", "%6cocalhost")) {
      assertRefused(send("GET /login HTTP/1.1\r\nHost: " + host + "\r\n"), "ambiguous-host", "Host: " + host);
    }
    assertRefused(send("GET /login HTTP/1.0\r\nHost: a\r\nHost: b\r\n"), "ambiguous-host", "two Host in HTTP/1.0");
    assertThat(f.received).isEmpty();
    for (String host : List.of("localhost", "127.0.0.1:8081", "[::1]:8081", "app.example.com")) {
      assertThat(send("GET /login HTTP/1.1\r\nHost: " + host + "\r\n").status()).as(host).isEqualTo(200);
    }
    assertThat(send("GET /login HTTP/1.0\r\n").status()).as("HTTP/1.0 without Host").isEqualTo(200);
  }
}

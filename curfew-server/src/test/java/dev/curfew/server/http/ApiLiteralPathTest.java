package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.MalformedRequests;
import dev.curfew.server.RawExchange;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The API port routes its requests itself (issue 12, item 5): a path that its router would read as
 * another path (dot segments, {@code //}, encoded unreserved characters) is refused with a 400
 * problem instead of reaching the route of its normal form; so are absolute-form targets and
 * repeated Host headers. A segment with an encoded / or ; is one parameter, as before.
 */
class ApiLiteralPathTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  private RawExchange send(String requestLine, String headers) {
    return RawExchange.send(f.port, requestLine + "\r\nHost: localhost\r\n" + headers
        + "Authorization: Bearer " + ApiFixture.KEY + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        MalformedRequests.DEADLINE);
  }

  @Test
  void aPathThatTheRouterWouldNormaliseIsRefused_notRoutedToItsNormalForm() {
    for (String target : List.of("/v1/%73essions?subject=a", "/v1/../v1/sessions?subject=a", "/v1//sessions?subject=a", "/v1/./sessions?subject=a",
        "/v1/sessions/%2e", "/x/%2e%2e/v1/sessions", "/v1/sessions%00", "/v1/policies/%64efault", "/healthz/.",
        "/v1/sessions/../policies")) {
      RawExchange r = send("GET " + target + " HTTP/1.1", "");
      assertThat(r.status()).as(target + "\n" + r.body()).isEqualTo(400);
      assertThat(r.body()).as(target).contains("urn:curfew:problem:ambiguous-path");
    }
    RawExchange list = send("GET /v1/sessions?subject=a HTTP/1.1", "");
    assertThat(list.status()).as(list.body()).isEqualTo(200);
    assertThat(send("GET /healthz HTTP/1.1", "").status()).isEqualTo(200);
  }

  @Test
  void anEncodedSlashOrSemicolonStaysInsideItsSegment() {
    // one subject, "a/b;c": revoking it is allowed and ends nothing of another subject
    f.engine.open("a/b;c", null, java.util.Map.of());
    f.engine.open("a", null, java.util.Map.of());
    RawExchange r = send("POST /v1/subjects/a%2Fb%3Bc/revoke HTTP/1.1", "");
    assertThat(r.status()).as(r.body()).isBetween(200, 299);
    assertThat(f.engine.sessionsOf("a")).hasSize(1);
  }

  @Test
  void absoluteFormAndRepeatedHostsAreRefused() {
    RawExchange abs = send("GET http://localhost/v1/sessions HTTP/1.1", "");
    assertThat(abs.status()).isEqualTo(400);
    assertThat(abs.body()).contains("request-target-refused");
    RawExchange hosts = send("GET /v1/sessions HTTP/1.1", "Host: evil.example\r\n");
    assertThat(hosts.status()).isEqualTo(400);
    assertThat(hosts.body()).contains("ambiguous-host");
  }
}

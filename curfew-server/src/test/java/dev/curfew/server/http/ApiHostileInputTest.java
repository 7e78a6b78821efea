package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Bad input is a 4xx problem: never a 5xx, never a hang, never a change of state. */
class ApiHostileInputTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    try {
      assertThat(f.call("GET", "/metrics", null).body()).doesNotContainPattern("status=\"5\\d\\d\"");
    } finally {
      f.close();
    }
  }

  private HttpResponse<String> create(String body) {
    return f.backend("POST", "/v1/sessions", body);
  }

  @Test
  void malformedJsonIs400() {
    for (String body : new String[] {"", "   ", "{", "{\"subject\":", "nul", "[]", "\"alice\"", "42", "{\"subject\":\"a\"} trailing",
        "{\"subject\":\"a\",\"subject\":\"b\"}", "{'subject':'a'}", "{\"subject\":\"a\",}"}) {
      assertProblem(create(body), 400, null);
    }
    assertThat(f.sink.lines()).isEmpty();
  }

  @Test
  void wrongTypesAndValuesAre400() {
    String[] bodies = {
        "{\"subject\":42}",
        "{\"subject\":null}",
        "{\"subject\":[\"alice\"]}",
        "{\"subject\":\"\"}",
        "{\"subject\":\"   \"}",
        "{\"subject\":\"" + "a".repeat(257) + "\"}",
        "{\"subject\":\"alice\",\"policy\":\"no-such-policy\"}",
        "{\"subject\":\"alice\",\"policy\":7}",
        "{\"subject\":\"alice\",\"attributes\":[]}",
        "{\"subject\":\"alice\",\"attributes\":\"x\"}",
        "{\"subject\":\"alice\",\"attributes\":{\"n\":1.5}}",
        "{\"subject\":\"alice\",\"attributes\":{\"n\":1e400}}",
        "{\"subject\":\"alice\",\"attributes\":{\"n\":9007199254740993}}",
        "{\"subject\":\"alice\",\"attributes\":{\"n\":null}}",
        "{\"subject\":\"\\ud800\"}",
        "{\"subject\":\"alice\",\"attributes\":{\"\\udc00\":1}}",
        "{\"subject\":\"alice\",\"attributes\":{\"a\":{\"b\":[\"\\ud83d\"]}}}",
        "{\"subject\":\"alice\",\"colour\":\"red\"}",
        "{\"subject\":\"alice\",\"attributes\":" + manyAttributes(33) + "}",
        "{\"subject\":\"alice\",\"attributes\":{\"deep\":" + "[".repeat(40) + "]".repeat(40) + "}}",
    };
    for (String body : bodies) {
      assertProblem(create(body), 400, null);
    }
    assertThat(f.sink.lines()).isEmpty();
    assertThat(f.engine.liveSessions()).isZero();
    // A surrogate pair is fine, and so are 32 attributes.
    assertThat(create("{\"subject\":\"\\ud83d\\ude00\",\"attributes\":" + manyAttributes(32) + "}").statusCode()).isEqualTo(201);
  }

  @Test
  void invalidUtf8Is400() {
    byte[] body = {'{', '"', 's', 'u', 'b', 'j', 'e', 'c', 't', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
    HttpResponse<String> r = f.send(f.request("/v1/sessions").POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .header("Authorization", "Bearer " + ApiFixture.KEY).header("Content-Type", "application/json"));
    assertProblem(r, 400, null);
  }

  @Test
  void bodiesOver64KiBAre413() {
    String big = "{\"subject\":\"alice\",\"attributes\":{\"x\":\"" + "a".repeat(70_000) + "\"}}";
    assertProblem(create(big), 413, null);
    // Without Content-Length (chunked), too.
    HttpResponse<String> r = f.send(f.request("/v1/sessions")
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
        .header("Authorization", "Bearer " + ApiFixture.KEY).header("Content-Type", "application/json"));
    assertProblem(r, 413, null);
    assertProblem(f.form("/v1/introspect", "token=" + "a".repeat(70_000)), 413, null);
    assertThat(f.sink.lines()).isEmpty();
  }

  @Test
  void unknownPathsAre404_wrongMethodsOnKnownPathsAre405() {
    assertProblem(f.call("GET", "/", null), 404, null);
    assertProblem(f.call("GET", "/v2/session", null), 404, null);
    assertProblem(f.backend("GET", "/v1/sessions/a/b/c", null), 404, null);
    assertProblem(f.call("GET", "/v1/nothing-here", null), 404, null);
    HttpResponse<String> put = f.call("PUT", "/v1/session", "{}");
    assertProblem(put, 405, null);
    assertThat(put.headers().firstValue("Allow")).hasValue("GET, DELETE");
    assertThat(f.call("GET", "/v1/sessions/s_1/x", null).statusCode()).isEqualTo(404);
    assertThat(f.call("PUT", "/v1/sessions/s_1", null).headers().firstValue("Allow")).hasValue("GET, DELETE");
    assertProblem(f.call("GET", "/v1/introspect", null), 405, null);
    assertProblem(f.call("DELETE", "/healthz", null), 405, null);
    assertProblem(f.call("PATCH", "/v1/sessions", "{}"), 405, null);
  }

  @Test
  void badTokensAndCredentialsAre401() {
    assertProblem(f.holder("GET", "/v1/session", "x".repeat(5000)), 401, "unknown");
    assertProblem(f.holder("GET", "/v1/session", "cft_" + "\u00e9".repeat(43)), 401, "unknown");
    assertProblem(f.call("GET", "/v1/session", null, "Authorization", "Bearer"), 401, "unknown");
    assertProblem(f.call("GET", "/v1/session", null, "Cookie", "__Host-curfew=\"quoted\"; ;;=;"), 401, "unknown");
    assertProblem(f.call("GET", "/v1/sessions?subject=a", null, "Authorization", "Bearer " + "k".repeat(5000)), 401, null);
    assertProblem(f.call("GET", "/v1/sessions?subject=a", null, "Authorization", "Basic " + "A".repeat(6000)), 401, null);
    assertProblem(f.call("GET", "/v1/sessions?subject=a", null, "Authorization", "Digest x"), 401, null);
    assertProblem(f.backend("POST", "/v1/check", "{\"token\":\"" + "t".repeat(5000) + "\"}"), 400, null);
  }

  @Test
  void badFormsAre400() {
    assertProblem(f.form("/v1/introspect", ""), 400, null);
    assertProblem(f.form("/v1/introspect", "token=a&token=b"), 400, null);
    assertProblem(f.form("/v1/revoke", "nothing=1"), 400, null);
    assertThat(f.form("/v1/introspect", "token=" + "t".repeat(9000)).statusCode()).isIn(400, 413);
    assertThat(f.form("/v1/introspect", "token=%zz").statusCode()).isIn(200, 400);
    StringBuilder many = new StringBuilder("token=x");
    for (int i = 0; i < 2000; i++) many.append("&f").append(i).append("=1");
    assertThat(f.form("/v1/introspect", many.toString()).statusCode()).isIn(200, 400, 413);
    HttpResponse<String> json = f.backend("POST", "/v1/introspect", "{\"token\":5}");
    assertProblem(json, 400, null);
  }

  @Test
  void badPercentEncodingIs400or404() {
    int status = rawStatus("GET /v1/sessions/%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ApiFixture.KEY
        + "\r\nConnection: close\r\n\r\n");
    assertThat(status).isIn(400, 404);
    assertThat(rawStatus("GET /v1/audit?limit=%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ApiFixture.KEY
        + "\r\nConnection: close\r\n\r\n")).isEqualTo(400);
  }

  @Test
  void overlongRequestLineAndHeadersAreRefused() {
    assertThat(rawStatus("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n")).isIn(414, 400, -1);
    assertThat(rawStatus("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(40_000) + "\r\n\r\n")).isIn(431, 400, -1);
  }

  @Test
  void garbageBytesOnARawSocketGetA4xxOrAClosedConnection() {
    Random random = new Random(42);
    for (int i = 0; i < 20; i++) {
      byte[] junk = new byte[1 + random.nextInt(2000)];
      random.nextBytes(junk);
      int status = raw(junk);
      assertThat(status).as("status for junk #%d", i).isIn(-1, 400, 414, 431);
    }
    assertThat(raw("\r\n\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).isIn(-1, 400);
    assertThat(raw("GET\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).isIn(-1, 400);
    assertThat(raw("POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
        .isIn(-1, 400);
    assertThat(raw("POST /v1/sessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n".getBytes(StandardCharsets.US_ASCII)))
        .isIn(-1, 400, 401);
    // The server still answers afterwards.
    assertThat(f.call("GET", "/healthz", null).statusCode()).isEqualTo(200);
  }

  @Test
  void aBodyShorterThanItsContentLength_isAnswered408_thenTheConnectionIsClosed() throws IOException {
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      // generous: the deadline, plus a loaded machine's delay
      s.setSoTimeout((int) ApiServer.BODY_TIMEOUT.toMillis() + 20_000);
      OutputStream out = s.getOutputStream();
      long sent = System.nanoTime();
      out.write(("POST /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ApiFixture.KEY
          + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"subj").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1); // to the close
      long waitedMs = (System.nanoTime() - sent) / 1_000_000;
      assertThat(answer).startsWith("HTTP/1.1 408 ").containsIgnoringCase("connection: close")
          .containsIgnoringCase("content-type: application/problem+json").containsIgnoringCase("cache-control: no-store")
          .contains("urn:curfew:problem:request-timeout").contains("Content-Length");
      assertThat(waitedMs).as("not before the deadline").isGreaterThanOrEqualTo(ApiServer.BODY_TIMEOUT.toMillis() - 100);
    }
    assertThat(f.sink.lines()).noneMatch(l -> l.contains("session.created"));
    assertThat(f.call("GET", "/healthz", null).statusCode()).isEqualTo(200);
  }

  private int rawStatus(String request) {
    return raw(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Sends bytes on a fresh socket; the status code of the answer, or -1 when the server just closes. */
  private int raw(byte[] bytes) {
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(bytes);
        out.flush();
        s.shutdownOutput();
      } catch (IOException closedEarly) {
        // The server may hang up before it has read everything.
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      byte[] buf = new byte[4096];
      try {
        for (int n; (n = in.read(buf)) >= 0; ) got.write(buf, 0, n);
      } catch (java.net.SocketException reset) {
        // a reset is a closed connection
      }
      String text = got.toString(StandardCharsets.ISO_8859_1);
      if (!text.startsWith("HTTP/1.")) return -1;
      int status = Integer.parseInt(text.substring(9, 12));
      if (status >= 400) assertThat(text).containsIgnoringCase("cache-control: no-store");
      return status;
    } catch (SocketTimeoutException hang) {
      throw new AssertionError("the server neither answered nor closed within 5 s");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String manyAttributes(int n) {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
    return b.append('}').toString();
  }
}

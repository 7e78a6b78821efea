package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every API answer, success or problem, routed or not, tells browsers not to sniff, frame or refer it. */
class ApiSecurityHeadersTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void everyAnswerCarriesTheHeaders_andNoHstsOverPlainHttp() {
    ApiFixture.Created s = f.open("alice");
    List<HttpResponse<String>> answers = List.of(
        f.holder("GET", "/v1/session", s.token()),
        f.call("GET", "/v1/session", null),
        f.call("GET", "/v1/audit", null),
        f.call("GET", "/v1/audit", null, "Authorization", "Bearer " + ApiFixture.GATEWAY_KEY),
        f.call("GET", "/no/such/thing", null),
        f.call("PATCH", "/v1/session", null),
        f.call("GET", "/healthz", null),
        f.call("GET", "/metrics", null));
    assertThat(answers).extracting(HttpResponse::statusCode).containsExactly(200, 401, 401, 403, 404, 405, 200, 200);
    for (HttpResponse<String> r : answers) {
      assertThat(r.headers().firstValue("X-Content-Type-Options")).as("%s", r.uri()).hasValue("nosniff");
      assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
      assertThat(r.headers().firstValue("Content-Security-Policy")).hasValue("default-src 'none'; frame-ancestors 'none'");
      assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
      assertThat(r.headers().firstValue("Strict-Transport-Security")).isEmpty();
    }
  }

  @Test
  void anUnparseableRequestsProblemCarriesThemToo() throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String head = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      assertThat(head).matches("(?s)HTTP/1.[01] 414 .*").contains("X-Frame-Options: DENY", "X-Content-Type-Options: nosniff");
    }
  }
}

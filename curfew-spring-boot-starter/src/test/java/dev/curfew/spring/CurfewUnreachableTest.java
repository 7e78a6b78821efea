package dev.curfew.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.Json;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** With Curfew out of reach, a signed-in request is refused (503), never let through unchecked. */
@SpringBootTest(classes = StarterTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class CurfewUnreachableTest {
  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void nowhere(DynamicPropertyRegistry registry) throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    int port = closed;
    registry.add("curfew.url", () -> "http://127.0.0.1:" + port);
    registry.add("curfew.api-key", () -> "unused-key");
  }

  @Test
  void aSignedInRequestFailsClosed() {
    BrowserLike browser = new BrowserLike(port);
    assertThat(browser.login("alice", "wonderland").statusCode()).isEqualTo(302);
    HttpResponse<String> me = browser.get("/me", "application/json");
    assertThat(me.statusCode()).isEqualTo(503);
    assertThat(Json.parseObject(me.body())).containsEntry("type", "urn:curfew:problem:unavailable");
    assertThat((String) Json.parseObject(me.body()).get("detail")).contains("ConnectException").doesNotEndWith("null");
    HttpResponse<String> page = browser.get("/me", "text/html");
    assertThat(page.statusCode()).isEqualTo(503);
  }
}

package dev.curfew.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.curfew.core.Decision;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Whole requests to a real gateway in front of a real upstream, built by the fuzzer (method, path,
 * session cookie or token or garbage, client-sent {@code X-Curfew-*} and other headers, body):
 * never a 500 (502 and 504 are the documented answers for an upstream that is down or silent),
 * never a hang, and the upstream never receives the session cookie or an {@code X-Curfew-*} header
 * other than the identity of the session the gateway verified.
 */
class GatewayFuzzTest {
  private static final GatewayFixture F = new GatewayFixture();
  private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"};
  private static final String[] PATHS = {"/", "/page", "/login", "/login/../admin", "/login?as=", "/api/poll",
      "/strict", "/strict/login-other", "/down", "/slow", "/stream", "/_curfew/curfew.js", "/_curfew/session",
      "/_curfew/session/extend", "/_curfew/session/activity", "/_curfew/session/warning-ack", "/_curfew/session/events",
      "/_curfew/other", "/%2e%2e/x", "//double"};
  private static final String[] CURFEW_HEADERS = {"X-Curfew-Subject", "X-Curfew-Session-Id", "X-Curfew-Expires-At",
      "x-curfew-passive", "X-CURFEW-ANYTHING"};

  private static String liveToken;
  private static String liveSessionId;

  private static synchronized void refreshSession() {
    if (liveToken != null && F.engine.check(liveToken, false).allowed()) return;
    Decision d = F.engine.open("fuzz-user", null, Map.of(),
        dev.curfew.core.Audience.of("route:/", "route:/strict", "route:/down"), "app-backend");
    d.durable().join();
    liveToken = d.token();
    liveSessionId = d.status().sessionId();
  }

  @FuzzTest
  void anyRequest_neither500sNorHangs_norLeaksToTheUpstream(FuzzedDataProvider data) throws IOException {
    BugDetectors.allowNetworkConnections((host, port) -> (port == F.port || port == F.upstreamPort)
        && (host.equals("127.0.0.1") || host.equals("localhost")));
    refreshSession();
    F.received.clear();
    String path = data.pickValue(PATHS);
    if (data.consumeBoolean()) path += urlish(data.consumeString(60));
    StringBuilder head = new StringBuilder(data.pickValue(METHODS) + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    switch (data.consumeInt(0, 3)) {
      case 0 -> head.append("Cookie: ").append(GatewayFixture.COOKIE).append('=').append(liveToken).append("; theme=dark\r\n");
      case 1 -> head.append("Authorization: Bearer ").append(liveToken).append("\r\n");
      case 2 -> head.append("Cookie: ").append(headerish(data.consumeString(100))).append("\r\n");
      default -> { }
    }
    int extra = data.consumeInt(0, 3);
    for (int i = 0; i < extra; i++) {
      String name = data.consumeBoolean() ? data.pickValue(CURFEW_HEADERS) : tokenish(data.consumeString(20));
      if (!name.isEmpty()) head.append(name).append(": ").append(headerish(data.consumeString(60))).append("\r\n");
    }
    if (data.consumeBoolean()) head.append("Sec-Fetch-Site: ").append(data.consumeBoolean() ? "cross-site" : "same-origin").append("\r\n");
    byte[] body = data.consumeRemainingAsBytes();
    head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    int status = exchange(head.toString().getBytes(StandardCharsets.UTF_8), body);
    assertThat(status).as("%s", head).isNotEqualTo(500).isLessThan(600);
    if (status >= 500) assertThat(status).as("%s", head).isIn(502, 503, 504);
    for (GatewayFixture.Received r : drained()) {
      String cookies = String.join("; ", r.headers().getAll("Cookie"));
      assertThat(cookies).as("cookie forwarded upstream for %s", head).doesNotContain(GatewayFixture.COOKIE + "=");
      for (String name : r.headers().names()) {
        if (!name.regionMatches(true, 0, "x-curfew-", 0, 9)) continue;
        assertThat(name.toLowerCase(java.util.Locale.ROOT)).as("%s reached the upstream for %s", name, head)
            .isIn("x-curfew-subject", "x-curfew-session-id", "x-curfew-expires-at");
        if (name.equalsIgnoreCase("x-curfew-subject")) assertThat(r.headers().getAll(name)).containsExactly("fuzz-user");
        if (name.equalsIgnoreCase("x-curfew-session-id")) assertThat(r.headers().getAll(name)).containsExactly(liveSessionId);
      }
    }
  }

  private static List<GatewayFixture.Received> drained() {
    List<GatewayFixture.Received> out = new ArrayList<>();
    F.received.drainTo(out);
    return out;
  }

  private static int exchange(byte[] head, byte[] body) throws IOException {
    try (Socket s = new Socket("127.0.0.1", F.port)) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write(head);
      out.write(body);
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b; (b = in.read()) != -1 && b != '\n'; ) line.write(b);
      String status = line.toString(StandardCharsets.ISO_8859_1);
      if (status.isEmpty()) return 0;
      assertThat(status).startsWith("HTTP/1.1 ");
      return Integer.parseInt(status.substring(9, 12));
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no answer within 15 s (a hang) to:\n" + new String(head, StandardCharsets.UTF_8), e);
    }
  }

  private static String urlish(String s) {
    return s.replaceAll("[\\s\\x00-\\x1f\\x7f]", "");
  }

  private static String headerish(String s) {
    return s.replaceAll("[\\r\\n]", "");
  }

  private static String tokenish(String s) {
    return s.replaceAll("[^!#$%&'*+\\-.^_`|~0-9A-Za-z]", "");
  }
}

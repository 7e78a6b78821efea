package dev.curfew.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.MalformedRequests;
import dev.curfew.server.RawExchange;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * No request goes unanswered on the gateway port (issue 12, item 4): every kind of malformed request
 * to every route, with a session or without, is answered within the deadline (a 4xx problem, or the
 * upstream's answer where only the body is odd and the request was admitted); and connections that
 * never complete a request head, or sit idle between requests, are closed instead of held forever.
 */
class GatewayUnansweredTest {
  private static final Duration HEADER_TIMEOUT = Duration.ofMillis(800);
  private static final Duration IDLE_TIMEOUT = Duration.ofMillis(1500);

  private final GatewayFixture f = new GatewayFixture(Gateway.Settings.defaults().withInstances(2)
      .withUpstreamTimeout(Duration.ofSeconds(3)).withConnectionDeadlines(HEADER_TIMEOUT, IDLE_TIMEOUT));

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void everyRouteAnswersEveryMalformedRequest_withASessionOrWithout() {
    String session = "Cookie: " + GatewayFixture.cookie(f.login("alice")) + "\r\n";
    int n = MalformedRequests.assertAllAnswered(f.port, List.of("/", "/secret", "/login", "/login/x", "/strict/page",
            "/api/poll", "/_curfew/session", "/_curfew/session/extend", "/_curfew/session/warning-ack",
            "/_curfew/curfew.js", "/_curfew/nope"),
        List.of("POST", "PUT", "DELETE", "GET"), List.of("", session), true, true);
    assertThat(n).isGreaterThan(1000);
  }

  @Test
  void aMalformedQueryIsRefusedBeforeTheUpstream() throws Exception {
    RawExchange r = RawExchange.send(f.port, "PUT /login?a=% HTTP/1.1\r\nHost: localhost\r\n"
        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=b",
        MalformedRequests.DEADLINE);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    assertThat(f.received).isEmpty();
  }

  @Test
  void aHalfSentRequestHeadIsClosedAfterTheHeaderTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      OutputStream out = s.getOutputStream();
      out.write("GET /secret HTTP/1.1\r\nHost: localhost\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertClosedWithin(s, Duration.ofSeconds(10));
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAfterTheHeaderTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      assertClosedWithin(s, Duration.ofSeconds(10));
    }
  }

  @Test
  void aKeptAliveConnectionIsClosedWhenIdleBetweenRequests() throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      OutputStream out = s.getOutputStream();
      out.write("GET /_curfew/curfew.js HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      s.setSoTimeout(5000);
      byte[] head = new byte[12];
      int got = 0;
      while (got < head.length) {
        int n = in.read(head, got, head.length - got);
        if (n < 0) break;
        got += n;
      }
      assertThat(new String(head, 0, got, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 ");
      assertClosedWithin(s, Duration.ofSeconds(10));
    }
  }

  @Test
  void aConnectionKeptBusyOutlivesItsFirstDeadline_thenClosesWhenIdle() throws Exception {
    // The timer armed at connect (header timeout) is not cancelled by the requests that follow: when
    // it fires, the idle deadline set by the last answer has moved on, and the connection stays.
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      s.setSoTimeout(5000);
      long until = System.nanoTime() + HEADER_TIMEOUT.toNanos() * 2;
      int answered = 0;
      while (System.nanoTime() < until) {
        s.getOutputStream().write("GET /_curfew/curfew.js HTTP/1.1\r\nHost: localhost\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200");
        answered++;
        Thread.sleep(200);
      }
      assertThat(answered).isGreaterThan(3);
      assertClosedWithin(s, Duration.ofSeconds(10));
    }
  }

  /** One response with a Content-Length body, read whole so that the next one starts clean. */
  private static String readResponse(InputStream in) throws java.io.IOException {
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) throw new java.io.EOFException("closed after " + head);
      head.append((char) b);
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
    in.readNBytes(length);
    return head.toString();
  }

  @Test
  void aRefusedWebSocketUpgradeLeavesTheConnectionUnderTheIdleDeadline() throws Exception {
    // Asking for an upgrade that is then refused (no session here) must not exempt the connection
    // from the deadlines for ever: only an upgrade that happened (101) is its session's to end.
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      s.setSoTimeout(10_000);
      byte[] head = in.readNBytes(12);
      assertThat(new String(head, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 ").doesNotContain("101");
      assertClosedWithin(s, Duration.ofSeconds(15));
    }
  }

  @Test
  void aQuietStreamOutlivesTheDeadlines() throws Exception {
    String token = f.login("alice");
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /stream HTTP/1.1\r\nHost: localhost\r\nCookie: " + GatewayFixture.cookie(token) + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      s.setSoTimeout(5000);
      long until = System.nanoTime() + (HEADER_TIMEOUT.toNanos() + IDLE_TIMEOUT.toNanos()) * 2;
      long bytes = 0;
      byte[] buf = new byte[4096];
      // The upstream streams ticks for as long as the exchange lives: reading past both deadlines
      // shows that a request in flight is not cut by them.
      while (System.nanoTime() < until) {
        int n = in.read(buf);
        assertThat(n).as("the stream was cut after " + bytes + " bytes").isPositive();
        bytes += n;
      }
      assertThat(bytes).isPositive();
    }
  }

  private static void assertClosedWithin(Socket s, Duration bound) throws Exception {
    s.setSoTimeout((int) bound.toMillis());
    long start = System.nanoTime();
    try {
      int b = s.getInputStream().read();
      while (b >= 0) b = s.getInputStream().read();
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the connection was still open after " + bound);
    } catch (java.net.SocketException reset) {
      // closed by the server: what we wait for
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(bound);
  }
}

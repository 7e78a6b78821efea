package dev.curfew.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.ManualClock;
import dev.curfew.gateway.mcp.testing.SdkMcpServer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The gateway's own answers, over plain HTTP: what an SDK would never send, and the warning on the GET stream. */
class McpGatewayHttpTest {
  private static final String LIST = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
  private static final String ECHO = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
      + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}";

  @Test
  void anMcpSessionIdOfAnotherSessionIsRefusedAndAnUnknownOneIsNotFound() {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      RawMcp raw = new RawMcp(f.vertx, f.port);
      String alice = f.open("alice", "long");
      String bob = f.open("bob", "long");
      String aliceMcp = raw.initialize(alice);
      int seen = f.upstream.size();

      RawMcp.Answer foreign = raw.post(bob, aliceMcp, LIST);
      assertThat(foreign.status()).isEqualTo(403);
      assertThat(new JsonObject(foreign.body()).getString("type")).isEqualTo("urn:curfew:problem:mcp-session-foreign");
      assertThat(raw.send(HttpMethod.DELETE, bob, aliceMcp, null).status()).isEqualTo(403);
      assertThat(raw.send(HttpMethod.GET, bob, aliceMcp, null).status()).isEqualTo(403);
      assertThat(raw.post(bob, "not-a-session", LIST).status()).isEqualTo(404);
      assertThat(f.upstream).hasSize(seen);
      assertThat(f.records("connection.refused")).hasSize(3).allSatisfy(r -> {
        assertThat(r.sessionId()).isEqualTo(f.sessionIdOf(bob));
        assertThat(r.data()).containsEntry("why", "foreign_mcp_session").containsEntry("mcp_session_id", aliceMcp)
            .containsEntry("protocol", "mcp");
      });

      assertThat(raw.post(alice, aliceMcp, LIST).body()).contains("echo");
    }
  }

  @Test
  void aBrowserRequestOfAnotherOriginIsRefused403_beforeAnythingIsRelayed() {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      RawMcp raw = new RawMcp(f.vertx, f.port);
      String token = f.open("alice", "long");
      String mcp = raw.initialize(token); // no Origin: an agent, not a browser
      int seen = f.upstream.size();

      for (String evil : new String[] {"http://evil.example", "null", "http://127.0.0.1:" + (f.port + 1),
          "https://127.0.0.1:" + f.port, "http://127.0.0.1:" + f.port + "/x", "not an origin"}) {
        for (HttpMethod m : new HttpMethod[] {HttpMethod.POST, HttpMethod.GET, HttpMethod.DELETE}) {
          RawMcp.Answer a = raw.send(m, token, mcp, m == HttpMethod.POST ? ECHO : null, origin(evil));
          assertThat(a.status()).as("%s with Origin %s", m, evil).isEqualTo(403);
          JsonObject body = new JsonObject(a.body());
          assertThat(body.containsKey("id")).isTrue();
          assertThat(body.getValue("id")).isNull();
          assertThat(body.getJsonObject("error").getInteger("code")).isEqualTo(-32600);
          assertThat(body.getJsonObject("error").getString("message")).contains("origin not allowed");
        }
      }
      assertThat(f.upstream).as("nothing relayed").hasSize(seen);

      // The route's own origin (the scheme, host and port the request was sent to), and the allowed one.
      assertThat(raw.send(HttpMethod.POST, token, mcp, ECHO, origin("http://127.0.0.1:" + f.port)).body()).contains("hi");
      assertThat(raw.send(HttpMethod.POST, token, mcp, ECHO, origin("HTTP://127.0.0.1:" + f.port)).status()).isEqualTo(200);
      assertThat(raw.send(HttpMethod.POST, token, mcp, ECHO, origin(McpGatewayFixture.ALLOWED_ORIGIN)).status())
          .isEqualTo(200);
      assertThat(raw.send(HttpMethod.POST, token, mcp, ECHO, origin(McpGatewayFixture.ALLOWED_ORIGIN + ":443")).status())
          .isEqualTo(200);
      assertThat(f.upstream).hasSize(seen + 4);
    }
  }

  /**
   * DNS rebinding: a page of {@code http://evil.example:PORT} whose name the attacker then points at
   * the gateway's address sends {@code Host} and {@code Origin} both naming evil.example. The
   * request's own origin comes from its {@code Host}, which the attacker chose, so it vouches for
   * nothing unless it is an address or {@code localhost}, names no DNS server can hand out.
   */
  @Test
  void dnsRebinding_aHostNameThatIsNoAddress_isNotTheRoutesOwnOrigin() {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      RawMcp raw = new RawMcp(f.vertx, f.port);
      String token = f.open("alice", "long");
      String mcp = raw.initialize(token);
      int seen = f.upstream.size();
      for (String name : new String[] {"evil.example", "127.0.0.1.nip.io", "localhost.evil.example"}) {
        RawMcp.Answer a = raw.send(HttpMethod.POST, token, mcp, ECHO,
            headers("Host", name + ":" + f.port, "Origin", "http://" + name + ":" + f.port));
        assertThat(a.status()).as("Host and Origin %s", name).isEqualTo(403);
        assertThat(a.body()).contains("origin not allowed");
      }
      assertThat(f.upstream).as("nothing relayed").hasSize(seen);
      // Names no DNS answer can rebind: an address, localhost; and a name the route lists.
      for (String name : new String[] {"127.0.0.1", "localhost", "LOCALHOST"}) {
        assertThat(raw.send(HttpMethod.POST, token, mcp, ECHO,
            headers("Host", name + ":" + f.port, "Origin", "http://" + name + ":" + f.port)).status())
            .as("Host and Origin %s", name).isEqualTo(200);
      }
      String allowed = McpGatewayFixture.ALLOWED_ORIGIN.substring("https://".length());
      assertThat(raw.send(HttpMethod.POST, token, mcp, ECHO,
          headers("Host", allowed + ":443", "Origin", McpGatewayFixture.ALLOWED_ORIGIN)).status()).isEqualTo(200);
      // Without Origin (an agent, not a browser) the Host does not matter.
      assertThat(raw.send(HttpMethod.POST, token, mcp, ECHO, headers("Host", "evil.example:" + f.port)).status())
          .isEqualTo(200);
    }
  }

  private static io.vertx.core.MultiMap headers(String... namesAndValues) {
    io.vertx.core.MultiMap m = io.vertx.core.MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < namesAndValues.length; i += 2) m.add(namesAndValues[i], namesAndValues[i + 1]);
    return m;
  }

  @Test
  void allowedOriginsMustBeOrigins() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> McpRoute.of("/mcp", "http://127.0.0.1:9/mcp", null)
        .withAllowedOrigins(java.util.List.of("https://ok.example", "https://bad.example/path")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https://bad.example/path");
  }

  private static io.vertx.core.MultiMap origin(String origin) {
    return io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("Origin", origin);
  }

  @Test
  void aRefusedTokenIsRecordedOncePerWindowAndAnUnknownOneIsAFailedCheck() {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      RawMcp raw = new RawMcp(f.vertx, f.port);
      for (int i = 0; i < 5; i++) {
        assertThat(raw.post("cft_not-a-token", null, LIST).status()).isEqualTo(401);
      }
      assertThat(f.failedChecks).hasValue(5);
      assertThat(f.records("connection.refused")).singleElement().satisfies(r -> {
        assertThat(r.sessionId()).isNull();
        assertThat(r.data()).containsEntry("why", "unknown").containsEntry("protocol", "mcp")
            .containsEntry("target", "/mcp").containsEntry("repeats", 0L).containsKey("client_address");
      });

      String revoked = f.open("alice", "long");
      f.engine.revoke(f.sessionIdOf(revoked), "admin", "test");
      for (int i = 0; i < 3; i++) {
        RawMcp.Answer a = raw.post(revoked, null, LIST);
        assertThat(a.status()).isEqualTo(401);
        assertThat(new JsonObject(a.body()).getString("reason")).isEqualTo("revoked");
      }
      String elsewhere = f.openFor("bob", "app:billing");
      assertThat(raw.post(elsewhere, null, LIST).status()).isEqualTo(403);
      assertThat(raw.send(HttpMethod.GET, elsewhere, null, null).status()).isEqualTo(403);

      assertThat(f.failedChecks).as("an ended session or another place is no failed check").hasValue(5);
      assertThat(f.records("connection.refused")).hasSize(3);
      assertThat(f.records("connection.refused")).filteredOn(r -> "revoked".equals(r.data().get("why"))).singleElement()
          .satisfies(r -> assertThat(r.data()).containsEntry("protocol", "mcp").containsEntry("repeats", 0L));
      assertThat(f.records("connection.refused")).filteredOn(r -> "wrong_audience".equals(r.data().get("why")))
          .singleElement().satisfies(r -> assertThat(r.data()).containsEntry("protocol", "mcp").containsEntry("target", "/mcp"));
      assertThat(f.upstream).isEmpty();
    }
  }

  @Test
  void badInputGetsTypedErrorsAndNothingIsForwarded() {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      RawMcp raw = new RawMcp(f.vertx, f.port);
      String token = f.open("alice", "long");
      String mcp = raw.initialize(token);
      int seen = f.upstream.size();

      RawMcp.Answer noToken = raw.post(null, mcp, LIST);
      assertThat(noToken.status()).isEqualTo(401);
      assertThat(noToken.headers().get("WWW-Authenticate")).startsWith("Bearer error=\"invalid_token\"");
      assertThat(raw.post("cft_not-a-token", mcp, LIST).status()).isEqualTo(401);

      assertError(raw.post(token, mcp, "[" + LIST + "]"), 400, -32600);
      assertError(raw.post(token, mcp, "{\"jsonrpc\":"), 400, -32700);
      assertError(raw.post(token, mcp, "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}"), 400, -32600);
      assertError(raw.post(token, mcp, "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}"), 400, -32600);
      assertError(raw.post(token, mcp, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/subscribe\"}"), 200, -32601);
      assertError(raw.post(token, mcp, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"x\",\"params\":\"text\"}"), 400, -32600);
      String big = "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\""
          + "x".repeat(70 * 1024) + "\"}}}";
      assertError(raw.post(token, mcp, big), 413, -32600);
      assertThat(raw.send(HttpMethod.PUT, token, mcp, LIST).status()).isEqualTo(405);
      assertThat(f.upstream).hasSize(seen);

      // A session that ended: 401 naming the reason, and still nothing forwarded.
      f.engine.logout(token);
      RawMcp.Answer ended = raw.post(token, mcp, LIST);
      assertThat(ended.status()).isEqualTo(401);
      assertThat(new JsonObject(ended.body()).getString("reason")).isEqualTo("logged_out");
      // The end deletes the upstream MCP session; no message of the refused ones ever reached it.
      await().atMost(Duration.ofSeconds(30)).until(() -> f.upstream.stream().anyMatch(r -> r.method().equals("DELETE")));
      assertThat(f.upstream.subList(seen, f.upstream.size())).extracting(SdkMcpServer.Received::method)
          .containsOnly("DELETE");
    }
  }

  private static void assertError(RawMcp.Answer a, int status, int code) {
    assertThat(a.status()).as(a.body()).isEqualTo(status);
    assertThat(new JsonObject(a.body()).getJsonObject("error").getInteger("code")).isEqualTo(code);
  }

  @Test
  void theWarningArrivesOnTheGetStreamAndTheEndClosesIt() {
    // A manual clock: the warning and the end come when the test moves time, not when a busy machine gets to them.
    ManualClock clock = ManualClock.at("2026-01-01T00:00:00Z");
    try (McpGatewayFixture f = new McpGatewayFixture(clock, false)) {
      RawMcp raw = new RawMcp(f.vertx, f.port);
      String token = f.open("alice", "idle"); // idle 3 s, warned 2 s before
      String mcp = raw.initialize(token);
      StringBuffer events = new StringBuffer();
      raw.stream(token, mcp, events);
      assertThat(raw.post(token, mcp, ECHO).status()).isEqualTo(200);
      assertThat(events.toString()).doesNotContain("notifications/message");
      clock.advance(Duration.ofMillis(1500)); // past warning_at (1 s after the tool call)
      f.engine.advanceTimers();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(events.toString())
          .contains("\"method\":\"notifications/message\"").contains("\"level\":\"warning\"")
          .contains("\"logger\":\"curfew\"").contains("\"expires_at\"").contains("\"reason\":\"idle_timeout\""));
      clock.advance(Duration.ofSeconds(2)); // past the idle deadline
      f.engine.advanceTimers();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(events.toString()).endsWith("<end>"));
      RawMcp.Answer after = raw.post(token, mcp, LIST);
      assertThat(after.status()).isEqualTo(401);
      assertThat(new JsonObject(after.body()).getString("reason")).isEqualTo("idle_timeout");
    }
  }

  @Test
  void onlyActiveMethodsMoveTheIdleClock() {
    ManualClock clock = ManualClock.at("2026-01-01T00:00:00Z");
    try (McpGatewayFixture f = new McpGatewayFixture(clock, false)) {
      RawMcp raw = new RawMcp(f.vertx, f.port);
      String token = f.open("alice", "long");
      String sessionId = f.sessionIdOf(token);
      long opened = clock.millis();
      String mcp = raw.initialize(token);
      clock.advance(Duration.ofSeconds(10));
      assertThat(raw.post(token, mcp, LIST).status()).isEqualTo(200);
      assertThat(raw.post(token, mcp, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}").status()).isEqualTo(200);
      raw.post(token, mcp, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}");
      assertThat(f.upstreamBodiesContaining("notifications/roots/list_changed")).hasSize(1);
      assertThat(f.engine.get(sessionId).status().lastActivityAtMs()).isEqualTo(opened);

      clock.advance(Duration.ofSeconds(10));
      assertThat(raw.post(token, mcp, ECHO).body()).contains("echo: hi");
      assertThat(f.engine.get(sessionId).status().lastActivityAtMs()).isEqualTo(clock.millis());
    }
  }

  @Test
  void aKeptAliveConnectionClosedByTheServerIsRetriedForAPingButNotForAToolCall() throws Exception {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      // An MCP server that closes each kept-alive connection when its second request arrives, unanswered.
      java.util.List<String> arrived = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.Map<io.vertx.core.http.HttpConnection, Integer> served = new java.util.concurrent.ConcurrentHashMap<>();
      io.vertx.core.http.HttpServer closing = f.vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
        arrived.add(new JsonObject(b).getString("method"));
        if (served.merge(req.connection(), 1, Integer::sum) > 1) {
          req.connection().close();
          return;
        }
        req.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("jsonrpc", "2.0").put("id", new JsonObject(b).getValue("id"))
                .put("result", new JsonObject()).encode());
      })).listen(0, "127.0.0.1").await(10, java.util.concurrent.TimeUnit.SECONDS);
      McpRoute route = McpRoute.of("/mcp", "http://127.0.0.1:" + closing.actualPort() + "/mcp", null);
      io.vertx.core.http.HttpServer front = f.vertx.createHttpServer().requestHandler(req -> f.gateway.handle(req, route))
          .listen(0, "127.0.0.1").await(10, java.util.concurrent.TimeUnit.SECONDS);
      RawMcp raw = new RawMcp(f.vertx, front.actualPort());
      String token = f.open("alice", "long");
      String ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";

      assertThat(raw.post(token, null, ping).status()).isEqualTo(200);
      RawMcp.Answer again = raw.post(token, null, ping); // its connection is closed under it: sent again
      assertThat(again.status()).isEqualTo(200);
      assertThat(new JsonObject(again.body()).getInteger("id")).isEqualTo(1);
      assertThat(arrived).containsExactly("ping", "ping", "ping");

      RawMcp.Answer call = raw.post(token, null, ECHO); // a tool call may have run: not sent again
      assertThat(call.status()).isEqualTo(502);
      JsonObject error = new JsonObject(call.body());
      assertThat(error.getInteger("id")).isEqualTo(3);
      assertThat(error.getJsonObject("error").getInteger("code")).isEqualTo(-32603);
      assertThat(arrived).containsExactly("ping", "ping", "ping", "tools/call");
    }
  }

  @Test
  void withoutAStreamUpstreamTheGatewayKeepsItsOwnForTheWarning() throws Exception {
    ManualClock clock = ManualClock.at("2026-01-01T00:00:00Z");
    try (McpGatewayFixture f = new McpGatewayFixture(clock, false)) {
      // A stateless MCP server: no Mcp-Session-Id, 405 to GET (MCP Streamable HTTP allows both).
      io.vertx.core.http.HttpServer stateless = f.vertx.createHttpServer().requestHandler(req -> {
        if (req.method() == HttpMethod.GET) {
          req.response().setStatusCode(405).end();
        } else {
          req.body().onSuccess(b -> req.response().putHeader("Content-Type", "application/json")
              .end("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}"));
        }
      }).listen(0, "127.0.0.1").await(10, java.util.concurrent.TimeUnit.SECONDS);
      McpRoute route = McpRoute.of("/mcp", "http://127.0.0.1:" + stateless.actualPort() + "/mcp", null);
      io.vertx.core.http.HttpServer front = f.vertx.createHttpServer().requestHandler(req -> f.gateway.handle(req, route))
          .listen(0, "127.0.0.1").await(10, java.util.concurrent.TimeUnit.SECONDS);
      RawMcp raw = new RawMcp(f.vertx, front.actualPort());
      String token = f.open("alice", "idle"); // idle 3 s, warned 2 s before
      assertThat(raw.post(token, null, RawMcp.INITIALIZE).status()).isEqualTo(200);
      StringBuffer events = new StringBuffer();
      assertThat(raw.stream(token, null, events).statusCode()).isEqualTo(200);
      assertThat(raw.post(token, null, ECHO).status()).isEqualTo(200); // the warning falls due 1 s later
      clock.advance(Duration.ofMillis(1500));
      f.engine.advanceTimers();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(events.toString())
          .contains("\"method\":\"notifications/message\"").contains("\"reason\":\"idle_timeout\""));
      clock.advance(Duration.ofSeconds(2));
      f.engine.advanceTimers();
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(events.toString()).endsWith("<end>"));
    }
  }
  /** The head of a POST whose body announces {@code length} bytes, then {@code sent} of them; the socket. */
  private static java.net.Socket partialPost(McpGatewayFixture f, String token, int length, int sent) throws Exception {
    java.net.Socket s = new java.net.Socket("127.0.0.1", f.port);
    s.setSoTimeout(30_000);
    String head = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + "Accept: application/json, text/event-stream\r\n"
        + (token == null ? "" : "Authorization: Bearer " + token + "\r\n")
        + "Content-Length: " + length + "\r\n\r\n";
    s.getOutputStream().write(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    s.getOutputStream().write(ECHO.substring(0, sent).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    return s;
  }

  /** Everything the gateway sends until it closes the connection (a read timeout fails the test). */
  private static String untilClosed(java.net.Socket s) throws Exception {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    byte[] b = new byte[8192];
    try (s) {
      for (int n; (n = s.getInputStream().read(b)) >= 0; ) out.write(b, 0, n);
    } catch (java.net.SocketException reset) {
      // closed with the rest of the body unread: a reset after the answer
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void aPostWithoutALiveTokenIsRefusedOnItsHeadAndItsBodyIsNeverRead() throws Exception {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      String revoked = f.open("alice", "long");
      f.engine.revoke(f.sessionIdOf(revoked), "admin", "test");
      String[][] cases = {{"cft_not-a-token", "unknown"}, {null, "unknown"}, {revoked, "revoked"}};
      for (String[] c : cases) {
        // 60,000 bytes announced (within the route's limit), 10 sent, the rest never: the answer comes anyway
        String answer = untilClosed(partialPost(f, c[0], 60_000, 10));
        assertThat(answer).as("token %s", c[0]).startsWith("HTTP/1.1 401").contains("\"reason\":\"" + c[1] + "\"")
            .containsIgnoringCase("WWW-Authenticate: Bearer").containsIgnoringCase("Connection: close");
      }
      String elsewhere = f.openFor("bob", "app:billing");
      assertThat(untilClosed(partialPost(f, elsewhere, 60_000, 10))).startsWith("HTTP/1.1 403");
      assertThat(f.failedChecks).hasValue(1);
      assertThat(f.records("connection.refused")).hasSize(3);
      assertThat(f.upstream).isEmpty();
    }
  }

  @Test
  void aBodyShorterThanItsContentLengthIsAnswered408AndTheSessionIsNotTouched() throws Exception {
    ManualClock clock = ManualClock.at("2026-01-01T00:00:00Z");
    try (McpGatewayFixture f = new McpGatewayFixture(clock, false)) {
      String token = f.open("alice", "long");
      String sessionId = f.sessionIdOf(token);
      long opened = clock.millis();
      clock.advance(Duration.ofSeconds(10));
      long started = System.nanoTime();
      String answer = untilClosed(partialPost(f, token, ECHO.length(), 10)); // a tools/call, never all sent
      assertThat(answer).startsWith("HTTP/1.1 408").contains("request-timeout").containsIgnoringCase("Connection: close");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(McpGateway.BODY_TIMEOUT);
      assertThat(f.engine.get(sessionId).status().lastActivityAtMs()).as("checked before the body, untouched")
          .isEqualTo(opened);
      assertThat(f.upstream).isEmpty();
    }
  }
}

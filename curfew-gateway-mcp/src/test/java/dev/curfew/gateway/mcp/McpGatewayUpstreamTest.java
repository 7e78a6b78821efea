package dev.curfew.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.SessionStore;
import dev.curfew.gateway.db.GatewaySettings;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The gateway before a hand-written MCP server (a Vert.x NetServer writing raw HTTP/1.1), for what
 * the SDK's server never does: an SSE answer ended by closing the connection, a call held open.
 */
class McpGatewayUpstreamTest {
  private static final int LIMIT = 4 << 20;
  private static final int ROUNDS = 16;
  private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
  private static final String BIG = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
      + "\"params\":{\"name\":\"big\",\"arguments\":{}}}";
  private static final String HOLD = "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\","
      + "\"params\":{\"name\":\"hold\",\"arguments\":{}}}";

  /** One request as the hand-written MCP server read it. */
  record Seen(String method, String path, Map<String, String> headers, String body) {}

  /**
   * An MCP server on raw HTTP/1.1: {@code initialize} and {@code ping} answered as JSON (kept alive),
   * notifications 202, DELETE 200; tool {@code big}: an SSE answer without Content-Length or chunked
   * encoding (a progress event, the 3,000,000-byte answer, an unfinished event), then the connection
   * closed; tool {@code hold}: an SSE answer (chunked) with one event, never finished.
   */
  static final class RawServer {
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    final NetServer server;
    final int port;
    static final String PROGRESS = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
        + "\"params\":{\"progressToken\":\"p\",\"progress\":1}}\n\n";
    /** Progress events before the answer, 200 kB each: the gateway's write queue to a slow client fills. */
    static final String PROGRESS_LARGE = ("event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
        + "\"params\":{\"progressToken\":\"p\",\"progress\":1,\"message\":\"" + "z".repeat(200_000) + "\"}}\n\n").repeat(10);
    /** An event the server never finished (cut by its close): 1 MB, as many reads as the gateway makes at once. */
    static final String UNFINISHED = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/unfinished\""
        + ",\"params\":{\"text\":\"" + "y".repeat(1_000_000);

    RawServer(io.vertx.core.Vertx vertx) throws Exception {
      server = vertx.createNetServer().connectHandler(this::serve);
      server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
      port = server.actualPort();
    }

    static String bigAnswer() {
      String head = "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"";
      String tail = "\"}]}}\n\n";
      return head + "x".repeat(3_000_000 - head.length() - tail.length()) + tail;
    }

    private void serve(NetSocket so) {
      Buffer[] in = {Buffer.buffer()};
      so.handler(chunk -> {
        in[0].appendBuffer(chunk);
        while (true) {
          String s = in[0].toString(StandardCharsets.ISO_8859_1);
          int end = s.indexOf("\r\n\r\n");
          if (end < 0) return;
          String[] lines = s.substring(0, end).split("\r\n");
          Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
          for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
          }
          int length = Integer.parseInt(headers.getOrDefault("Content-Length", "0"));
          if (in[0].length() < end + 4 + length) return;
          String body = in[0].getString(end + 4, end + 4 + length, "UTF-8");
          in[0] = in[0].getBuffer(end + 4 + length, in[0].length());
          String[] first = lines[0].split(" ");
          seen.add(new Seen(first[0], first[1], headers, body));
          answer(so, first[0], body);
        }
      });
    }

    private static void answer(NetSocket so, String method, String body) {
      if (!method.equals("POST")) {
        so.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      JsonObject m = new JsonObject(body);
      if (m.getValue("id") == null) {
        so.write("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      String tool = m.getJsonObject("params") == null ? null : m.getJsonObject("params").getString("name");
      if ("big".equals(tool)) {
        so.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + PROGRESS + PROGRESS_LARGE);
        so.write(Buffer.buffer(bigAnswer()));
        so.end(Buffer.buffer(UNFINISHED)).onComplete(v -> so.close());
        return;
      }
      if ("hold".equals(tool)) {
        String event = PROGRESS;
        so.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            + Integer.toHexString(event.length()) + "\r\n" + event + "\r\n");
        return;
      }
      String answer = new JsonObject().put("jsonrpc", "2.0").put("id", m.getValue("id"))
          .put("result", new JsonObject().put("protocolVersion", "2025-06-18")).encode();
      String sessionHeader = "initialize".equals(m.getString("method")) ? "Mcp-Session-Id: s-1\r\n" : "";
      so.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + sessionHeader + "Content-Length: "
          + answer.length() + "\r\n\r\n" + answer);
    }
  }

  private static int front(McpGatewayFixture f, McpGateway gateway, RawServer up) throws Exception {
    return front(f, gateway, up, f.vertx.getOrCreateContext());
  }

  /** The gateway's route on a server of its own, on {@code context} (so on its event loop). */
  private static int front(McpGatewayFixture f, McpGateway gateway, RawServer up, io.vertx.core.Context context)
      throws Exception {
    McpRoute route = McpRoute.of("/mcp", "http://127.0.0.1:" + up.port + "/mcp", null);
    io.vertx.core.Promise<HttpServer> p = io.vertx.core.Promise.promise();
    context.runOnContext(v -> f.vertx.createHttpServer().requestHandler(req -> gateway.handle(req, route))
        .listen(0, "127.0.0.1").onComplete(p));
    return p.future().await(10, TimeUnit.SECONDS).actualPort();
  }

  /** Two contexts on different event loops. */
  private static io.vertx.core.Context[] twoLoops(io.vertx.core.Vertx vertx) {
    io.vertx.core.internal.VertxInternal v = (io.vertx.core.internal.VertxInternal) vertx;
    io.vertx.core.internal.ContextInternal a = v.createEventLoopContext();
    io.vertx.core.internal.ContextInternal b = v.createEventLoopContext();
    for (int i = 0; i < 64 && b.nettyEventLoop() == a.nettyEventLoop(); i++) b = v.createEventLoopContext();
    return new io.vertx.core.Context[] {a, b};
  }

  /** A POST on a raw socket with a small receive buffer: the answer is read only once {@code readAfterMs} passed, slowly. */
  private static String slowPost(int port, String token, String body, long readAfterMs) throws Exception {
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(4096);
      s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      s.setSoTimeout(20_000);
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      OutputStream out = s.getOutputStream();
      out.write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nAuthorization: Bearer " + token
          + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
          + "Connection: close\r\nContent-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.write(b);
      out.flush();
      Thread.sleep(readAfterMs);
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[16 * 1024];
      int n;
      int reads = 0;
      while ((n = in.read(buf)) > 0) {
        all.write(buf, 0, n);
        if (++reads % 16 == 0) Thread.sleep(1);
      }
      return all.toString(StandardCharsets.ISO_8859_1);
    } catch (java.net.SocketException e) {
      return "<reset>";
    }
  }

  /** The body of a raw HTTP/1.1 answer, chunked or not. */
  private static String bodyOf(String answer) {
    int end = answer.indexOf("\r\n\r\n");
    if (end < 0) return "";
    String head = answer.substring(0, end).toLowerCase(Locale.ROOT);
    String rest = answer.substring(end + 4);
    if (!head.contains("transfer-encoding: chunked")) return rest;
    StringBuilder body = new StringBuilder();
    int i = 0;
    while (true) {
      int eol = rest.indexOf("\r\n", i);
      if (eol < 0) return body.append("<torn>").toString();
      int size = Integer.parseInt(rest.substring(i, eol).trim(), 16);
      if (size == 0) return body.toString();
      if (eol + 2 + size > rest.length()) return body.append("<torn>").toString();
      body.append(rest, eol + 2, eol + 2 + size);
      i = eol + 2 + size + 2;
    }
  }

  @Test
  void anSseAnswerEndedByClosingTheConnectionIsRelayedWholeToASlowClient() throws Exception {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      RawServer up = new RawServer(f.vertx);
      McpGateway gateway = new McpGateway(f.vertx, SessionStore.of(f.engine), new McpGatewayFixture.TestRefusals(),
          GatewaySettings.defaults(), LIMIT);
      try {
        // The upstream connection is opened for a request of one event loop, then reused by the call
        // of another (the gateway's HTTP client pools connections across its callers).
        io.vertx.core.Context[] loops = twoLoops(f.vertx);
        RawMcp raw = new RawMcp(f.vertx, front(f, gateway, up, loops[0]));
        int port = front(f, gateway, up, loops[1]);
        String token = f.open("alice", "long");
        for (int round = 0; round < ROUNDS; round++) {
          assertThat(raw.post(token, null, PING).status()).isEqualTo(200); // a kept-alive upstream connection
          String answer = slowPost(port, token, BIG, 500);
          assertThat(answer).as("round %d", round).startsWith("HTTP/1.1 200");
          String body = bodyOf(answer);
          assertThat(body).as("round %d", round).isEqualTo(RawServer.PROGRESS + RawServer.PROGRESS_LARGE + RawServer.bigAnswer());
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> f.records("agent.tool_called").size() == ROUNDS);
        assertThat(f.records("agent.tool_called")).allSatisfy(r -> assertThat(r.data().get("outcome")).isEqualTo("ok"));
      } finally {
        gateway.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void theGatewaysOwnRequestsUpstreamCarryTheNegotiatedProtocolVersion() throws Exception {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      RawServer up = new RawServer(f.vertx);
      McpGateway gateway = new McpGateway(f.vertx, SessionStore.of(f.engine), new McpGatewayFixture.TestRefusals(),
          GatewaySettings.defaults(), LIMIT);
      f.follow(gateway.events());
      try {
        int port = front(f, gateway, up);
        RawMcp raw = new RawMcp(f.vertx, port);
        String token = f.open("alice", "long");
        String mcp = raw.initialize(token);
        MultiMap version = MultiMap.caseInsensitiveMultiMap().add("MCP-Protocol-Version", "2025-06-18");
        Thread call = new Thread(() -> raw.send(HttpMethod.POST, token, mcp, HOLD, version));
        call.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> up.seen.stream().anyMatch(s -> s.body().contains("hold")));
        f.engine.revoke(f.sessionIdOf(token), "admin", "test");
        await().atMost(Duration.ofSeconds(10)).until(() -> up.seen.stream().anyMatch(s -> s.method().equals("DELETE")));
        call.join(10_000);
        Seen cancelled = up.seen.stream().filter(s -> s.body().contains("notifications/cancelled")).findFirst().orElseThrow();
        Seen delete = up.seen.stream().filter(s -> s.method().equals("DELETE")).findFirst().orElseThrow();
        assertThat(cancelled.headers()).containsEntry("MCP-Protocol-Version", "2025-06-18").containsEntry("Mcp-Session-Id", "s-1");
        assertThat(delete.headers()).containsEntry("MCP-Protocol-Version", "2025-06-18").containsEntry("Mcp-Session-Id", "s-1");
      } finally {
        gateway.close().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aClientThatDropsItsStreamIsNoCancellation() throws Exception {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      RawServer up = new RawServer(f.vertx);
      McpGateway gateway = new McpGateway(f.vertx, SessionStore.of(f.engine), new McpGatewayFixture.TestRefusals(),
          GatewaySettings.defaults(), LIMIT);
      try {
        int port = front(f, gateway, up);
        String token = f.open("alice", "long");
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setSoTimeout(10_000);
          byte[] b = HOLD.getBytes(StandardCharsets.UTF_8);
          s.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
              + "\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: "
              + b.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
          s.getOutputStream().write(b);
          byte[] buf = new byte[4096];
          assertThat(s.getInputStream().read(buf)).isPositive(); // the answer's head and its first event
        } // dropped mid-call
        await().atMost(Duration.ofSeconds(10)).until(() -> f.records("agent.tool_called").size() == 1);
        Map<String, Object> data = f.records("agent.tool_called").get(0).data();
        assertThat(data.get("outcome")).isEqualTo("error");
        assertThat(data.get("detail")).isEqualTo("client_disconnected");
        Thread.sleep(200);
        assertThat(up.seen).noneMatch(x -> x.body().contains("notifications/cancelled"));
      } finally {
        gateway.close().await(10, TimeUnit.SECONDS);
      }
    }
  }
}

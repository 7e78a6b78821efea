package dev.curfew.gateway.mcp;

import dev.curfew.core.Audience;
import dev.curfew.core.Clock;
import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.EndReason;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.gateway.db.GatewaySettings;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import jakarta.servlet.Filter;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * A real MCP server of the official Java SDK (Streamable HTTP, on an embedded Tomcat) behind the
 * MCP gateway (on its own Vert.x HTTP server, route {@code /mcp}), the embedded engine and an
 * in-memory audit sink. Tools: {@code echo} answers at once; {@code slow} runs until released
 * (or 60 s). Every request the MCP server receives is recorded ({@link #upstream}).
 *
 * <p>Policies: {@code idle} (idle 3 s, warning 2 s before, absolute 1 h), {@code absolute} (idle
 * 2 s, absolute 4 s), {@code long} (idle 1 h).
 */
final class McpGatewayFixture implements AutoCloseable {
  static final Policy IDLE = Policy.of("idle", Duration.ofSeconds(3), Duration.ofHours(1), Duration.ofSeconds(2), 0);
  static final Policy ABSOLUTE = Policy.of("absolute", Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(1), 0);
  static final Policy LONG = Policy.of("long", Duration.ofHours(1), Duration.ofHours(2), Duration.ofMinutes(1), 0);

  /** One request as the MCP server received it. */
  record Received(String method, String sessionId, String authorization, String body) {}

  final Vertx vertx = Vertx.vertx();
  final MemoryAuditSink sink = new MemoryAuditSink();
  final SessionEngine engine;
  final DeadlineDriver driver;
  final List<Received> upstream = new CopyOnWriteArrayList<>();
  final CountDownLatch slowRelease = new CountDownLatch(1);
  final McpGateway gateway;
  private final Tomcat tomcat;
  private final HttpServletStreamableServerTransportProvider transport;
  private final McpSyncServer server;
  private final HttpServer front;
  final int port;
  private final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();
  private volatile SessionEvents follower = SessionEvents.NONE;

  McpGatewayFixture() {
    this(new SystemClock(), true);
  }

  McpGatewayFixture(Clock clock, boolean driveDeadlines) {
    engine = new SessionEngine(clock, "node-1", new Policies(List.of(IDLE, ABSOLUTE, LONG), "long"), sink,
        (id, event, data) -> follower.publish(id, event, data), EngineMetrics.NONE, SessionEngine.Limits.defaults());
    driver = driveDeadlines ? new DeadlineDriver(engine).start() : null;
    transport = HttpServletStreamableServerTransportProvider.builder().mcpEndpoint("/mcp")
        // The SDK's server sends the GET stream's head with its first event: a ping each second makes one.
        .keepAliveInterval(Duration.ofSeconds(1)).build();
    server = McpServer.sync(transport).serverInfo("test-server", "1.0.0")
        .capabilities(McpSchema.ServerCapabilities.builder().tools(true).logging().build())
        .toolCall(McpSchema.Tool.builder().name("echo").description("answers its text")
            .inputSchema(Map.of("type", "object", "properties", Map.of("text", Map.of("type", "string")))).build(),
            (exchange, call) -> McpSchema.CallToolResult.builder()
                .content(List.of(new McpSchema.TextContent("echo: " + call.arguments().get("text")))).build())
        .toolCall(McpSchema.Tool.builder().name("slow").description("runs until released")
            .inputSchema(Map.of("type", "object")).build(),
            (exchange, call) -> {
              try {
                slowRelease.await(60, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return McpSchema.CallToolResult.builder().content(List.of(new McpSchema.TextContent("done"))).build();
            })
        .build();
    tomcat = new Tomcat();
    tomcat.setPort(0);
    String base = System.getProperty("java.io.tmpdir");
    tomcat.setBaseDir(base);
    Context context = tomcat.addContext("", base);
    org.apache.catalina.Wrapper wrapper = context.createWrapper();
    wrapper.setName("mcp");
    wrapper.setServlet(transport);
    wrapper.setLoadOnStartup(1);
    wrapper.setAsyncSupported(true);
    context.addChild(wrapper);
    context.addServletMappingDecoded("/*", "mcp");
    FilterDef fd = new FilterDef();
    fd.setFilter(recording());
    fd.setFilterName("recording");
    fd.setAsyncSupported("true");
    context.addFilterDef(fd);
    FilterMap fm = new FilterMap();
    fm.setFilterName("recording");
    fm.addURLPattern("/*");
    context.addFilterMap(fm);
    try {
      tomcat.getConnector();
      tomcat.start();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    int upstreamPort = tomcat.getConnector().getLocalPort();
    McpRoute route = McpRoute.of("/mcp", "http://127.0.0.1:" + upstreamPort + "/mcp", null);
    gateway = new McpGateway(vertx, SessionStore.of(engine), new TestRefusals(),
        GatewaySettings.defaults(), 64 * 1024);
    follower = gateway.events();
    try {
      front = vertx.createHttpServer().requestHandler(req -> {
        if (req.path().startsWith("/mcp")) {
          gateway.handle(req, route);
        } else {
          req.response().setStatusCode(404).end();
        }
      }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    port = front.actualPort();
  }

  private Filter recording() {
    return (request, response, chain) -> {
      HttpServletRequest http = (HttpServletRequest) request;
      byte[] body = http.getInputStream().readAllBytes();
      upstream.add(new Received(http.getMethod(), http.getHeader("Mcp-Session-Id"), http.getHeader("Authorization"),
          new String(body, StandardCharsets.UTF_8)));
      chain.doFilter(new HttpServletRequestWrapper(http) {
        @Override
        public ServletInputStream getInputStream() {
          ByteArrayInputStream in = new ByteArrayInputStream(body);
          return new ServletInputStream() {
            @Override
            public boolean isFinished() {
              return in.available() == 0;
            }

            @Override
            public boolean isReady() {
              return true;
            }

            @Override
            public void setReadListener(ReadListener l) {
              throw new UnsupportedOperationException();
            }

            @Override
            public int read() {
              return in.read();
            }
          };
        }

        @Override
        public BufferedReader getReader() {
          return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8));
        }
      }, response);
    };
  }

  /** Opens a session for the MCP route (audience mcp:/mcp), as an agent platform would; its token. */
  String open(String subject, String policy) {
    return engine.open(subject, policy, Map.of(), Audience.of("mcp:/mcp"), "platform").token();
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** An SDK client through the gateway, presenting {@code token}; initialized. */
  McpSyncClient client(String token) {
    HttpClientStreamableHttpTransport t = HttpClientStreamableHttpTransport.builder(url()).endpoint("/mcp")
        .httpRequestCustomizer((b, method, uri, body, ctx) -> b.header("Authorization", "Bearer " + token))
        .build();
    McpSyncClient c = McpClient.sync(t).requestTimeout(Duration.ofSeconds(60)).build();
    clients.add(c);
    c.initialize();
    return c;
  }

  List<AuditRecord> records(String type) {
    return sink.records().stream().filter(r -> r.type().equals(type)).toList();
  }

  List<Received> upstreamBodiesContaining(String text) {
    return upstream.stream().filter(r -> r.body().contains(text)).toList();
  }

  String sessionIdOf(String token) {
    return engine.check(token, false).status().sessionId();
  }

  @Override
  public void close() {
    slowRelease.countDown();
    for (McpSyncClient c : clients) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // a client whose session ended may fail to say goodbye
      }
    }
    try {
      front.close().await(10, TimeUnit.SECONDS);
      gateway.close().await(10, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing anyway
    }
    server.close();
    try {
      tomcat.stop();
      tomcat.destroy();
    } catch (Exception ignored) {
      // best effort
    }
    if (driver != null) driver.close();
    vertx.close();
  }

  /** Problem documents as the server writes them (urn:curfew:problem:...), enough to assert on. */
  static final class TestRefusals implements McpGateway.Refusals {
    @Override
    public void sessionEnded(HttpServerResponse r, EndReason reason) {
      send(r, 401, "session-ended", "Session not valid", "session ended", reason.wire());
    }

    @Override
    public void wrongAudience(HttpServerResponse r, String detail) {
      send(r, 403, "wrong-audience", "Session not valid here", detail, "wrong_audience");
    }

    @Override
    public void problem(HttpServerResponse r, int status, String slug, String title, String detail) {
      send(r, status, slug, title, detail, null);
    }

    private static void send(HttpServerResponse r, int status, String slug, String title, String detail, String reason) {
      if (r.ended()) return;
      JsonObject p = new JsonObject().put("type", "urn:curfew:problem:" + slug).put("title", title)
          .put("status", status).put("detail", detail);
      if (reason != null) p.put("reason", reason);
      r.setStatusCode(status).putHeader("Content-Type", "application/problem+json").end(p.encode());
    }
  }
}

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
import dev.curfew.gateway.mcp.testing.SdkMcpServer;
import io.modelcontextprotocol.client.McpSyncClient;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The SDK's MCP server ({@link SdkMcpServer}) behind the MCP gateway (on its own Vert.x HTTP
 * server, route {@code /mcp}), the embedded engine and an in-memory audit sink.
 *
 * <p>Policies: {@code idle} (idle 3 s, warning 2 s before, absolute 1 h), {@code absolute} (idle
 * 5 s, absolute 10 s: wide enough that a busy machine starts the call well inside the idle timeout),
 * {@code long} (idle 1 h).
 */
final class McpGatewayFixture implements AutoCloseable {
  static final Policy IDLE = Policy.of("idle", Duration.ofSeconds(3), Duration.ofHours(1), Duration.ofSeconds(2), 0);
  static final Policy ABSOLUTE = Policy.of("absolute", Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(1), 0);
  static final Policy LONG = Policy.of("long", Duration.ofHours(1), Duration.ofHours(2), Duration.ofMinutes(1), 0);

  /** The route's one allowed origin besides its own. */
  static final String ALLOWED_ORIGIN = "https://agents.example";

  final Vertx vertx = Vertx.vertx();
  final MemoryAuditSink sink = new MemoryAuditSink();
  final SessionEngine engine;
  final DeadlineDriver driver;
  final SdkMcpServer mcpServer = new SdkMcpServer();
  /** What the MCP server received. */
  final List<SdkMcpServer.Received> upstream = mcpServer.received;
  final McpGateway gateway;
  private final HttpServer front;
  final int port;
  private final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();
  private volatile SessionEvents follower = SessionEvents.NONE;
  /** The requests the gateway reported as failed checks (an unknown or malformed token). */
  final java.util.concurrent.atomic.AtomicInteger failedChecks = new java.util.concurrent.atomic.AtomicInteger();

  McpGatewayFixture() {
    this(new SystemClock(), true);
  }

  McpGatewayFixture(Clock clock, boolean driveDeadlines) {
    engine = new SessionEngine(clock, "node-1", new Policies(List.of(IDLE, ABSOLUTE, LONG), "long"), sink,
        (id, event, data) -> follower.publish(id, event, data), EngineMetrics.NONE, SessionEngine.Limits.defaults());
    driver = driveDeadlines ? new DeadlineDriver(engine).start() : null;
    McpRoute route = McpRoute.of("/mcp", mcpServer.endpoint(), null).withAllowedOrigins(List.of(ALLOWED_ORIGIN));
    gateway = new McpGateway(vertx, SessionStore.of(engine), new TestRefusals(), GatewaySettings.defaults(), 64 * 1024);
    follower = gateway.events();
    try {
      front = vertx.createHttpServer().requestHandler(req -> {
        if (req.path().startsWith("/mcp")) {
          gateway.handle(req, route, failedChecks::incrementAndGet);
        } else {
          req.response().setStatusCode(404).end();
        }
      }).listen(0, "127.0.0.1").await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    port = front.actualPort();
  }

  /** Sends the session events to {@code more} as well (a second gateway under test). */
  void follow(SessionEvents more) {
    SessionEvents first = follower;
    follower = (id, event, data) -> first.publish(id, event, data) + more.publish(id, event, data);
  }

  /** Opens a session for the MCP route (audience mcp:/mcp), as an agent platform would; its token. */
  String open(String subject, String policy) {
    return engine.open(subject, policy, Map.of(), Audience.of("mcp:/mcp"), "platform").token();
  }

  /** Opens a session for another place (audience {@code audience}); its token. */
  String openFor(String subject, String audience) {
    return engine.open(subject, "long", Map.of(), Audience.of(audience), "platform").token();
  }

  /** An SDK client through the gateway, presenting {@code token}; initialized. */
  McpSyncClient client(String token) {
    McpSyncClient c = SdkMcpServer.client("http://127.0.0.1:" + port, "/mcp", token);
    clients.add(c);
    return c;
  }

  List<AuditRecord> records(String type) {
    return sink.records().stream().filter(r -> r.type().equals(type)).toList();
  }

  List<SdkMcpServer.Received> upstreamBodiesContaining(String text) {
    return mcpServer.bodiesContaining(text);
  }

  String sessionIdOf(String token) {
    return engine.check(token, false).status().sessionId();
  }

  @Override
  public void close() {
    mcpServer.releaseSlow();
    for (McpSyncClient c : clients) {
      try {
        c.close();
      } catch (RuntimeException ignored) {
        // a client whose session ended may fail to say goodbye
      }
    }
    try {
      front.close().await(30, TimeUnit.SECONDS);
      gateway.close().await(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // closing anyway
    }
    mcpServer.close();
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

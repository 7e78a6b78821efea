package dev.curfew.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.gateway.mcp.testing.SdkMcpServer;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.McpHttpClientTransportAuthorizationException;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The official MCP Java SDK's client, through the gateway, to the SDK's own server. */
class McpGatewaySdkTest {
  private final McpGatewayFixture f = new McpGatewayFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aToolCallGoesThroughAndIsSignedWithoutTheTokenReachingTheServer() {
    String token = f.open("agent-7", "long");
    McpSyncClient c = f.client(token);
    assertThat(c.listTools().tools()).extracting(McpSchema.Tool::name).contains("echo", "slow");
    McpSchema.CallToolResult r = c.callTool(new McpSchema.CallToolRequest("echo", Map.of("text", "hi")));
    assertThat(((McpSchema.TextContent) r.content().get(0)).text()).isEqualTo("echo: hi");

    assertThat(f.upstream).isNotEmpty().allSatisfy(rec -> assertThat(rec.authorization()).isNull());
    assertThat(f.upstream.stream().map(SdkMcpServer.Received::body)).noneMatch(b -> b.contains(token));
    AuditRecord opened = f.records("connection.opened").get(0);
    assertThat(opened.data()).containsEntry("protocol", "mcp").containsEntry("target", "/mcp")
        .containsKey("mcp_session_id").containsKey("connection_id");
    await().atMost(Duration.ofSeconds(30)).until(() -> !f.records("agent.tool_called").isEmpty());
    AuditRecord call = f.records("agent.tool_called").get(0);
    assertThat(call.data()).containsEntry("tool", "echo").containsEntry("outcome", "ok")
        .containsEntry("arguments_sha256", dev.curfew.gateway.db.StatementDigest.sha256("{\"text\":\"hi\"}"))
        .containsKey("duration_ms");
    assertThat(call.sessionId()).isEqualTo(f.sessionIdOf(token));
  }

  @Test
  void aRunningToolCallKeepsTheSessionActiveAndItsEndAnswersTheCallWithTheReason() throws Exception {
    // idle 5 s, absolute 10 s: the call outlives the idle timeout (busy is activity) and meets the absolute one
    String token = f.open("agent-7", "absolute");
    McpSyncClient c = f.client(token);
    CompletableFuture<McpSchema.CallToolResult> running =
        CompletableFuture.supplyAsync(() -> c.callTool(new McpSchema.CallToolRequest("slow", Map.of())));
    assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(McpError.class, e -> {
      assertThat(e.getJsonRpcError().code()).isEqualTo(-32050);
      assertThat(e.getJsonRpcError().message()).isEqualTo("session ended");
      assertThat(((Map<?, ?>) e.getJsonRpcError().data()).get("reason")).isEqualTo("absolute_timeout");
    });

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      assertThat(f.upstreamBodiesContaining("notifications/cancelled")).hasSize(1);
      assertThat(f.upstream).anyMatch(r -> r.method().equals("DELETE"));
      assertThat(f.records("connection.closed")).singleElement()
          .satisfies(r -> assertThat(r.data()).containsEntry("why", "session_ended").containsEntry("reason", "absolute_timeout"));
      assertThat(f.records("agent.tool_called")).singleElement()
          .satisfies(r -> assertThat(r.data()).containsEntry("tool", "slow").containsEntry("outcome", "cancelled"));
    });
    assertThat(f.gateway.boundSessions()).isZero();
  }

  @Test
  void aRevokedSessionEndsItsCallAndLaterCallsAreRefused() throws Exception {
    String token = f.open("agent-7", "long");
    McpSyncClient c = f.client(token);
    CompletableFuture<McpSchema.CallToolResult> running =
        CompletableFuture.supplyAsync(() -> c.callTool(new McpSchema.CallToolRequest("slow", Map.of())));
    await().atMost(Duration.ofSeconds(30)).until(() -> !f.upstreamBodiesContaining("\"slow\"").isEmpty());
    f.engine.revoke(f.sessionIdOf(token), "admin", "test");
    assertThatThrownBy(() -> running.get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(McpError.class, e -> {
      assertThat(e.getJsonRpcError().code()).isEqualTo(-32050);
      assertThat(((Map<?, ?>) e.getJsonRpcError().data()).get("reason")).isEqualTo("revoked");
    });
    // The SDK tells an authorization refusal (401) apart from a lost session
    assertThatThrownBy(c::listTools).isInstanceOf(McpHttpClientTransportAuthorizationException.class);
  }
  @Test
  void aRunningToolCallKeepsItsSessionActiveThoughAPolicyShortensTheIdleTimeoutUnderIt() throws Exception {
    String token = f.open("agent-7", "long"); // idle 1 h: the running call touches the session every 30 s
    String sessionId = f.sessionIdOf(token);
    McpSyncClient c = f.client(token);
    CompletableFuture<McpSchema.CallToolResult> running =
        CompletableFuture.supplyAsync(() -> c.callTool(new McpSchema.CallToolRequest("slow", Map.of())));
    await().atMost(Duration.ofSeconds(30)).until(() -> !f.upstreamBodiesContaining("\"slow\"").isEmpty());
    long changedAtMs = System.currentTimeMillis();
    f.engine.changePolicy(Policy.of("long", Duration.ofSeconds(3), Duration.ofHours(2), Duration.ofSeconds(1), 0),
        true, "admin");
    // The session idles out 3 s after its last touch unless the call goes on touching it by the new timeout.
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      Decision d = f.engine.get(sessionId);
      assertThat(d.allowed()).as("the session of a running call ended: %s", d.reason()).isTrue();
      return d.status().lastActivityAtMs() > changedAtMs + 4_000;
    });
    f.mcpServer.releaseSlow();
    assertThat(running.get(30, TimeUnit.SECONDS).isError()).isNotEqualTo(Boolean.TRUE);
    assertThat(f.engine.get(sessionId).allowed()).isTrue();
  }
}

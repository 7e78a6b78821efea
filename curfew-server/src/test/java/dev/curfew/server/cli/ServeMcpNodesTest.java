package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.gateway.mcp.testing.SdkMcpServer;
import dev.curfew.server.config.CurfewConfig;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.McpHttpClientTransportAuthorizationException;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two {@code curfew serve} nodes with {@code store: redis} and the same {@code kind: mcp} route: an
 * agent's session revoked through one node ends the tool call running through the other, with
 * -32050 and the reason, and neither node lets the agent in again.
 */
class ServeMcpNodesTest {
  @TempDir Path dir;
  private final String prefix = "m" + UUID.randomUUID().toString().substring(0, 8);

  @AfterEach
  void removeKeys() throws Exception {
    // The machine's Redis outlives the test: leave none of this test's keys behind.
    new ProcessBuilder("sh", "-c", "redis-cli --scan --pattern '{" + prefix + "*' | xargs -r redis-cli del >/dev/null")
        .inheritIO().start().waitFor(20, TimeUnit.SECONDS);
  }

  private ServeCommand.Running node(String name, String upstream) throws Exception {
    CurfewConfig cfg = CurfewConfig.parse("""
        store: redis
        redis:
          uri: redis://127.0.0.1:6379
          key_prefix: %s
        policies:
          default: {idle_timeout: 15m, absolute_timeout: 12h}
        gateway:
          port: 0
          routes:
            - path: /mcp
              kind: mcp
              upstream: %s
        """.formatted(prefix, upstream)).withOverrides(0, dir.resolve(name));
    return ServeCommand.start(cfg, quiet());
  }

  @Test
  void aRevocationOnOneNodeEndsTheToolCallRunningThroughAnother() throws Exception {
    try (SdkMcpServer mcp = new SdkMcpServer()) {
      ServeCommand.Running a = node("a", mcp.endpoint());
      ServeCommand.Running b = node("b", mcp.endpoint());
      try {
        Decision opened = b.redis.open("agent-9", "default", Map.of(), Audience.of("mcp:/mcp"), "platform")
            .get(30, TimeUnit.SECONDS);
        McpSyncClient viaA = SdkMcpServer.client("http://127.0.0.1:" + a.gatewayPort, "/mcp", opened.token());
        McpSchema.CallToolResult echo = viaA.callTool(new McpSchema.CallToolRequest("echo", Map.of("text", "hi")));
        assertThat(((McpSchema.TextContent) echo.content().get(0)).text()).isEqualTo("echo: hi");

        CompletableFuture<McpSchema.CallToolResult> slow =
            CompletableFuture.supplyAsync(() -> viaA.callTool(new McpSchema.CallToolRequest("slow", Map.of())));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !mcp.bodiesContaining("\"slow\"").isEmpty());
        assertThat(b.redis.revoke(opened.status().sessionId(), "admin", "agent misbehaved").get(30, TimeUnit.SECONDS)
            .allowed()).isTrue();

        assertThatThrownBy(() -> slow.get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(McpError.class, e -> {
          assertThat(e.getJsonRpcError().code()).isEqualTo(-32050);
          assertThat(((Map<?, ?>) e.getJsonRpcError().data()).get("reason")).isEqualTo("revoked");
        });
        assertThatThrownBy(viaA::listTools).isInstanceOf(McpHttpClientTransportAuthorizationException.class);
        java.net.http.HttpResponse<String> viaB = java.net.http.HttpClient.newHttpClient().send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + b.gatewayPort + "/mcp"))
                .header("Authorization", "Bearer " + opened.token()).header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(viaB.statusCode()).isEqualTo(401);
        assertThat(viaB.body()).contains("\"reason\":\"revoked\"");
        // The upstream heard of the cancelled call from the node that ran it.
        Awaitility.await().atMost(Duration.ofSeconds(30))
            .until(() -> !mcp.bodiesContaining("notifications/cancelled").isEmpty());
      } finally {
        a.stop(quiet());
        b.stop(quiet());
      }
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }
}

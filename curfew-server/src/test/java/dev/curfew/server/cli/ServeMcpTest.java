package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.Audience;
import dev.curfew.gateway.mcp.testing.SdkMcpServer;
import dev.curfew.server.config.CurfewConfig;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.McpHttpClientTransportAuthorizationException;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code curfew serve} with a {@code kind: mcp} gateway route in front of the official MCP Java
 * SDK's server, driven by the SDK's client: tool calls go through, the token stays at the gateway,
 * a revocation ends the running call with -32050 and the reason, and the trail has every step.
 */
class ServeMcpTest {
  @TempDir Path dir;

  @Test
  void anAgentsToolCallsGoThroughServeAndItsRevocationEndsTheRunningCall() throws Exception {
    try (SdkMcpServer mcp = new SdkMcpServer()) {
      CurfewConfig cfg = CurfewConfig.parse("""
          policies:
            default: {idle_timeout: 15m, absolute_timeout: 12h}
          gateway:
            port: 0
            routes:
              - path: /mcp
                kind: mcp
                upstream: %s
          """.formatted(mcp.endpoint())).withOverrides(0, dir.resolve("data"));
      ServeCommand.Running running = ServeCommand.start(cfg, quiet());
      try {
        String base = "http://127.0.0.1:" + running.gatewayPort;
        var opened = running.sessions.open("agent-7", "default", Map.of(), Audience.of("mcp:/mcp"), "platform").join();
        McpSyncClient client = SdkMcpServer.client(base, "/mcp", opened.token());
        McpSchema.CallToolResult echo = client.callTool(new McpSchema.CallToolRequest("echo", Map.of("text", "hi")));
        assertThat(((McpSchema.TextContent) echo.content().get(0)).text()).isEqualTo("echo: hi");

        CompletableFuture<McpSchema.CallToolResult> slow =
            CompletableFuture.supplyAsync(() -> client.callTool(new McpSchema.CallToolRequest("slow", Map.of())));
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !mcp.bodiesContaining("\"slow\"").isEmpty());
        running.sessions.revoke(opened.status().sessionId(), "admin", "agent misbehaved").join();
        assertThatThrownBy(() -> slow.get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(McpError.class, e -> {
          assertThat(e.getJsonRpcError().code()).isEqualTo(-32050);
          assertThat(((Map<?, ?>) e.getJsonRpcError().data()).get("reason")).isEqualTo("revoked");
        });
        assertThatThrownBy(client::listTools).isInstanceOf(McpHttpClientTransportAuthorizationException.class);

        HttpResponse<String> later = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/mcp"))
            .header("Authorization", "Bearer " + opened.token()).header("Content-Type", "application/json")
            .header("Accept", "application/json, text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/list\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(later.statusCode()).isEqualTo(401);
        assertThat(later.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v)
            .startsWith("Bearer").contains("error=\"invalid_token\""));
        assertThat(later.body()).contains("\"reason\":\"revoked\"");

        assertThat(mcp.received).allSatisfy(r -> assertThat(r.authorization()).isNull());
        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(trail(running))
            .contains("\"type\":\"connection.opened\"").contains("\"protocol\":\"mcp\"")
            .contains("\"type\":\"agent.tool_called\"").contains("\"outcome\":\"cancelled\"")
            .contains("\"type\":\"connection.closed\"").contains("\"why\":\"session_ended\""));
        assertThat(trail(running)).doesNotContain(opened.token());
      } finally {
        running.stop(quiet());
      }
    }
  }

  private static PrintStream quiet() {
    return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
  }

  private static String trail(ServeCommand.Running running) throws Exception {
    StringBuilder all = new StringBuilder();
    running.store.log().scan(0, line -> {
      all.append(line).append('\n');
      return true;
    });
    return all.toString();
  }
}

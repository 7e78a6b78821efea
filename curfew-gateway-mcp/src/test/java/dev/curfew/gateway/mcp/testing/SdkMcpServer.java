package dev.curfew.gateway.mcp.testing;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
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
 * A real MCP server of the official Java SDK (Streamable HTTP at {@code /mcp}, on an embedded
 * Tomcat), for tests of the gateway in front of it. Tools: {@code echo} answers at once; {@code
 * slow} runs until {@link #releaseSlow()} (or 60 s). Every request it receives is recorded
 * ({@link #received}).
 */
public final class SdkMcpServer implements AutoCloseable {
  /** One request as the MCP server received it. */
  public record Received(String method, String sessionId, String authorization, String body) {}

  public final List<Received> received = new CopyOnWriteArrayList<>();
  private final CountDownLatch slowRelease = new CountDownLatch(1);
  private final Tomcat tomcat;
  private final McpSyncServer server;

  public SdkMcpServer() {
    HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
        .mcpEndpoint("/mcp")
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
      // Tomcat closes a kept-alive connection after 100 requests by default; a client's pooled
      // request may meet that close. Unlimited, so that the benchmark measures calls, not reconnects.
      tomcat.getConnector().setProperty("maxKeepAliveRequests", "-1");
      tomcat.start();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The MCP endpoint: {@code http://127.0.0.1:PORT/mcp}. */
  public String endpoint() {
    return "http://127.0.0.1:" + tomcat.getConnector().getLocalPort() + "/mcp";
  }

  public void releaseSlow() {
    slowRelease.countDown();
  }

  public List<Received> bodiesContaining(String text) {
    return received.stream().filter(r -> r.body().contains(text)).toList();
  }

  /** An SDK client of {@code baseUrl} + {@code /mcp} presenting {@code token} as its bearer token; initialized. */
  public static McpSyncClient client(String baseUrl, String path, String token) {
    HttpClientStreamableHttpTransport t = HttpClientStreamableHttpTransport.builder(baseUrl).endpoint(path)
        .httpRequestCustomizer((b, method, uri, body, ctx) -> b.header("Authorization", "Bearer " + token))
        .build();
    McpSyncClient c = McpClient.sync(t).requestTimeout(Duration.ofSeconds(60)).build();
    c.initialize();
    return c;
  }

  private Filter recording() {
    return (request, response, chain) -> {
      HttpServletRequest http = (HttpServletRequest) request;
      byte[] body = http.getInputStream().readAllBytes();
      received.add(new Received(http.getMethod(), http.getHeader("Mcp-Session-Id"), http.getHeader("Authorization"),
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

  @Override
  public void close() {
    releaseSlow();
    server.close();
    try {
      tomcat.stop();
      tomcat.destroy();
    } catch (Exception ignored) {
      // best effort
    }
  }
}

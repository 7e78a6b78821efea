package dev.curfew.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Paging GET /v1/audit whether its next is a seq (one node's log) or a cursor (the trees of several nodes). */
class AuditPagingTest {
  private HttpServer server;
  private final List<String> queries = new ArrayList<>();

  @AfterEach
  void stop() {
    if (server != null) server.stop(0);
  }

  private CurfewClient serving(String... pages) throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v1/audit", exchange -> {
      queries.add(exchange.getRequestURI().getRawQuery());
      byte[] body = pages[Math.min(queries.size(), pages.length) - 1].getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    return CurfewClient.builder(URI.create("http://127.0.0.1:" + server.getAddress().getPort())).apiKey("k").build();
  }

  private static String record(String node, int seq) {
    return "{\"node\":\"" + node + "\",\"seq\":" + seq + ",\"time\":\"2026-12-04T07:00:00.000Z\",\"type\":\"session.created\"}";
  }

  @Test
  void aCursorIsKeptAndPassedBack_untilNoneIsGiven() throws Exception {
    CurfewClient client = serving(
        "{\"records\":[" + record("node-a", 0) + "],\"next\":\"t.bm9kZS1hOjA\"}",
        "{\"records\":[" + record("node-b", 0) + "],\"next\":null}");
    AuditPage first = client.audit(AuditQuery.all().limit(1));
    assertThat(first.next()).isEmpty();
    assertThat(first.cursor()).contains("t.bm9kZS1hOjA");
    assertThat(first.hasMore()).isTrue();
    AuditPage second = client.audit(AuditQuery.all().limit(1).after(first));
    assertThat(queries.get(1)).isEqualTo("limit=1&after=t.bm9kZS1hOjA");
    assertThat(second.hasMore()).isFalse();
    assertThat(second.records()).hasSize(1);
  }

  @Test
  void aSeqStaysASeq() throws Exception {
    CurfewClient client = serving("{\"records\":[" + record("node-a", 4) + "],\"next\":4}");
    AuditPage page = client.audit(AuditQuery.all().limit(1));
    assertThat(page.next()).hasValue(4);
    assertThat(page.cursor()).isEmpty();
    client.audit(AuditQuery.all().limit(1).after(page));
    assertThat(queries.get(1)).isEqualTo("limit=1&after=4");
  }
}

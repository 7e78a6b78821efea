package dev.curfew.gateway.mcp;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Issue 15's benchmark: {@code tools/call} per second and p50 latency, directly to the MCP SDK's
 * server and through the MCP gateway (token checked and touched, the call tracked, its SSE answer
 * read event by event, {@code agent.tool_called} appended), same run, same server. Not part of
 * the suite: {@code mvn -o -pl curfew-gateway-mcp -am -Dmcp.bench=true -Dtest=McpGatewayBenchmark
 * -Dsurefire.failIfNoSpecifiedTests=false test}, with {@code -Dmcp.bench.order=gateway-first} to
 * measure the gateway before the direct run; see docs/benchmarks.md ("MCP gateway") for figures.
 */
@EnabledIfSystemProperty(named = "mcp.bench", matches = "true")
class McpGatewayBenchmark {
  private static final int CONCURRENCY = Integer.getInteger("mcp.bench.concurrency", 16);
  private static final long WARMUP_MS = Long.getLong("mcp.bench.warmup", 3) * 1000;
  private static final boolean GATEWAY_FIRST = "gateway-first".equals(System.getProperty("mcp.bench.order"));
  private static final long MEASURE_MS = Long.getLong("mcp.bench.seconds", 10) * 1000;
  private static final String CALL = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\","
      + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}";

  record Result(double callsPerSecond, double p50Ms, double p99Ms) {}

  @Test
  void throughTheGatewayVersusDirect() throws Exception {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      java.net.URI up = java.net.URI.create(f.mcpServer.endpoint());
      String token = f.open("bench", "long");
      Result gateway = GATEWAY_FIRST ? run(f, f.port, token) : null;
      Result direct = run(f, up.getPort(), null);
      if (!GATEWAY_FIRST) gateway = run(f, f.port, token);
      System.out.printf("MCP tools/call, %d concurrent, %d s each, %s first%n", CONCURRENCY, MEASURE_MS / 1000,
          GATEWAY_FIRST ? "gateway" : "direct");
      System.out.printf("direct:  %.0f calls/s, p50 %.2f ms, p99 %.2f ms%n", direct.callsPerSecond, direct.p50Ms, direct.p99Ms);
      System.out.printf("gateway: %.0f calls/s, p50 %.2f ms, p99 %.2f ms%n", gateway.callsPerSecond, gateway.p50Ms, gateway.p99Ms);
      System.out.printf("ratio %.0f %%, added p50 %.2f ms%n", 100 * gateway.callsPerSecond / direct.callsPerSecond,
          gateway.p50Ms - direct.p50Ms);
    }
  }

  private static Result run(McpGatewayFixture f, int port, String token) throws Exception {
    HttpClient client = f.vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(CONCURRENCY));
    RawMcp raw = new RawMcp(f.vertx, port);
    String session = token == null ? rawInit(raw) : raw.initialize(token);
    long warmEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WARMUP_MS);
    long end = warmEnd + TimeUnit.MILLISECONDS.toNanos(MEASURE_MS);
    List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    List<Future<Void>> loops = new ArrayList<>();
    for (int i = 0; i < CONCURRENCY; i++) {
      Promise<Void> done = Promise.promise();
      loop(client, port, token, session, i * 1_000_000L, warmEnd, end, latencies, done);
      loops.add(done.future());
    }
    Future.all(loops).await(MEASURE_MS + WARMUP_MS + 60_000, TimeUnit.MILLISECONDS);
    client.close();
    List<Long> sorted = new ArrayList<>(latencies);
    Collections.sort(sorted);
    double p50 = sorted.get(sorted.size() / 2) / 1e6;
    double p99 = sorted.get((int) (sorted.size() * 0.99)) / 1e6;
    return new Result(sorted.size() * 1000.0 / MEASURE_MS, p50, p99);
  }

  private static String rawInit(RawMcp raw) {
    RawMcp.Answer a = raw.send(HttpMethod.POST, null, null, RawMcp.INITIALIZE);
    String id = a.headers().get(McpGateway.SESSION_HEADER);
    raw.send(HttpMethod.POST, null, id, RawMcp.INITIALIZED);
    return id;
  }

  private static void loop(HttpClient client, int port, String token, String session, long id, long warmEnd, long end,
      List<Long> latencies, Promise<Void> done) {
    long start = System.nanoTime();
    if (start >= end) {
      done.complete();
      return;
    }
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/mcp").putHeader("Accept", "application/json, text/event-stream")
        .putHeader("Content-Type", "application/json").putHeader(McpGateway.SESSION_HEADER, session);
    if (token != null) o.putHeader("Authorization", "Bearer " + token);
    client.request(o).compose(r -> r.send(Buffer.buffer(CALL.formatted(id))))
        .compose(r -> r.body().map(b -> {
          if (r.statusCode() != 200 || !b.toString().contains("echo: hi")) throw new IllegalStateException(b.toString());
          return b;
        }))
        .onComplete(ar -> {
          if (ar.failed()) {
            done.fail(ar.cause());
            return;
          }
          long now = System.nanoTime();
          if (start >= warmEnd) latencies.add(now - start);
          loop(client, port, token, session, id + 1, warmEnd, end, latencies, done);
        });
  }
}

package dev.curfew.gateway.mcp;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * The MCP benchmark's load, run as its own process so that it does not share a JVM with the gateway
 * and the MCP server it measures: {@code concurrency} loops of {@code tools/call} (tool {@code echo}),
 * each target in its own MCP session. It warms up against every target, then measures {@code rounds}
 * rounds that visit the targets in turn, {@code seconds} each, so that no target finds the load's
 * JIT warmer than another did. Prints a line per measurement: {@code target=<i> round=<r> calls=<n>
 * seconds=<s> p50_us=<..> p99_us=<..>}; exits 1 on any failed call.
 *
 * <p>Arguments: concurrency, warm-up seconds (per target), measured seconds, rounds, then for each
 * target {@code port,token,mcpSessionId} (token {@code -} for none).
 */
public final class McpLoad {
  private static final String CALL = "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\","
      + "\"params\":{\"name\":\"echo\",\"arguments\":{\"text\":\"hi\"}}}";

  record Target(int port, String token, String session) {
    static Target parse(String arg) {
      String[] p = arg.split(",", 3);
      return new Target(Integer.parseInt(p[0]), p[1].equals("-") ? null : p[1], p[2]);
    }
  }

  public static void main(String[] args) throws Exception {
    int concurrency = Integer.parseInt(args[0]);
    long warmupNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
    long measureNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
    int rounds = Integer.parseInt(args[3]);
    List<Target> targets = new ArrayList<>();
    for (int i = 4; i < args.length; i++) targets.add(Target.parse(args[i]));
    Vertx vertx = Vertx.vertx();
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(concurrency));
    int status = 0;
    try {
      for (Target t : targets) run(vertx, client, t, concurrency, warmupNanos);
      for (int round = 1; round <= rounds; round++) {
        for (int i = 0; i < targets.size(); i++) {
          Histogram h = run(vertx, client, targets.get(i), concurrency, measureNanos);
          System.out.printf("target=%d round=%d calls=%d seconds=%.3f p50_us=%d p99_us=%d%n", i, round, h.getTotalCount(),
              measureNanos / 1e9, h.getValueAtPercentile(50) / 1000, h.getValueAtPercentile(99) / 1000);
        }
      }
    } catch (Exception e) {
      System.out.println("failed: " + e);
      status = 1;
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(status);
  }

  /** {@code concurrency} loops against {@code t} for {@code nanos}; their latencies. */
  private static Histogram run(Vertx vertx, HttpClient client, Target t, int concurrency, long nanos) throws Exception {
    Histogram latencies = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
    long end = System.nanoTime() + nanos;
    List<Future<Void>> loops = new ArrayList<>();
    long firstId = System.nanoTime();
    for (int i = 0; i < concurrency; i++) {
      // Each loop on a context of its own, kept for all its calls (see RawMcp on why).
      Context context = vertx.getOrCreateContext();
      Promise<Void> done = Promise.promise();
      long id = firstId + i * 1_000_000L;
      context.runOnContext(v -> new Loop(client, t, end, latencies, done).next(id));
      loops.add(done.future());
    }
    Future.all(loops).await(nanos + TimeUnit.SECONDS.toNanos(60), TimeUnit.NANOSECONDS);
    synchronized (latencies) {
      return latencies.copy();
    }
  }

  private record Loop(HttpClient client, Target t, long end, Histogram latencies, Promise<Void> done) {
    void next(long id) {
      long start = System.nanoTime();
      if (start >= end) {
        done.tryComplete();
        return;
      }
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(t.port())
          .setURI("/mcp").putHeader("Accept", "application/json, text/event-stream")
          .putHeader("Content-Type", "application/json").putHeader(McpGateway.SESSION_HEADER, t.session());
      if (t.token() != null) o.putHeader("Authorization", "Bearer " + t.token());
      client.request(o).compose(r -> r.send(Buffer.buffer(CALL.formatted(id))))
          .compose(r -> r.body().map(b -> {
            if (r.statusCode() != 200 || !b.toString().contains("echo: hi")) {
              throw new IllegalStateException(r.statusCode() + " " + b);
            }
            return b;
          }))
          .onComplete(ar -> {
            if (ar.failed()) {
              done.tryFail(ar.cause());
              return;
            }
            long now = System.nanoTime();
            synchronized (latencies) {
              latencies.recordValue(Math.min(now - start, latencies.getHighestTrackableValue()));
            }
            next(id + 1);
          });
    }
  }
}

package dev.curfew.gateway.mcp;

import io.vertx.core.http.HttpMethod;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Issue 15's benchmark: {@code tools/call} per second and p50 latency, directly to the MCP SDK's
 * server and through the MCP gateway (token checked and touched, the call tracked, its SSE answer
 * read event by event, {@code agent.tool_called} appended), same run, same server, the load from a
 * second process ({@link McpLoad}). Rounds alternate direct and gateway after a warm-up of both, so
 * that neither finds the other's warm JIT or threads. Not part of the suite:
 * {@code curfew-gateway-mcp/bench/run.sh}; see docs/benchmarks.md ("MCP gateway").
 */
@EnabledIfSystemProperty(named = "mcp.bench", matches = "true")
class McpGatewayBenchmark {
  private static final int CONCURRENCY = Integer.getInteger("mcp.bench.concurrency", 16);
  private static final int WARMUP_S = Integer.getInteger("mcp.bench.warmup", 15);
  private static final int MEASURE_S = Integer.getInteger("mcp.bench.seconds", 10);
  private static final int ROUNDS = Integer.getInteger("mcp.bench.rounds", 3);
  private static final Pattern LINE = Pattern.compile("target=(\\d+) round=(\\d+) calls=(\\d+) seconds=([\\d.]+) p50_us=(\\d+) p99_us=(\\d+)");

  record Result(double callsPerSecond, double p50Ms, double p99Ms) {}

  @Test
  void throughTheGatewayVersusDirect() throws Exception {
    try (McpGatewayFixture f = new McpGatewayFixture()) {
      int directPort = java.net.URI.create(f.mcpServer.endpoint()).getPort();
      String token = f.open("bench", "long");
      RawMcp direct = new RawMcp(f.vertx, directPort);
      RawMcp gateway = new RawMcp(f.vertx, f.port);
      String directSession = rawInit(direct);
      String gatewaySession = gateway.initialize(token);
      System.out.printf("MCP tools/call, %d concurrent, load from a second process; %s%n", CONCURRENCY, machine());
      List<Result[]> rounds = load(List.of(directPort + ",-," + directSession, f.port + "," + token + "," + gatewaySession));
      for (int i = 0; i < rounds.size(); i++) {
        Result d = rounds.get(i)[0];
        Result g = rounds.get(i)[1];
        System.out.printf("round %d  direct: %.0f calls/s, p50 %.2f ms, p99 %.2f ms | gateway: %.0f calls/s, p50 %.2f ms,"
            + " p99 %.2f ms | ratio %.0f %%, added p50 %.2f ms%n", i + 1, d.callsPerSecond, d.p50Ms, d.p99Ms,
            g.callsPerSecond, g.p50Ms, g.p99Ms, 100 * g.callsPerSecond / d.callsPerSecond, g.p50Ms - d.p50Ms);
      }
      System.out.printf("load average after: %s%n", loadAverage());
    }
  }

  private static String rawInit(RawMcp raw) {
    RawMcp.Answer a = raw.send(HttpMethod.POST, null, null, RawMcp.INITIALIZE);
    String id = a.headers().get(McpGateway.SESSION_HEADER);
    raw.send(HttpMethod.POST, null, id, RawMcp.INITIALIZED);
    return id;
  }

  /** {@link McpLoad} in its own JVM, on this JVM's class path; per round, a result per target. */
  private static List<Result[]> load(List<String> targets) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), McpLoad.class.getName(), String.valueOf(CONCURRENCY),
        String.valueOf(WARMUP_S), String.valueOf(MEASURE_S), String.valueOf(ROUNDS)));
    cmd.addAll(targets);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> out = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) out.add(line);
    }
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("the load failed: " + out);
    List<Result[]> rounds = new ArrayList<>();
    for (String line : out) {
      Matcher m = LINE.matcher(line);
      if (!m.find()) continue;
      int target = Integer.parseInt(m.group(1));
      int round = Integer.parseInt(m.group(2));
      while (rounds.size() < round) rounds.add(new Result[targets.size()]);
      rounds.get(round - 1)[target] = new Result(Long.parseLong(m.group(3)) / Double.parseDouble(m.group(4)),
          Long.parseLong(m.group(5)) / 1000.0, Long.parseLong(m.group(6)) / 1000.0);
    }
    if (rounds.size() != ROUNDS) throw new IllegalStateException("the load printed " + out);
    return rounds;
  }

  private static String machine() {
    return Runtime.getRuntime().availableProcessors() + " CPUs, Java " + System.getProperty("java.version") + ", load "
        + loadAverage();
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (Exception e) {
      return "unknown";
    }
  }
}

package dev.curfew.store.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private Redis Cluster for one test: three primaries and a replica of each, started from the
 * machine's {@code redis-server} on free loopback ports, joined with {@code redis-cli --cluster
 * create}, and stopped (every process killed, its directory removed) at {@link #close}. Without
 * {@code redis-server} the test is skipped, except in CI ({@code CI} set), where that fails it.
 * Public, in this module's test jar, for the tests of {@code curfew serve} on a cluster.
 */
public final class RedisClusterProcesses implements AutoCloseable {
  /** How long a primary may be silent before its replica is promoted (cluster-node-timeout). */
  static final Duration NODE_TIMEOUT = Duration.ofMillis(1500);

  final List<Integer> ports = new ArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private final Path dir;

  public RedisClusterProcesses(Path dir) throws Exception {
    boolean installed = new ProcessBuilder("sh", "-c", "command -v redis-server && command -v redis-cli")
        .start().waitFor() == 0;
    assumeTrue(installed || System.getenv("CI") != null, "redis-server is not installed");
    this.dir = dir;
    try {
      for (int i = 0; i < 6; i++) {
        int port = freePort();
        ports.add(port);
        Path d = Files.createDirectories(dir.resolve(Integer.toString(port)));
        processes.add(new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", Long.toString(NODE_TIMEOUT.toMillis()), "--save", "", "--appendonly", "no",
            "--dir", d.toString(), "--logfile", d.resolve("redis.log").toString())
            .redirectErrorStream(true).redirectOutput(d.resolve("stdout").toFile()).start());
      }
      for (int port : ports) waitFor(() -> cli(port, "ping").contains("PONG"), "redis on " + port);
      List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
      for (int port : ports) create.add("127.0.0.1:" + port);
      create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
      Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("cluster create failed: " + out);
      for (int port : ports) {
        waitFor(() -> {
          String info = cli(port, "cluster", "info");
          return info.contains("cluster_state:ok") && info.contains("cluster_known_nodes:6");
        }, "cluster state on " + port);
      }
      // Every replica has finished its first synchronisation (a primary forks for it meanwhile).
      waitFor(() -> {
        int up = 0;
        for (int port : ports) {
          String info = cli(port, "info", "replication");
          if (info.contains("role:slave") && info.contains("master_link_status:up")
              && !info.contains("master_sync_in_progress:1")) {
            up++;
          }
        }
        return up == 3;
      }, "the replicas' first synchronisation");
    } catch (Exception e) {
      close();
      throw e;
    }
  }

  /** The seed URIs, as the client options take them ({@link RedisNodes#options}). */
  public String uris() {
    StringBuilder b = new StringBuilder();
    for (int port : ports.subList(0, 3)) b.append(b.length() == 0 ? "" : ",").append("redis://127.0.0.1:").append(port);
    return b.toString();
  }

  /** The port of the primary that serves hash slot {@code slot} now. */
  int primaryOf(int slot) throws Exception {
    for (int port : ports) {
      String role = cli(port, "role");
      if (!role.startsWith("master")) continue;
      for (String line : cli(port, "cluster", "nodes").split("\n")) {
        String[] f = line.split(" ");
        if (f.length < 9 || !f[2].contains("myself")) continue;
        for (int i = 8; i < f.length; i++) {
          String range = f[i].trim();
          if (range.startsWith("[")) continue;
          String[] ab = range.split("-");
          int lo = Integer.parseInt(ab[0]);
          int hi = ab.length > 1 ? Integer.parseInt(ab[1]) : lo;
          if (slot >= lo && slot <= hi) return port;
        }
      }
    }
    throw new IllegalStateException("no primary serves slot " + slot);
  }

  /** The port of a replica of the primary on {@code primaryPort}. */
  int replicaOf(int primaryPort) throws Exception {
    String id = cli(primaryPort, "cluster", "myid").trim();
    for (int port : ports) {
      if (port == primaryPort) continue;
      String role = cli(port, "role");
      if (role.startsWith("slave") && role.contains("\n" + primaryPort + "\n") || cli(port, "cluster", "nodes")
          .lines().anyMatch(l -> l.contains("myself") && l.contains("slave " + id))) {
        return port;
      }
    }
    throw new IllegalStateException("no replica of " + primaryPort);
  }

  /** Kills the process on {@code port} at once (SIGKILL): a primary dying with no warning. */
  void kill(int port) {
    processes.get(ports.indexOf(port)).destroyForcibly();
  }

  static String cli(int port, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", Integer.toString(port)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(20, TimeUnit.SECONDS);
    return out;
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void waitFor(Check c, String what) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      if (c.ok()) return;
      Thread.sleep(100);
    }
    throw new IllegalStateException("timed out waiting for " + what);
  }

  /** A free port whose cluster bus port (port + 10000) is free too. */
  private static int freePort() throws IOException {
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = 20000 + (int) (Math.random() * 20000);
      try (ServerSocket a = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress());
           ServerSocket b = new ServerSocket(port + 10000, 1, java.net.InetAddress.getLoopbackAddress())) {
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port pair");
  }

  @Override
  public void close() {
    for (Process p : processes) p.destroyForcibly();
    for (Process p : processes) {
      try {
        p.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

package dev.curfew.store.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private standalone Redis for one test that breaks it: stopped, paused (SIGSTOP) or
 * reconfigured, never the machine's shared one. It listens on a free port among 19450-19499 (the
 * range set aside for such tests) and is killed at {@link #close}. Without {@code redis-server} the
 * test is skipped, except in CI ({@code CI} set), where that fails it.
 */
final class RedisProcess implements AutoCloseable {
  final int port;
  private final Path dir;
  private Process process;

  RedisProcess(Path dir) throws Exception {
    boolean installed = new ProcessBuilder("sh", "-c", "command -v redis-server && command -v redis-cli")
        .start().waitFor() == 0;
    assumeTrue(installed || System.getenv("CI") != null, "redis-server is not installed");
    this.dir = dir;
    this.port = freePort();
    start();
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts it (again, empty: it keeps nothing on disk). */
  void start() throws Exception {
    process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--save", "", "--appendonly", "no", "--dir", dir.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis-" + port + ".log").toFile()).start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!cli("ping").contains("PONG")) {
      if (System.nanoTime() > until) throw new IOException("redis-server on " + port + " did not start");
      Thread.sleep(50);
    }
  }

  /** Kills it: its clients' connections are refused from now on. */
  void stop() throws Exception {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** Stops the process where it is (SIGSTOP): connections stay open and nothing is answered. */
  void pause() throws Exception {
    signal("STOP");
  }

  /** Lets a paused Redis run again: what it was sent meanwhile is executed now. */
  void resume() throws Exception {
    if (process.isAlive()) signal("CONT");
  }

  private void signal(String name) throws Exception {
    if (new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  String cli(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  private static int freePort() throws IOException {
    List<Integer> ports = new ArrayList<>();
    for (int p = 19450; p <= 19499; p++) ports.add(p);
    Collections.shuffle(ports);
    for (int p : ports) {
      try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
        return p;
      } catch (IOException taken) {
        // another test's Redis
      }
    }
    throw new IOException("no free port among 19450-19499");
  }

  @Override
  public void close() throws Exception {
    if (process == null || !process.isAlive()) return;
    signal("CONT"); // a paused process must run to die
    stop();
  }
}

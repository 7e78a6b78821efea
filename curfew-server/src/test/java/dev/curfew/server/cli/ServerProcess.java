package dev.curfew.server.cli;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A child JVM running {@code curfew serve --port 0}, for tests that kill it. */
record ServerProcess(Process process, int port, List<String> output) {
  private static final Pattern LISTENING = Pattern.compile("API listening on https?://localhost:(\\d+)");
  private static final Pattern GATEWAY = Pattern.compile("gateway listening on https?://localhost:(\\d+)");

  static ServerProcess start(Path config, Path data) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new java.util.ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "serve", "--port", "0", "--data", data.toString()));
    if (config != null) command.addAll(List.of("--config", config.toString())); // null: the built-in defaults
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.redirectErrorStream(true);
    pb.environment().remove("CURFEW_API_KEY");
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = out.readLine();
      if (line == null) break;
      lines.add(line);
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        Thread drain = new Thread(() -> {
          try {
            for (String l; (l = out.readLine()) != null; ) lines.add(l);
          } catch (Exception ignored) {
            // process gone
          }
        });
        drain.setDaemon(true);
        drain.start();
        return new ServerProcess(p, Integer.parseInt(m.group(1)), lines);
      }
    }
    p.destroyForcibly();
    throw new AssertionError("server did not start: " + lines);
  }

  /** The gateway's port, once its listening line is out (within {@code seconds}). */
  int gatewayPort(int seconds) {
    return org.awaitility.Awaitility.await("gateway listening line in " + output)
        .atMost(java.time.Duration.ofSeconds(seconds))
        .until(() -> {
          for (String line : output) {
            Matcher m = GATEWAY.matcher(line);
            if (m.find()) return Integer.parseInt(m.group(1));
          }
          return null;
        }, java.util.Objects::nonNull);
  }

  /** SIGKILL: no shutdown hook runs. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM: a clean stop. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }
}

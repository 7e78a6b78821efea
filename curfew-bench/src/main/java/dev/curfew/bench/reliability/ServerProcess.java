package dev.curfew.bench.reliability;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code curfew serve} in a child process (started with {@code --port 0}), its output
 * appended to a log file, killed with SIGKILL ({@link Process#destroyForcibly()} on Unix) or stopped
 * with SIGTERM.
 */
final class ServerProcess {
  private static final Pattern LISTENING = Pattern.compile("API listening on http://[^:]+:(\\d+)");
  private static final Pattern RECOVERED = Pattern.compile("recovered (\\d+) live sessions, (\\d+) expired while down");

  private final Process process;
  private final List<String> output = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Integer> port = new CompletableFuture<>();
  private final long startedNanos = System.nanoTime();
  private volatile long readyNanos;

  private ServerProcess(Process process, Path logFile) {
    this.process = process;
    Thread reader = new Thread(() -> read(logFile), "curfew-child-output");
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Starts {@code command} (the launcher, e.g. {@code java -jar curfew.jar}) with {@code serve
   * --config config --port 0 --data data}. Returns at once; {@link #awaitReady} waits for the port.
   */
  static ServerProcess start(List<String> command, List<String> jvmOptions, Path config, Path data, Path logFile)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(command.get(0));
    cmd.addAll(jvmOptions);
    cmd.addAll(command.subList(1, command.size()));
    cmd.addAll(List.of("serve", "--config", config.toString(), "--port", "0", "--data", data.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().remove("CURFEW_API_KEY"); // the key is the one the server keeps in data/api-key
    return new ServerProcess(pb.start(), logFile);
  }

  private void read(Path logFile) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         PrintWriter log = new PrintWriter(Files.newBufferedWriter(logFile, StandardOpenOption.CREATE,
             StandardOpenOption.APPEND), true)) {
      log.println("---- pid " + process.pid());
      for (String line; (line = in.readLine()) != null; ) {
        output.add(line);
        log.println(line);
        Matcher m = LISTENING.matcher(line);
        if (m.find() && !port.isDone()) {
          readyNanos = System.nanoTime();
          port.complete(Integer.parseInt(m.group(1)));
        }
      }
    } catch (IOException e) {
      // the process is gone
    } finally {
      port.completeExceptionally(new IOException("server exited before listening (exit "
          + (process.isAlive() ? "?" : process.exitValue()) + "): " + tail()));
    }
  }

  /** Waits until the API listens; returns its port. */
  int awaitReady(long timeoutMs) throws Exception {
    try {
      return port.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  boolean ready() {
    return port.isDone() && !port.isCompletedExceptionally();
  }

  /** Time from spawn to listening, in ms (-1: not ready). */
  long startMillis() {
    return ready() ? TimeUnit.NANOSECONDS.toMillis(readyNanos - startedNanos) : -1;
  }

  /** Live and ended-while-down session counts from the start line, or null before it is printed. */
  long[] recovered() {
    for (String line : output) {
      Matcher m = RECOVERED.matcher(line);
      if (m.find()) return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }
    return null;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hook, no final snapshot, no node.stopped; waits until the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(30, TimeUnit.SECONDS)) throw new IllegalStateException("pid " + pid() + " survived SIGKILL");
  }

  /** SIGTERM: a clean stop; returns the exit code. */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new IllegalStateException("pid " + pid() + " did not stop within 60 s of SIGTERM: " + tail());
    }
    return process.exitValue();
  }

  List<String> output() {
    return output;
  }

  String tail() {
    int n = output.size();
    return String.join(" | ", output.subList(Math.max(0, n - 8), n));
  }

  /** Runs {@code command} with {@code args} to its end (e.g. {@code audit verify}); returns exit code and output. */
  static Result run(List<String> command, List<String> args, long timeoutMs) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(command);
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
      try {
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    });
    if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + " did not finish within " + timeoutMs + " ms");
    }
    return new Result(p.exitValue(), out.join());
  }

  record Result(int exit, String output) {
    Result {
      Objects.requireNonNull(output, "output");
    }
  }
}

package dev.curfew.client;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code curfew serve} in a child JVM (the test class path holds curfew-server), on a free port,
 * with a data directory and configuration of its own. API keys come from the environment: {@link
 * #ADMIN_KEY} as {@code CURFEW_API_KEY}, and those the configuration names by {@code key_env}.
 * Shared with the Spring Boot starter's and the sample's tests (this module's test jar).
 */
public final class CurfewServerProcess implements AutoCloseable {
  public static final String ADMIN_KEY = "admin-key-for-client-tests-0123456789";
  private static final Pattern LISTENING = Pattern.compile("API listening on https?://localhost:(\\d+)");

  private final Process process;
  private final int port;
  private final List<String> output;

  private CurfewServerProcess(Process process, int port, List<String> output) {
    this.process = process;
    this.port = port;
    this.output = output;
  }

  /** Starts a server with {@code configYaml} (null: the built-in defaults) and {@code env} added to its environment. */
  public static CurfewServerProcess start(Path dir, String configYaml, Map<String, String> env) throws Exception {
    Path data = dir.resolve("data");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        "dev.curfew.server.cli.Main", "serve", "--port", "0", "--data", data.toString()));
    if (configYaml != null) {
      Path config = dir.resolve("curfew.yaml");
      Files.writeString(config, configYaml);
      command.addAll(List.of("--config", config.toString()));
    }
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("CURFEW_API_KEY", ADMIN_KEY);
    pb.environment().putAll(env);
    Process p = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new CopyOnWriteArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90); // a bound on a hang on a loaded machine
    while (System.nanoTime() < deadline) {
      String line = out.readLine();
      if (line == null) break;
      lines.add(line);
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        Thread drain = new Thread(() -> {
          try {
            for (String l; (l = out.readLine()) != null; ) lines.add(l);
          } catch (Exception gone) {
            // the process ended
          }
        }, "curfew-server-output");
        drain.setDaemon(true);
        drain.start();
        return new CurfewServerProcess(p, Integer.parseInt(m.group(1)), lines);
      }
    }
    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    throw new AssertionError("curfew serve did not start: " + lines);
  }

  public URI uri() {
    return URI.create("http://127.0.0.1:" + port);
  }

  public int port() {
    return port;
  }

  public List<String> output() {
    return output;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }
}

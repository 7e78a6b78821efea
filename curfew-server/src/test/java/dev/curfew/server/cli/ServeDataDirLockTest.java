package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * One server per data directory (issue 12, item 3): a second {@code curfew serve} on a directory a
 * running server holds is refused before it writes anything, naming the holder; the first goes on
 * serving; the trail verifies afterwards. A taken port and a damaged log are one-line refusals.
 */
class ServeDataDirLockTest {
  @TempDir Path dir;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void aSecondServeOnAHeldDirectoryIsRefusedNamingTheHolder_theFirstIsUnaffected() throws Exception {
    Path config = dir.resolve("curfew.yaml");
    Files.writeString(config, "policies:\n  default:\n    idle_timeout: 10m\n    absolute_timeout: 1h\n"
        + "    warn_before: 1m\n    max_extensions: 3\n");
    Path data = dir.resolve("data");
    ServerProcess first = ServerProcess.start(config, data);
    try {
      String key = Files.readString(data.resolve("api-key")).trim();
      assertThat(create(first.port(), key, "alice").statusCode()).isEqualTo(201);
      List<String> before = auditLines(data);

      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process second = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
          Main.class.getName(), "serve", "--config", config.toString(), "--port", "0", "--data", data.toString())
          .redirectErrorStream(true).start();
      assertThat(second.waitFor(60, TimeUnit.SECONDS)).as("the second serve exits").isTrue();
      String out = new String(second.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(second.exitValue()).as(out).isEqualTo(1);
      assertThat(out.strip().lines().toList()).as("one line, no stack trace").hasSize(1);
      assertThat(out).contains("in use by another curfew process")
          .contains("pid " + first.process().pid())
          .contains("api port " + first.port())
          .contains("started at ");
      assertThat(auditLines(data)).as("nothing written by the refused start").isEqualTo(before);

      assertThat(create(first.port(), key, "bob").statusCode()).as("the first server goes on").isEqualTo(201);
    } finally {
      first.stop();
    }
    assertThat(auditLines(data).get(auditLines(data).size() - 1)).contains("\"type\":\"node.stopped\"");
    assertThat(run("audit", "verify", "--data", data.toString())).isZero();

    // Once the holder has stopped, the directory is free again.
    ServerProcess again = ServerProcess.start(config, data);
    again.stop();
    assertThat(run("audit", "verify", "--data", data.toString())).isZero();
  }

  @Test
  void aTakenPortIsNamed_andTheDirectoryIsLeftClean() throws Exception {
    Path data = dir.resolve("data");
    try (ServerSocket taken = new ServerSocket(0)) {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit = run(err, "serve", "--port", Integer.toString(taken.getLocalPort()), "--data", data.toString());
      String text = err.toString(StandardCharsets.UTF_8);
      assertThat(exit).as(text).isEqualTo(1);
      assertThat(text).contains("cannot listen for the API on").contains(":" + taken.getLocalPort());
      assertThat(text).doesNotContain("\tat ");
    }
    List<String> lines = auditLines(data);
    assertThat(lines.get(lines.size() - 1)).contains("\"type\":\"node.stopped\"");
    assertThat(run("audit", "verify", "--data", data.toString())).isZero();
    // and the lock was released: the directory serves again
    ServerProcess.start(null, data).stop();
  }

  @Test
  void aDamagedLogIsNamedWithTheRepairCommand_notAStackTrace() throws Exception {
    Path data = dir.resolve("data");
    ServerProcess.start(null, data).stop();
    List<Path> all = segments(data);
    Path segment = all.get(all.size() - 1);
    List<String> lines = new java.util.ArrayList<>(Files.readAllLines(segment));
    long due = auditLines(data).size();
    lines.add(lines.get(0)); // a seq that was already written: what a second writer leaves behind
    Files.write(segment, lines, StandardCharsets.UTF_8);
    String repeated = lines.get(0).replaceAll(".*\"seq\":(\\d+).*", "$1");
    byte[] damaged = Files.readAllBytes(segment);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = run(err, "serve", "--port", "0", "--data", data.toString());
    String text = err.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(text).isEqualTo(1);
    assertThat(text).contains("is damaged").contains(segment.getFileName().toString())
        .contains("curfew audit repair --data " + data).doesNotContain("\tat ");
    assertThat(Files.readAllBytes(segment)).as("nothing changed").isEqualTo(damaged);

    // The repair command names the break and cuts nothing: the records after it may have been acknowledged.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(runOut(out, "audit", "repair", "--data", data.toString())).isEqualTo(1);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains(segment.getFileName() + " line " + lines.size() + " has seq " + repeated + " where seq " + due + " was due")
        .contains("1 record(s) follow").contains("Nothing was changed");
    assertThat(Files.readAllBytes(segment)).as("nothing changed").isEqualTo(damaged);
  }

  @Test
  void repairFindsNothingToDoOnAContinuousLog_andIsRefusedWhileAServerHoldsTheDirectory() throws Exception {
    Path data = dir.resolve("data");
    ServerProcess running = ServerProcess.start(null, data);
    try {
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      assertThat(run(err, "audit", "repair", "--data", data.toString())).isEqualTo(Main.EXIT_BAD_INPUT);
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("pid " + running.process().pid());
    } finally {
      running.stop();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(runOut(out, "audit", "repair", "--data", data.toString())).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("is continuous");
  }

  private static int runOut(ByteArrayOutputStream out, String... args) {
    CommandLine cl = Main.commandLine();
    cl.setOut(new java.io.PrintWriter(new PrintStream(out, true, StandardCharsets.UTF_8), true));
    return cl.execute(args);
  }

  private static List<Path> segments(Path data) throws Exception {
    try (var s = Files.list(data.resolve("audit"))) {
      return s.filter(p -> p.getFileName().toString().matches("audit-\\d{20}\\.jsonl")).sorted().toList();
    }
  }

  private static List<String> auditLines(Path data) throws Exception {
    List<String> all = new java.util.ArrayList<>();
    for (Path p : segments(data)) all.addAll(Files.readAllLines(p));
    return all;
  }

  private static int run(String... args) {
    return run(new ByteArrayOutputStream(), args);
  }

  private static int run(ByteArrayOutputStream err, String... args) {
    CommandLine cl = Main.commandLine();
    cl.setErr(new java.io.PrintWriter(new PrintStream(err, true, StandardCharsets.UTF_8), true));
    cl.setOut(new java.io.PrintWriter(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), true));
    return cl.execute(args);
  }

  private HttpResponse<String> create(int port, String key, String subject) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions"))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + key)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"" + subject + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}

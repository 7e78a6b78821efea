package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.store.embedded.DataDirLock;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Redis that {@code serve} cannot use at start (refused connection, a password it lacks or gets
 * wrong) is one line naming {@code redis.uri}, and the process exits with the refused start's status,
 * releasing the data directory: before, the Redis client's own errors (Throwables, not Exceptions)
 * left a process that neither served nor exited, holding the directory's lock.
 */
class ServeRedisUnusableTest {
  @TempDir Path dir;
  private Process redis;

  @AfterEach
  void stopRedis() throws InterruptedException {
    if (redis != null) redis.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void aRedisThatRequiresAPassword_isARefusedStartNamingTheKey() throws Exception {
    int port = freePort();
    redis = startRedis(port, "--requirepass", "s3cret-pw");
    Result r = serve("redis://127.0.0.1:" + port);
    assertThat(r.output()).contains("curfew: redis.uri: Redis at redis://127.0.0.1:" + port + " cannot be used: NOAUTH");
    assertRefusedCleanly(r);
  }

  @Test
  void aWrongPassword_isARefusedStart_andThePasswordIsNotShown() throws Exception {
    int port = freePort();
    redis = startRedis(port, "--requirepass", "s3cret-pw");
    Result r = serve("redis://:wrong-pw@127.0.0.1:" + port);
    assertThat(r.output()).contains("curfew: redis.uri: Redis at redis://:***@127.0.0.1:" + port + " cannot be used: WRONGPASS")
        .doesNotContain("wrong-pw");
    assertRefusedCleanly(r);
  }

  @Test
  void aClosedPort_isARefusedStartNamingTheKey() throws Exception {
    int port = freePort();
    Result r = serve("redis://127.0.0.1:" + port);
    assertThat(r.output()).contains("curfew: redis.uri: Redis at redis://127.0.0.1:" + port + " cannot be used: connection refused");
    assertRefusedCleanly(r);
  }

  private void assertRefusedCleanly(Result r) throws Exception {
    assertThat(r.exit()).as("exit status of %s", r.output()).isEqualTo(StartRefused.EXIT_REFUSED);
    assertThat(r.output()).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception in thread");
    // the lock went with the process: the next start is not refused as "in use by another curfew process"
    try (DataDirLock lock = DataDirLock.acquire(dir.resolve("data"), "test")) {
      assertThat(lock).isNotNull();
    }
  }

  private record Result(int exit, String output) {}

  /** {@code curfew serve} in a child JVM with {@code store: redis} at {@code uri}; it must exit within 60 s. */
  private Result serve(String uri) throws Exception {
    Path config = Files.writeString(dir.resolve("curfew.yaml"),
        "store: redis\nredis:\n  uri: \"" + uri + "\"\n  key_prefix: \"unusable-" + ProcessHandle.current().pid() + "\"\n");
    Path log = dir.resolve("serve.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "serve", "--port", "0", "--data", dir.resolve("data").toString(), "--config", config.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("CURFEW_API_KEY", "unusable-redis-test-key-0123");
    Process p = pb.start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("serve exited; it wrote: %s", Files.readString(log)).isTrue();
      return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private Process startRedis(int port, String... extra) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind",
        "127.0.0.1", "--save", "", "--appendonly", "no"));
    command.addAll(List.of(extra));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return true;
      } catch (IOException e) {
        return false;
      }
    });
    return p;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

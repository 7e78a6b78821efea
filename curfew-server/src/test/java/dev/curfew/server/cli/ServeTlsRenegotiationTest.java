package dev.curfew.server.cli;

import dev.curfew.core.testing.RequiredTool;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.curfew.server.security.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 24: a client must not be able to make {@code curfew serve} redo TLS handshakes at will
 * (testssl.sh: "client-initiated renegotiation: VULNERABLE, DoS threat"). A real server in its own
 * JVM, as {@code ./curfew serve} runs it, with TLS on the API and the gateway (EC certificates made
 * here); OpenSSL's {@code s_client} asks for a renegotiation over TLS 1.2 with its {@code R}
 * command and must be refused with a fatal alert, while TLS 1.3 keeps working.
 */
class ServeTlsRenegotiationTest {
  @TempDir static Path dir;
  private static ServerProcess server;
  private static int apiPort;
  private static int gatewayPort;

  @BeforeAll
  static void start() throws Exception {
    requireOpenssl();
    TestCertificates.Pem api = TestCertificates.selfSigned(dir, "api");
    TestCertificates.Pem gw = TestCertificates.selfSigned(dir, "gw");
    for (Path key : List.of(api.key(), gw.key())) {
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    }
    Path config = dir.resolve("curfew.yaml");
    Files.writeString(config, "server:\n  tls: {cert: \"" + api.cert() + "\", key: \"" + api.key() + "\"}\n"
        + "gateway:\n  port: 0\n  tls: {cert: \"" + gw.cert() + "\", key: \"" + gw.key() + "\"}\n"
        + "  routes:\n    - {path: /, upstream: \"http://127.0.0.1:9\", login_path: /login}\n");
    server = ServerProcess.start(config, dir.resolve("data"));
    apiPort = server.port();
    gatewayPort = server.gatewayPort(60);
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) server.stop();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"api", "gateway"})
  void clientInitiatedRenegotiationIsRefused(String which) throws Exception {
    Process client = sClient(port(which), "-tls1_2");
    Output seen = drain(client.getInputStream());
    OutputStream keys = client.getOutputStream();
    awaitText(seen.buffer(), "Cipher is", client); // handshake done
    keys.write("R\n".getBytes(StandardCharsets.US_ASCII)); // s_client: renegotiate
    keys.flush();
    // The server answers the new ClientHello with a fatal handshake_failure alert (40) and the
    // connection ends; s_client then exits on its own, stdin still open.
    boolean ended = client.waitFor(30, TimeUnit.SECONDS);
    if (!ended) client.destroyForcibly();
    String out = seen.all();
    assertTrue(ended, () -> which + ": the connection is still open after the renegotiation request:\n" + out);
    assertThat(out).contains("RENEGOTIATING").contains("alert handshake failure").contains("alert number 40");
    assertThat(client.exitValue()).isNotZero();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"api", "gateway"})
  void tls13StillServes(String which) throws Exception {
    Process client = sClient(port(which), "-tls1_3", "-ign_eof");
    Output seen = drain(client.getInputStream());
    try (OutputStream keys = client.getOutputStream()) {
      keys.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII));
    }
    assertThat(client.waitFor(30, TimeUnit.SECONDS)).as("s_client ends when the server closes").isTrue();
    String out = seen.all();
    assertThat(out).contains("New, TLSv1.3, Cipher is TLS_").containsPattern("HTTP/1\\.1 (200|401) ");
  }

  private static int port(String which) {
    return which.equals("api") ? apiPort : gatewayPort;
  }

  private static Process sClient(int port, String... options) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
        "-servername", "localhost"));
    cmd.addAll(List.of(options));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** What a process printed, read by its own thread. */
  private record Output(ByteArrayOutputStream buffer, Thread reader) {
    /** Everything, once the process has ended: its last bytes may still be in the pipe when waitFor returns. */
    String all() throws InterruptedException {
      reader.join(30_000);
      return text(buffer);
    }
  }

  private static Output drain(InputStream in) {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    Thread t = new Thread(() -> {
      try {
        byte[] b = new byte[4096];
        for (int n; (n = in.read(b)) > 0; ) {
          synchronized (buffer) {
            buffer.write(b, 0, n);
          }
        }
      } catch (Exception e) {
        // the process is gone
      }
    });
    t.setDaemon(true);
    t.start();
    return new Output(buffer, t);
  }

  private static String text(ByteArrayOutputStream buffer) {
    synchronized (buffer) {
      return buffer.toString(StandardCharsets.UTF_8);
    }
  }

  private static void awaitText(ByteArrayOutputStream seen, String text, Process client) {
    Awaitility.await("s_client to print \"" + text + "\"").atMost(Duration.ofSeconds(30))
        .failFast(() -> !client.isAlive() && !text(seen).contains(text))
        .until(() -> text(seen).contains(text));
  }

  /** openssl is a test dependency (.ci/run installs it): in CI its absence fails, elsewhere it skips. */
  private static void requireOpenssl() throws Exception {
    boolean present;
    try {
      Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
      present = p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (java.io.IOException e) {
      present = false;
    }
    RequiredTool.require(present, "openssl (apt-get install openssl)");
  }
}

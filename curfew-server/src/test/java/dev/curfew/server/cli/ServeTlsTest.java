package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.server.security.TestCertificates;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code curfew serve} with {@code server.tls} and {@code gateway.tls}: certificates checked at start, HTTPS served. */
class ServeTlsTest {
  @TempDir Path dir;

  @Test
  void servesTheApiAndTheGatewayOverTls_andSaysSo() throws Exception {
    TestCertificates.Pem api = TestCertificates.selfSigned(dir, "api");
    TestCertificates.Pem gw = TestCertificates.selfSigned(dir, "gw");
    Files.setPosixFilePermissions(api.key(), PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(gw.key(), PosixFilePermissions.fromString("rw-r--r--"));
    CurfewConfig cfg = CurfewConfig.parse("server:\n  tls: {cert: \"" + api.cert() + "\", key: \"" + api.key() + "\"}\n"
        + "gateway:\n  port: 0\n  tls: {cert: \"" + gw.cert() + "\", key: \"" + gw.key() + "\"}\n"
        + "  routes:\n    - {path: /, upstream: \"http://127.0.0.1:9\", login_path: /login}\n")
        .withOverrides(0, dir.resolve("data"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ServeCommand.Running running = ServeCommand.start(cfg, new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      String log = out.toString(StandardCharsets.UTF_8);
      assertThat(log).contains("API listening on https://localhost:" + running.port)
          .contains("gateway listening on https://localhost:" + running.gatewayPort)
          .contains("warning: gateway.tls: the private key " + gw.key() + " is readable by every user");
      HttpClient client = HttpClient.newBuilder().sslContext(api.trustingContext()).build();
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + running.port + "/healthz"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
      HttpClient gwClient = HttpClient.newBuilder().sslContext(gw.trustingContext()).build();
      HttpResponse<String> login = gwClient.send(HttpRequest.newBuilder(
          URI.create("https://localhost:" + running.gatewayPort + "/app")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(login.statusCode()).isEqualTo(401);
      assertThat(login.headers().firstValue("Strict-Transport-Security")).hasValue("max-age=31536000");
    } finally {
      running.stop(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }
  }

  @Test
  void aKeyThatDoesNotBelongToTheCertificateIsAStartUpErrorNamingTheKey() throws Exception {
    TestCertificates.Pem a = TestCertificates.selfSigned(dir, "a");
    TestCertificates.Pem b = TestCertificates.selfSigned(dir, "b");
    CurfewConfig api = CurfewConfig.parse("server:\n  tls: {cert: \"" + a.cert() + "\", key: \"" + b.key() + "\"}\n")
        .withOverrides(0, dir.resolve("data"));
    assertThatThrownBy(() -> ServeCommand.start(api, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("server.tls"))
        .hasMessageContaining("does not belong to the certificate");
    CurfewConfig gateway = CurfewConfig.parse("gateway:\n  tls: {cert: \"" + dir.resolve("none.pem") + "\", key: \"" + a.key()
        + "\"}\n  routes:\n    - {path: /, upstream: \"http://127.0.0.1:9\"}\n").withOverrides(0, dir.resolve("data"));
    assertThatThrownBy(() -> ServeCommand.start(gateway, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).key()).isEqualTo("gateway.tls"))
        .hasMessageContaining("none.pem");
    assertThat(dir.resolve("data")).as("nothing was started or created").doesNotExist();
  }
}

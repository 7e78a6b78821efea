package dev.curfew.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for the address 127.0.0.1 and no host name (its CN, curfew-test, names no
 * host either), made at test time with openssl (nothing secret is committed).
 */
public final class TestTls {
  public record Files2(Path cert, Path key) {}

  private TestTls() {}

  public static Files2 create() throws Exception {
    Path dir = Files.createTempDirectory("curfew-db-tls");
    Path cert = dir.resolve("server.pem");
    Path key = dir.resolve("server-key.pem");
    Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=curfew-test",
        "-addext", "subjectAltName=IP:127.0.0.1").redirectErrorStream(true).start();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("openssl could not make a test certificate: " + new String(p.getInputStream().readAllBytes()));
    }
    return new Files2(cert, key);
  }
}

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

  /** A client's certificate and key (PEM, the key PKCS #8), and the CA (PEM) that signed the certificate. */
  public record ClientFiles(Path ca, Path cert, Path key) {}

  /**
   * A test CA, and a client certificate for {@code commonName} signed by it, made at test time with
   * openssl: what a server that asks for client certificates trusts ({@code ca}), and what a client
   * presents.
   */
  public static ClientFiles clientCertificate(String commonName) throws Exception {
    Path dir = Files.createTempDirectory("curfew-client-tls");
    Path ca = dir.resolve("ca.pem");
    Path caKey = dir.resolve("ca-key.pem");
    Path key = dir.resolve("client-key.pem");
    Path csr = dir.resolve("client.csr");
    Path cert = dir.resolve("client.pem");
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
        caKey.toString(), "-out", ca.toString(), "-days", "2", "-subj", "/CN=curfew test client CA");
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key.toString(),
        "-out", csr.toString(), "-subj", "/CN=" + commonName);
    openssl("x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", caKey.toString(), "-CAcreateserial",
        "-out", cert.toString(), "-days", "2");
    return new ClientFiles(ca, cert, key);
  }

  private static void openssl(String... args) throws Exception {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("openssl"));
    command.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("openssl " + args[0] + " failed: " + new String(p.getInputStream().readAllBytes()));
    }
  }

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

package dev.curfew.server.security;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Self-signed certificates made at test time (nothing secret is ever committed): the JDK's keytool
 * makes a key pair and certificate for {@code localhost} and {@code 127.0.0.1}, and this class
 * writes them out as the PEM files that {@code server.tls} takes.
 */
public final class TestCertificates {
  /** The PEM files, and the certificate for clients to trust. */
  public record Pem(Path cert, Path key, X509Certificate certificate) {
    /** An SSLContext that trusts exactly this certificate. */
    public SSLContext trustingContext() throws Exception {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("curfew-test", certificate);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    }
  }

  private TestCertificates() {}

  /** An EC P-256 certificate, valid for two days from now. */
  public static Pem selfSigned(Path dir, String name) throws Exception {
    return selfSigned(dir, name, "EC", 2);
  }

  /** {@code keyAlg}: EC (P-256) or RSA (2048 bits); valid from now for {@code validityDays}. */
  public static Pem selfSigned(Path dir, String name, String keyAlg, int validityDays) throws Exception {
    return selfSigned(dir, name, keyAlg, "+0d", validityDays);
  }

  /** As above, valid from {@code startDate} (keytool's relative form, e.g. {@code -3d}). */
  public static Pem selfSigned(Path dir, String name, String keyAlg, String startDate, int validityDays)
      throws Exception {
    Files.createDirectories(dir);
    Path store = dir.resolve(name + ".p12");
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    ProcessBuilder pb = new ProcessBuilder(keytool, "-genkeypair", "-alias", name, "-keyalg", keyAlg,
        keyAlg.equals("EC") ? "-groupname" : "-keysize", keyAlg.equals("EC") ? "secp256r1" : "2048",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-startdate", startDate,
        "-validity", Integer.toString(validityDays),
        "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "test-only", "-keypass", "test-only")
        .redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("keytool failed: " + out);
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "test-only".toCharArray());
    }
    Files.delete(store);
    PrivateKey key = (PrivateKey) ks.getKey(name, "test-only".toCharArray());
    Certificate cert = ks.getCertificate(name);
    Path certFile = dir.resolve(name + ".crt.pem");
    Path keyFile = dir.resolve(name + ".key.pem");
    Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));
    return new Pem(certFile, keyFile, (X509Certificate) cert);
  }

  static String pem(String label, byte[] der) {
    return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + label + "-----\n";
  }
}

package dev.curfew.server.security;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TLS on a listening port (the API's {@code server.tls}, the gateway's {@code gateway.tls}): a PEM
 * certificate chain and its PEM private key, as a CA or ACME client writes them.
 *
 * <p>Protocols: TLS 1.3 and TLS 1.2, nothing older (RFC 8996 deprecates TLS 1.0 and 1.1); a client
 * that offers 1.3 gets 1.3. Cipher suites: those of the "Intermediate" configuration of Mozilla's
 * Server Side TLS guidelines (https://wiki.mozilla.org/Security/Server_Side_TLS) without its
 * finite-field DHE suites: for TLS 1.2 only ECDHE key exchange (forward secrecy) with AEAD ciphers,
 * so no RSA key transport, no CBC, no SHA-1 MACs.
 *
 * <p>Renegotiation: a client may not start one (testssl.sh rates client-initiated renegotiation
 * a HIGH DoS risk: each request costs the server a full handshake). Vert.x runs TLS on the JDK's
 * engine here ({@link #apply} pins it), whose switch for this is a system property read once per
 * process (see {@link #refuseClientInitiatedRenegotiation}). TLS 1.3 has no renegotiation; its
 * KeyUpdate is unaffected. Any port that serves TLS, including a protocol gateway's, configures it
 * through {@link #apply}, so that it gets the same engine and the same refusal.
 *
 * @param hsts the {@code Strict-Transport-Security} policy sent on this port's responses
 */
public record Tls(Path certFile, Path keyFile, SecurityHeaders.Hsts hsts) {
  public static final Set<String> PROTOCOLS = Set.of("TLSv1.3", "TLSv1.2");
  public static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  /**
   * The JDK's server-side switch (JSSE, {@code sun.security.ssl.ServerHandshakeContext}): when
   * true, a ClientHello on an established TLS 1.2 connection gets a fatal handshake_failure alert.
   * The JDK reads it into a static final field when the process's first server handshake loads
   * that class; set later, it changes nothing.
   */
  public static final String REJECT_CLIENT_RENEGOTIATION = "jdk.tls.rejectClientInitiatedRenegotiation";

  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
  private static final Set<String> KEY_LABELS = Set.of("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY");

  public Tls {
    Objects.requireNonNull(certFile, "certFile");
    Objects.requireNonNull(keyFile, "keyFile");
    Objects.requireNonNull(hsts, "hsts");
  }

  public Tls(Path certFile, Path keyFile) {
    this(certFile, keyFile, SecurityHeaders.Hsts.DEFAULT);
  }

  /**
   * Refuses client-initiated renegotiation in this process. {@code curfew}'s {@code main} calls it
   * before anything else (and the launcher passes the property too), because the JDK reads the
   * property only once; {@link #apply} calls it again for servers started in-process (tests, an
   * embedding), where it works as long as no server handshake has happened yet.
   */
  public static void refuseClientInitiatedRenegotiation() {
    System.setProperty(REJECT_CLIENT_RENEGOTIATION, "true");
  }

  /**
   * {@code options} serving TLS with this certificate and key, the protocols and suites above, on
   * the JDK's engine: the renegotiation refusal is the JDK's, so an OpenSSL engine (which Vert.x
   * would pick only if asked) must not be used.
   */
  public HttpServerOptions apply(HttpServerOptions options) {
    refuseClientInitiatedRenegotiation();
    options.setSsl(true)
        .setSslEngineOptions(new JdkSSLEngineOptions())
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certFile.toString()).setKeyPath(keyFile.toString()))
        .setEnabledSecureTransportProtocols(PROTOCOLS);
    CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
    return options;
  }

  /** What {@link #check} found worth saying that does not stop a start. */
  public record Findings(X509Certificate leaf, List<String> warnings) {}

  /**
   * Reads both files before the port opens, so that a mistake is a start-up error that names the
   * file and what is wrong with it, not a failed handshake later: the certificate must parse, the
   * key must be an unencrypted PEM private key, and (for a PKCS#8 key) must belong to the
   * certificate. An expired certificate, or a key file that others may read, is a warning.
   *
   * @throws IllegalArgumentException naming the file and the problem
   */
  public Findings check(Instant now) {
    List<String> warnings = new ArrayList<>();
    List<X509Certificate> chain = certificates();
    X509Certificate leaf = chain.get(0);
    if (now.isAfter(leaf.getNotAfter().toInstant())) {
      warnings.add("the certificate in " + certFile + " expired at " + leaf.getNotAfter().toInstant());
    } else if (now.isBefore(leaf.getNotBefore().toInstant())) {
      warnings.add("the certificate in " + certFile + " is not valid before " + leaf.getNotBefore().toInstant());
    }
    String label = pem(keyFile, KEY_LABELS, "a PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY, unencrypted)")
        .group(1);
    if (label.equals("PRIVATE KEY")) requireMatch(leaf.getPublicKey(), privateKey(leaf.getPublicKey().getAlgorithm()));
    try {
      Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(keyFile);
      if (perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
        warnings.add("the private key " + keyFile + " is readable by every user of this machine (chmod 600 it)");
      }
    } catch (IOException | UnsupportedOperationException e) {
      // not a POSIX file system: nothing to say
    }
    return new Findings(leaf, warnings);
  }

  private List<X509Certificate> certificates() {
    String text = read(certFile);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException(certFile + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    try (InputStream in = Files.newInputStream(certFile)) {
      List<X509Certificate> out = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) out.add((X509Certificate) c);
      if (out.isEmpty()) throw new IllegalArgumentException(certFile + " holds no certificate");
      return out;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(certFile + " is not a readable PEM certificate chain: " + e.getMessage());
    }
  }

  private PrivateKey privateKey(String algorithm) {
    byte[] der = Base64.getMimeDecoder().decode(pem(keyFile, Set.of("PRIVATE KEY"), "").group(2));
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(keyFile + " is not a " + algorithm + " private key, as the certificate "
          + certFile + " needs: " + e.getMessage());
    }
  }

  /** Signs a random message with {@code key} and verifies it with the certificate's public key. */
  private void requireMatch(PublicKey certified, PrivateKey key) {
    String algorithm = switch (certified.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      case "Ed448" -> "Ed448";
      default -> null;
    };
    if (algorithm == null) return; // a key type the check does not know; the handshake will tell
    try {
      byte[] message = new byte[32];
      new SecureRandom().nextBytes(message);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(message);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certified);
      verifier.update(message);
      if (verifier.verify(signature)) return;
    } catch (GeneralSecurityException e) {
      // falls through to the refusal
    }
    throw new IllegalArgumentException("the private key " + keyFile + " does not belong to the certificate " + certFile);
  }

  private static Matcher pem(Path file, Set<String> labels, String what) {
    Matcher m = PEM.matcher(read(file));
    while (m.find()) {
      if (labels.contains(m.group(1))) return m;
      if (m.group(1).equals("ENCRYPTED PRIVATE KEY")) {
        throw new IllegalArgumentException(file + " holds an encrypted private key; give it unencrypted (mode 0600)");
      }
    }
    throw new IllegalArgumentException(file + " does not hold " + what);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e);
    }
  }
}

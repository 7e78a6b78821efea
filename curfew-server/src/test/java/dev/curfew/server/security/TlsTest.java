package dev.curfew.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link Tls#check} says about certificate and key files before a port opens. */
class TlsTest {
  @TempDir static Path dir;
  private static TestCertificates.Pem ec;
  private static TestCertificates.Pem rsa;

  @BeforeAll
  static void certificates() throws Exception {
    ec = TestCertificates.selfSigned(dir, "ec");
    rsa = TestCertificates.selfSigned(dir, "rsa", "RSA", 2);
    Files.setPosixFilePermissions(ec.key(), PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(rsa.key(), PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void apply_usesTheJdkEngine_whoseRenegotiationRefusalItSwitchesOn() {
    io.vertx.core.http.HttpServerOptions o = new Tls(ec.cert(), ec.key()).apply(new io.vertx.core.http.HttpServerOptions());
    assertThat(o.isSsl()).isTrue();
    assertThat(o.getSslEngineOptions()).isInstanceOf(io.vertx.core.net.JdkSSLEngineOptions.class);
    assertThat(System.getProperty("jdk.tls.rejectClientInitiatedRenegotiation")).isEqualTo("true");
  }

  @Test
  void aMatchingPairPasses_withoutWarnings() {
    for (TestCertificates.Pem p : new TestCertificates.Pem[] {ec, rsa}) {
      Tls.Findings f = new Tls(p.cert(), p.key()).check(Instant.now());
      assertThat(f.warnings()).isEmpty();
      assertThat(f.leaf().getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
    }
  }

  @Test
  void aKeyOfAnotherCertificateIsRefused() throws Exception {
    TestCertificates.Pem other = TestCertificates.selfSigned(dir, "other");
    assertThatThrownBy(() -> new Tls(ec.cert(), other.key()).check(Instant.now()))
        .hasMessageContaining("does not belong to the certificate").hasMessageContaining(other.key().toString());
    assertThatThrownBy(() -> new Tls(rsa.cert(), ec.key()).check(Instant.now()))
        .hasMessageContaining("is not a RSA private key");
  }

  @Test
  void filesThatAreNotWhatTheySeemAreRefusedByName() throws Exception {
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello\n");
    assertThatThrownBy(() -> new Tls(garbage, ec.key()).check(Instant.now())).hasMessageContaining("garbage.pem holds no PEM certificate");
    assertThatThrownBy(() -> new Tls(ec.cert(), garbage).check(Instant.now())).hasMessageContaining("garbage.pem does not hold a PEM private key");
    assertThatThrownBy(() -> new Tls(ec.key(), ec.key()).check(Instant.now())).hasMessageContaining("holds no PEM certificate");
    assertThatThrownBy(() -> new Tls(ec.cert(), ec.cert()).check(Instant.now())).hasMessageContaining("does not hold a PEM private key");
    Path encrypted = Files.writeString(dir.resolve("encrypted.pem"),
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
    assertThatThrownBy(() -> new Tls(ec.cert(), encrypted).check(Instant.now())).hasMessageContaining("encrypted private key");
    Path missing = dir.resolve("missing.pem");
    assertThatThrownBy(() -> new Tls(missing, ec.key()).check(Instant.now())).hasMessageContaining("cannot read").hasMessageContaining("missing.pem");
    String cert = Files.readString(ec.cert());
    Path corrupt = Files.writeString(dir.resolve("corrupt.pem"), cert.substring(0, 40) + "AAAA" + cert.substring(44));
    assertThatThrownBy(() -> new Tls(corrupt, ec.key()).check(Instant.now())).hasMessageContaining("corrupt.pem");
  }

  @Test
  void anExpiredCertificate_orAKeyOthersCanRead_isAWarning() throws Exception {
    TestCertificates.Pem old = TestCertificates.selfSigned(dir, "old", "EC", "-3d", 1);
    Files.setPosixFilePermissions(old.key(), PosixFilePermissions.fromString("rw-r--r--"));
    Tls.Findings f = new Tls(old.cert(), old.key()).check(Instant.now());
    assertThat(f.warnings()).hasSize(2);
    assertThat(f.warnings().get(0)).contains("expired at");
    assertThat(f.warnings().get(1)).contains("readable by every user").contains("chmod 600");
    assertThat(new Tls(ec.cert(), ec.key()).check(Instant.now().minusSeconds(7 * 86400)).warnings())
        .anyMatch(w -> w.contains("not valid before"));
  }
}

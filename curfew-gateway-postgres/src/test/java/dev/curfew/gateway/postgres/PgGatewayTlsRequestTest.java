package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.core.testing.TestTls;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Bytes that come with an SSLRequest, before the TLS handshake, were not encrypted and may have been
 * put there by someone in the middle: PostgreSQL refuses them since 14.1 / 13.5 (CVE-2021-23214,
 * "server processes unencrypted bytes from man-in-the-middle",
 * https://www.postgresql.org/support/security/CVE-2021-23214/). So does the gateway; when it answers
 * {@code 'N'} (no TLS) the client goes on in clear and nothing changes.
 */
class PgGatewayTlsRequestTest {
  private static final byte[] SSL_REQUEST = ByteBuffer.allocate(8).putInt(8).putInt(PgMessages.SSL_REQUEST).array();

  @Test
  void startupInTheSameWriteAsTheSslRequest_isRefusedAndNeverLogsIn() throws Exception {
    var certs = TestTls.create();
    try (PgGatewayFixture f = new PgGatewayFixture("pg_gateway_tls_inject", t -> withTls(t, certs, true), s -> s)) {
      String token = f.open("mallory", "long");
      // What a man in the middle would send: the SSLRequest, then a startup and a password in clear.
      byte[] injected = concat(SSL_REQUEST, startup("mallory", f.db.name()), password(token));
      byte[] answer;
      try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
        s.setSoTimeout(20_000);
        s.getOutputStream().write(injected);
        answer = s.getInputStream().readAllBytes(); // until the gateway closes
      }
      String text = new String(answer, StandardCharsets.ISO_8859_1);
      assertThat(text).startsWith("E").contains("08P01").contains("unencrypted data after SSL request");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
          .anyMatch(r -> "plaintext_after_tls_request".equals(r.data().get("why"))));
      assertThat(f.records("connection.opened")).isEmpty();
      assertThat(f.records("connection.refused")).hasSize(1);
    }
  }

  /**
   * A client that asks for TLS, is answered {@code 'S'}, then sends its login in clear: the TLS
   * handshake fails on the first byte. The TLS library's error quotes, in hex, every byte it got,
   * the token among them; the refusal records that the handshake failed, never those bytes
   * (audit.md: no record ever contains a session token).
   */
  @Test
  void aLoginInClearAfterTheTlsAnswer_failsTheHandshake_andTheRecordHoldsNoneOfItsBytes() throws Exception {
    var certs = TestTls.create();
    try (PgGatewayFixture f = new PgGatewayFixture("pg_gateway_tls_clear", t -> withTls(t, certs, true), s -> s)) {
      String token = f.open("mallory", "long");
      try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
        s.setSoTimeout(20_000);
        s.getOutputStream().write(SSL_REQUEST);
        assertThat(s.getInputStream().read()).as("the answer to the SSLRequest").isEqualTo('S');
        s.getOutputStream().write(concat(startup("mallory", f.db.name()), password(token)));
        s.getInputStream().readAllBytes(); // a TLS alert at most, then the end
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
          .anyMatch(r -> "tls_failed".equals(r.data().get("why"))));
      String tokenHex = java.util.HexFormat.of().formatHex(token.getBytes(StandardCharsets.UTF_8));
      assertThat(f.records("connection.refused")).allSatisfy(r -> assertThat(r.data().toString())
          .doesNotContain(token).doesNotContain(tokenHex.substring(0, 16)).doesNotContain("6d616c6c6f7279")); // "mallory"
      assertThat(f.records("connection.opened")).isEmpty();
    }
  }

  @Test
  void startupInTheSameWriteAsTheSslRequest_goesOnInClearWhenTlsIsNotOffered() throws Exception {
    try (PgGatewayFixture f = new PgGatewayFixture("pg_gateway_tls_no")) {
      String token = f.open("nina", "long");
      try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
        s.setSoTimeout(20_000);
        s.getOutputStream().write(concat(SSL_REQUEST, startup("nina", f.db.name())));
        var in = s.getInputStream();
        assertThat(in.read()).as("the answer to the SSLRequest").isEqualTo('N');
        assertThat(in.read()).as("the password request").isEqualTo('R');
        in.readNBytes(8);
        s.getOutputStream().write(password(token));
        while (true) {
          int type = in.read();
          int len = ByteBuffer.wrap(in.readNBytes(4)).getInt();
          in.readNBytes(len - 4);
          assertThat(type).isNotEqualTo('E');
          if (type == 'Z') break;
        }
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> !f.records("connection.opened").isEmpty());
      assertThat(f.records("connection.opened").get(0).data().get("tls")).isEqualTo(false);
    }
  }

  static DatabaseTarget withTls(DatabaseTarget t, TestTls.Files2 certs, boolean require) {
    return new DatabaseTarget(t.name(), t.listenHost(), 0, t.upstreamHost(), t.upstreamPort(), t.database(), t.user(),
        t.password(), t.policy(), t.passiveStatements(), t.auditStatements(),
        new DatabaseTarget.TlsFiles(certs.cert(), certs.key(), require));
  }

  static byte[] startup(String user, String database) {
    return PgMessages.startupMessage(Map.of("user", user, "database", database)).getBytes();
  }

  static byte[] password(String token) {
    return PgMessages.passwordMessage(token).getBytes();
  }

  static byte[] concat(byte[]... parts) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.write(p);
    return out.toByteArray();
  }
}

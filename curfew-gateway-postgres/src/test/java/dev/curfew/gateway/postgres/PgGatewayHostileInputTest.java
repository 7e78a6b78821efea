package dev.curfew.gateway.postgres;

import dev.curfew.core.testing.TestTls;
import dev.curfew.gateway.db.DatabaseTarget;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients that break the protocol get the protocol's error or a bounded timeout, and a record; the
 * gateway stays up for everyone else. Startup timeout 1 s, stalled reader timeout 1 s.
 */
class PgGatewayHostileInputTest {
  private static PgGatewayFixture f;

  @BeforeAll
  static void start() {
    f = new PgGatewayFixture("pg_gateway_hostile", t -> t,
        s -> s.withStartupTimeout(Duration.ofSeconds(8)).withStalledReaderTimeout(Duration.ofSeconds(1))
            .withWriteQueueBytes(64 * 1024));
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void oversizedStartupLength_getsAProtocolError() throws Exception {
    String answer = exchange(ByteBuffer.allocate(8).putInt(0x7fffffff).putInt(196608).array());
    assertThat(answer).startsWith("E").contains("08P01").contains("invalid message length");
    awaitRefused("bad_frame");
    stillServes();
  }

  @Test
  void oversizedPasswordMessage_isRefusedAtOnce_beforeItsBytesArrive() throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
      s.setSoTimeout(5_000); // well inside the startup timeout (8 s): the refusal must not wait for it
      byte[] body = ("\0\0\0\0user\0mallory\0database\0" + f.db.name() + "\0\0").getBytes(StandardCharsets.UTF_8);
      ByteBuffer.wrap(body).putInt(196608);
      s.getOutputStream().write(ByteBuffer.allocate(4 + body.length).putInt(4 + body.length).put(body).array());
      assertThat(s.getInputStream().read()).isEqualTo('R');
      s.getInputStream().readNBytes(8);
      // 64 MiB announced, one byte sent, the socket held open
      s.getOutputStream().write(ByteBuffer.allocate(6).put((byte) 'p').putInt(64 * 1024 * 1024).put((byte) 'x').array());
      String answer = readAll(s.getInputStream());
      assertThat(answer).startsWith("E").contains("08P01").contains("invalid message length")
          .contains("of a 'p' message (at most 65535 bytes)");
    }
    awaitRefused("bad_frame"); // one record a minute per address and why: this one may be counted in repeats
    stillServes();
  }

  @Test
  void unknownProtocolVersion_getsFeatureNotSupported() throws Exception {
    byte[] startup = ByteBuffer.allocate(9).putInt(9).putInt(2 << 16).put((byte) 0).array();
    String answer = exchange(startup);
    assertThat(answer).startsWith("E").contains("0A000").contains("unsupported frontend protocol 2.0");
    awaitRefused("unsupported_protocol");
    stillServes();
  }

  @Test
  void startupThatNeverFinishes_isCutAfterTheTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
      s.setSoTimeout(90_000);
      s.getOutputStream().write(new byte[] {0, 0, 0, 40, 0, 3}); // half a startup packet, then silence
      long start = System.nanoTime();
      String answer = readAll(s.getInputStream());
      long waitedMs = (System.nanoTime() - start) / 1_000_000;
      assertThat(answer).contains("08P01").contains("did not finish");
      assertThat(waitedMs).as("cut by the startup timeout, not at once").isBetween(500L, 60_000L);
    }
    awaitRefused("startup_timeout");
    stillServes();
  }

  @Test
  void oversizedMessageAfterLogin_endsThatConnectionOnly() throws Exception {
    String token = f.open("olga", "long");
    try (Socket s = f.loggedIn("olga", token)) {
      s.getOutputStream().write(ByteBuffer.allocate(5).put((byte) 'Q').putInt(0x7ffffff0).array());
      String answer = readAll(s.getInputStream());
      assertThat(answer).contains("08P01").contains("invalid message length");
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.closed").stream()
        .anyMatch(r -> "olga".equals(r.subject()) && "error".equals(r.data().get("why"))));
    stillServes();
  }

  @Test
  void aClientThatNeverReads_isCutAfterTheStallTimeout() throws Exception {
    String token = f.open("nora", "long");
    try (Socket s = f.loggedIn("nora", token)) {
      s.setReceiveBufferSize(4096);
      byte[] q = "SELECT repeat('x', 1000) FROM generate_series(1, 2000000)\0".getBytes(StandardCharsets.UTF_8);
      s.getOutputStream().write(ByteBuffer.allocate(5 + q.length).put((byte) 'Q').putInt(4 + q.length).put(q).array());
      // never read: the gateway's queue fills, the upstream is paused, and after 1 s the connection is cut
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.closed").stream()
          .anyMatch(r -> "nora".equals(r.subject()) && "client_not_reading".equals(r.data().get("detail"))));
    }
    stillServes();
  }

  @Test
  void tlsRequired_refusesAPlaintextClient() throws Exception {
    var certs = TestTls.create();
    try (PgGatewayFixture tls = new PgGatewayFixture("pg_gateway_tls",
        t -> new DatabaseTarget(t.name(), t.listenHost(), 0, t.upstreamHost(), t.upstreamPort(), t.database(), t.user(),
            t.password(), t.policy(), t.passiveStatements(), t.auditStatements(),
            new DatabaseTarget.TlsFiles(certs.cert(), certs.key(), true)), s -> s.withEventLoops(2))) {
      String token = tls.open("tina", "long");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> tls.connect("tina", token))
          .isInstanceOf(java.sql.SQLException.class).hasMessageContaining("requires TLS");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> tls.records("connection.refused").stream()
          .anyMatch(r -> "tls_required".equals(r.data().get("why"))));
      java.util.Properties p = new java.util.Properties();
      p.setProperty("user", "tina");
      p.setProperty("password", token);
      p.setProperty("sslmode", "require"); // encrypts without verifying the test certificate
      String url = "jdbc:postgresql://127.0.0.1:" + tls.gateway.port() + "/" + tls.db.name();
      // Twice: connections are handed to the port's event loops in turn, and TLS must start on each
      // (Vert.x's upgradeToSsl failed on every server instance but the first).
      for (int i = 0; i < 2; i++) {
        try (Connection c = java.sql.DriverManager.getConnection(url, p); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT 'over tls'")) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo("over tls");
        }
      }
      assertThat(tls.records("connection.opened")).hasSize(2).allMatch(r -> Boolean.TRUE.equals(r.data().get("tls")));
    }
  }

  private static String exchange(byte[] bytes) throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(bytes);
      return readAll(s.getInputStream());
    }
  }

  private static String readAll(InputStream in) throws Exception {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }

  private static void awaitRefused(String why) {
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
        .anyMatch(r -> why.equals(r.data().get("why"))));
  }

  private static void stillServes() throws Exception {
    String token = f.open("ok", "long");
    try (Connection c = f.connect("ok", token); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 42")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(42);
    }
  }
}

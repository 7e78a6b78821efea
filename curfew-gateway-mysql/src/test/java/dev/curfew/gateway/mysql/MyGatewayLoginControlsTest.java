package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Controls around the login on raw sockets: what follows an SSLRequest is read only through TLS
 * (never as packets in clear, which someone in the middle could have put there: the MySQL side of
 * CVE-2021-23214), and a logged-in client cannot log in again as someone else (COM_CHANGE_USER).
 */
class MyGatewayLoginControlsTest {
  private static final int CAPS = MyPackets.CLIENT_PROTOCOL_41 | MyPackets.CLIENT_SECURE_CONNECTION
      | MyPackets.CLIENT_PLUGIN_AUTH | MyPackets.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | MyPackets.CLIENT_CONNECT_WITH_DB
      | MyPackets.CLIENT_DEPRECATE_EOF;

  private record Packet(int seq, byte[] payload) {
    int first() {
      return payload.length == 0 ? -1 : payload[0] & 0xff;
    }

    int errorCode() {
      return (payload[1] & 0xff) | (payload[2] & 0xff) << 8;
    }
  }

  private static Packet read(InputStream in) throws IOException {
    DataInputStream d = new DataInputStream(in);
    byte[] header = new byte[4];
    d.readFully(header);
    int len = (header[0] & 0xff) | (header[1] & 0xff) << 8 | (header[2] & 0xff) << 16;
    byte[] payload = new byte[len];
    d.readFully(payload);
    return new Packet(header[3] & 0xff, payload);
  }

  private static Buffer login(int seq, String user, String token, String database) {
    return MyHandshake.response(seq, CAPS, 1 << 24, MyPackets.UTF8MB4_GENERAL_CI, user,
        (token + "\0").getBytes(StandardCharsets.UTF_8), database, MyPackets.CLEAR_PASSWORD, null);
  }

  @Test
  void aLoginInClearInTheSameWriteAsTheSslRequest_isNeverRead() throws Exception {
    try (MyGatewayFixture f = new MyGatewayFixture("my_tls_inject")) {
      String token = f.open("mallory", "long");
      try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
        s.setSoTimeout(20_000);
        assertThat(read(s.getInputStream()).first()).isEqualTo(10); // the greeting
        // What a man in the middle would send: the SSLRequest, then a whole login in clear.
        Buffer injected = MyHandshake.sslRequest(1, CAPS, MyPackets.UTF8MB4_GENERAL_CI)
            .appendBuffer(login(2, "mallory", token, f.db.name));
        s.getOutputStream().write(injected.getBytes());
        byte[] answer = s.getInputStream().readAllBytes(); // a TLS alert at most, then the end
        assertThat(answer.length).as("no OK packet, no MySQL packet at all").isLessThan(64);
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
          .anyMatch(r -> "tls_failed".equals(r.data().get("why"))));
      assertThat(f.records("connection.opened")).isEmpty();
      // audit.md: no record ever contains a session token; the TLS library's error quotes the bytes it got
      String tokenHex = java.util.HexFormat.of().formatHex(token.getBytes(StandardCharsets.UTF_8));
      assertThat(f.records("connection.refused")).allSatisfy(r -> assertThat(r.data().toString())
          .doesNotContain(token).doesNotContain(tokenHex.substring(0, 16)));
    }
  }

  /**
   * The handshake fails on the login sent in clear, and the connection ends: that is a failed
   * handshake (docs/gateway-mysql.md), never the client closing during login. A login packet whose
   * first byte has its high bit set reads to TLS as the header of an SSLv2 record not yet whole, so
   * the handshake fails only when the connection closes; the client here closes as soon as it has
   * written, and that close used to be recorded first, as client_closed.
   */
  @Test
  void aLoginInClearAfterTheSslRequest_isRecordedAsTlsFailed_neverAsClientClosed() throws Exception {
    try (MyGatewayFixture f = new MyGatewayFixture("my_tls_failed")) {
      String token = f.open("mallory", "long");
      Buffer injected = MyHandshake.sslRequest(1, CAPS, MyPackets.UTF8MB4_GENERAL_CI)
          .appendBuffer(login(2, "mallory", token, f.db.name));
      assertThat(injected.getUnsignedByte(36) & 0x80).as("the login's first byte, where TLS reads a record header").isNotZero();
      for (int i = 0; i < 5; i++) {
        try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
          s.setSoTimeout(20_000);
          assertThat(read(s.getInputStream()).first()).isEqualTo(10); // the greeting
          s.getOutputStream().write(injected.getBytes()); // then closed at once
        }
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").stream()
          .anyMatch(r -> "tls_failed".equals(r.data().get("why"))));
      assertThat(f.records("connection.refused")).extracting(r -> r.data().get("why")).doesNotContain("client_closed");
    }
  }

  @Test
  void comChangeUser_isRefusedAndEndsTheConnection() throws Exception {
    try (MyGatewayFixture f = new MyGatewayFixture("my_change_user")) {
      String token = f.open("carol", "long");
      try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
        s.setSoTimeout(20_000);
        read(s.getInputStream());
        s.getOutputStream().write(login(1, "carol", token, f.db.name).getBytes());
        assertThat(read(s.getInputStream()).first()).isEqualTo(0x00); // in
        // COM_CHANGE_USER to root, with another schema: would be a login past the token.
        Buffer change = Buffer.buffer().appendByte((byte) MyPackets.COM_CHANGE_USER).appendString("root").appendByte((byte) 0)
            .appendByte((byte) 0).appendString("mysql").appendByte((byte) 0);
        s.getOutputStream().write(MyPackets.packet(0, change).getBytes());
        Packet err = read(s.getInputStream());
        assertThat(err.first()).isEqualTo(0xff);
        assertThat(err.errorCode()).isEqualTo(MyPackets.ER_ACCESS_DENIED);
        assertThat(new String(err.payload(), StandardCharsets.UTF_8)).contains("COM_CHANGE_USER is not allowed");
        assertThat(s.getInputStream().read()).as("the connection ends").isEqualTo(-1);
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.closed").stream()
          .anyMatch(r -> "change_user".equals(r.data().get("detail"))));
      assertThat(f.records("connection.opened")).hasSize(1);
      assertThat(f.records("connection.opened").get(0).data()).containsEntry("database", f.db.name);
    }
  }
}

package dev.curfew.server.security;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;

/**
 * A TLS ClientHello written byte by byte (RFC 5246 section 7.4.1.2, RFC 8446 section 4.1.2), and
 * what the server answers to it. The JDK's own client refuses to speak TLS 1.0 or 1.1 at all, so a
 * test that a server refuses them must offer them by hand.
 */
public final class TlsProbe {
  public static final int TLS_1_0 = 0x0301;
  public static final int TLS_1_1 = 0x0302;
  public static final int TLS_1_2 = 0x0303;

  /** ECDHE with AES-GCM, for ECDSA and RSA certificates: what a TLS 1.2 server here must accept. */
  public static final int[] ECDHE_GCM = {0xC02B, 0xC02F};
  /** CBC suites with SHA-1 (the TLS 1.0/1.1 era), with ECDHE and with RSA key transport. */
  public static final int[] LEGACY_CBC = {0xC009, 0xC013, 0x002F, 0x0035};
  /** RSA key transport with AES-GCM: TLS 1.2, but without forward secrecy. */
  public static final int[] RSA_KEY_TRANSPORT = {0x009C, 0x009D};

  /** What the server sent first. */
  public record Answer(boolean serverHello, int version, int cipherSuite, int alert) {
    @Override
    public String toString() {
      return serverHello ? String.format("ServerHello version %04x suite %04x", version, cipherSuite)
          : alert >= 0 ? "alert " + alert : "connection closed without an answer";
    }
  }

  private TlsProbe() {}

  /** Sends one ClientHello with {@code version} and {@code suites}; reads the first record of the answer. */
  public static Answer hello(String host, int port, int version, int... suites) throws IOException {
    try (Socket s = new Socket(host, port)) {
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(clientHello(version, suites));
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      try {
        int type = in.readUnsignedByte();
        in.readUnsignedShort(); // record version
        int length = in.readUnsignedShort();
        byte[] body = new byte[length];
        in.readFully(body);
        if (type == 0x15) return new Answer(false, 0, 0, body[1] & 0xff);
        if (type == 0x16 && body[0] == 0x02) {
          int v = (body[4] & 0xff) << 8 | body[5] & 0xff;
          int sessionIdLength = body[38] & 0xff;
          int at = 39 + sessionIdLength;
          int suite = (body[at] & 0xff) << 8 | body[at + 1] & 0xff;
          return new Answer(true, v, suite, -1);
        }
        return new Answer(false, 0, 0, -1);
      } catch (EOFException | SocketTimeoutException | java.net.SocketException e) {
        return new Answer(false, 0, 0, -1);
      }
    }
  }

  static byte[] clientHello(int version, int[] suites) throws IOException {
    ByteArrayOutputStream hello = new ByteArrayOutputStream();
    u16(hello, version);
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    hello.write(random);
    hello.write(0); // no session id
    u16(hello, suites.length * 2);
    for (int suite : suites) u16(hello, suite);
    hello.write(1); // compression methods: null only
    hello.write(0);
    ByteArrayOutputStream ext = new ByteArrayOutputStream();
    extension(ext, 0x000a, new int[] {0x0004, 0x001d, 0x0017}); // supported_groups: x25519, secp256r1
    ext.write(new byte[] {0x00, 0x0b, 0x00, 0x02, 0x01, 0x00}); // ec_point_formats: uncompressed
    // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256
    extension(ext, 0x000d, new int[] {0x0006, 0x0403, 0x0804, 0x0401});
    u16(hello, ext.size());
    hello.write(ext.toByteArray());

    ByteArrayOutputStream handshake = new ByteArrayOutputStream();
    handshake.write(0x01); // ClientHello
    u24(handshake, hello.size());
    handshake.write(hello.toByteArray());

    ByteArrayOutputStream record = new ByteArrayOutputStream();
    record.write(0x16); // handshake
    u16(record, Math.min(version, TLS_1_0)); // record layer version, as clients send it
    u16(record, handshake.size());
    record.write(handshake.toByteArray());
    return record.toByteArray();
  }

  private static void extension(ByteArrayOutputStream out, int type, int[] u16s) {
    u16(out, type);
    u16(out, u16s.length * 2);
    for (int v : u16s) u16(out, v);
  }

  private static void u16(ByteArrayOutputStream out, int v) {
    out.write(v >> 8 & 0xff);
    out.write(v & 0xff);
  }

  private static void u24(ByteArrayOutputStream out, int v) {
    out.write(v >> 16 & 0xff);
    u16(out, v & 0xffff);
  }
}

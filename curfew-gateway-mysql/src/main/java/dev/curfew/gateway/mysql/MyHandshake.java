package dev.curfew.gateway.mysql;

import io.vertx.core.buffer.Buffer;

/**
 * The login packets: the server's greeting (Protocol::HandshakeV10) and the client's answer
 * (Protocol::HandshakeResponse41, or the 32-byte SSLRequest that precedes it over TLS), read and
 * written field by field as the MySQL and MariaDB protocol documentation lists them.
 */
final class MyHandshake {
  private MyHandshake() {}

  /** A server's greeting as the gateway needs it. */
  record Greeting(String serverVersion, long connectionId, byte[] nonce, int capabilities, int charset, int status,
      String plugin) {}

  /** A client's answer to the greeting. {@code database} and {@code plugin} null when absent. */
  record Response(int capabilities, int maxPacketBytes, int charset, boolean sslRequest, String user, byte[] authResponse,
      String database, String plugin, Buffer attributes) {}

  static Greeting parseGreeting(Buffer p) throws MyPacketDecoder.FrameException {
    try {
      if (p.getUnsignedByte(0) != 10) {
        throw new MyPacketDecoder.FrameException("not a protocol 10 greeting (first byte " + p.getUnsignedByte(0) + ")");
      }
      int at = 1;
      int nul = nul(p, at);
      String version = p.getString(at, nul, "UTF-8");
      at = nul + 1;
      long connectionId = p.getUnsignedIntLE(at);
      at += 4;
      Buffer nonce = Buffer.buffer().appendBuffer(p, at, 8);
      at += 9; // 8 bytes of scramble and a filler
      int caps = p.getUnsignedShortLE(at);
      at += 2;
      int charset = p.length() > at ? p.getUnsignedByte(at) : 0;
      int status = p.length() > at + 2 ? p.getUnsignedShortLE(at + 1) : 0;
      if (p.length() > at + 4) caps |= p.getUnsignedShortLE(at + 3) << 16;
      int authDataLength = p.length() > at + 5 ? p.getUnsignedByte(at + 5) : 0;
      at += 16; // charset, status, upper capabilities, auth data length, 10 reserved
      String plugin = MyPackets.NATIVE_PASSWORD;
      if ((caps & MyPackets.CLIENT_SECURE_CONNECTION) != 0 && p.length() > at) {
        int part2 = Math.max(13, authDataLength - 8);
        int take = Math.min(part2, p.length() - at);
        // The second part is NUL-terminated: the nonce is its bytes before the NUL (12 for a 20-byte scramble).
        int n = take;
        while (n > 0 && p.getByte(at + n - 1) == 0) n--;
        nonce.appendBuffer(p, at, n);
        at += take;
      }
      if ((caps & MyPackets.CLIENT_PLUGIN_AUTH) != 0 && p.length() > at) {
        int end = MyPackets.nulAt(p, at);
        plugin = p.getString(at, end < 0 ? p.length() : end, "UTF-8");
      }
      return new Greeting(version, connectionId, nonce.getBytes(), caps, charset, status, plugin);
    } catch (IndexOutOfBoundsException e) {
      throw new MyPacketDecoder.FrameException("truncated greeting");
    }
  }

  static Buffer greeting(String serverVersion, long connectionId, byte[] nonce20, int capabilities, int charset, int status) {
    Buffer p = Buffer.buffer().appendByte((byte) 10).appendString(serverVersion, "UTF-8").appendByte((byte) 0)
        .appendUnsignedIntLE(connectionId).appendBytes(nonce20, 0, 8).appendByte((byte) 0)
        .appendUnsignedShortLE(capabilities & 0xffff).appendByte((byte) charset).appendUnsignedShortLE(status)
        .appendUnsignedShortLE(capabilities >>> 16).appendByte((byte) 21).appendBytes(new byte[10])
        .appendBytes(nonce20, 8, 12).appendByte((byte) 0)
        .appendString(MyPackets.NATIVE_PASSWORD, "US-ASCII").appendByte((byte) 0);
    return MyPackets.packet(0, p);
  }

  static Response parseResponse(Buffer p) throws MyPacketDecoder.FrameException {
    try {
      int caps = (int) p.getUnsignedIntLE(0);
      if ((caps & MyPackets.CLIENT_PROTOCOL_41) == 0) {
        throw new MyPacketDecoder.FrameException("the client does not speak protocol 4.1");
      }
      int maxPacket = (int) Math.min(Integer.MAX_VALUE, p.getUnsignedIntLE(4));
      int charset = p.getUnsignedByte(8);
      if (p.length() == 32) return new Response(caps, maxPacket, charset, true, null, null, null, null, null);
      int at = 32;
      int nul = nul(p, at);
      String user = p.getString(at, nul, "UTF-8");
      at = nul + 1;
      byte[] auth;
      if ((caps & MyPackets.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) != 0) {
        int w = width(p, at);
        long n = MyPackets.lenencAt(p, at);
        at += w;
        auth = bytes(p, at, n);
        at += auth.length;
      } else if ((caps & MyPackets.CLIENT_SECURE_CONNECTION) != 0) {
        int n = p.getUnsignedByte(at++);
        auth = bytes(p, at, n);
        at += n;
      } else {
        int end = nul(p, at);
        auth = p.getBytes(at, end);
        at = end + 1;
      }
      String database = null;
      if ((caps & MyPackets.CLIENT_CONNECT_WITH_DB) != 0 && at < p.length()) {
        int end = nul(p, at);
        database = p.getString(at, end, "UTF-8");
        at = end + 1;
      }
      String plugin = null;
      if ((caps & MyPackets.CLIENT_PLUGIN_AUTH) != 0 && at < p.length()) {
        int end = MyPackets.nulAt(p, at);
        plugin = p.getString(at, end < 0 ? p.length() : end, "UTF-8");
        at = end < 0 ? p.length() : end + 1;
      }
      Buffer attrs = null;
      if ((caps & MyPackets.CLIENT_CONNECT_ATTRS) != 0 && at < p.length()) {
        int w = width(p, at);
        long n = MyPackets.lenencAt(p, at);
        if (n < 0 || at + w + n > p.length()) throw new MyPacketDecoder.FrameException("truncated connection attributes");
        attrs = p.getBuffer(at, at + w + (int) n);
      }
      return new Response(caps, maxPacket, charset, false, user, auth, database == null || database.isEmpty() ? null : database,
          plugin, attrs);
    } catch (IndexOutOfBoundsException e) {
      throw new MyPacketDecoder.FrameException("truncated handshake response");
    }
  }

  /** HandshakeResponse41 for Curfew's own upstream login. */
  static Buffer response(int seq, int capabilities, int maxPacketBytes, int charset, String user, byte[] auth,
      String database, String plugin, Buffer attributes) {
    Buffer p = Buffer.buffer().appendUnsignedIntLE(capabilities & 0xffffffffL).appendUnsignedIntLE(maxPacketBytes)
        .appendByte((byte) charset).appendBytes(new byte[23])
        .appendString(user, "UTF-8").appendByte((byte) 0);
    MyPackets.appendLenenc(p, auth.length);
    p.appendBytes(auth);
    if (database != null) p.appendString(database, "UTF-8").appendByte((byte) 0);
    p.appendString(plugin, "US-ASCII").appendByte((byte) 0);
    if (attributes != null && (capabilities & MyPackets.CLIENT_CONNECT_ATTRS) != 0) p.appendBuffer(attributes);
    return MyPackets.packet(seq, p);
  }

  /** SSLRequest: the first 32 bytes of a HandshakeResponse41 with CLIENT_SSL, before the TLS handshake. */
  static Buffer sslRequest(int seq, int capabilities, int charset) {
    return MyPackets.packet(seq, Buffer.buffer().appendUnsignedIntLE((capabilities | MyPackets.CLIENT_SSL) & 0xffffffffL)
        .appendUnsignedIntLE(1 << 24).appendByte((byte) charset).appendBytes(new byte[23]));
  }

  /** Protocol::AuthSwitchRequest: 0xFE, the plugin's name, its data. */
  static Buffer authSwitch(int seq, String plugin, byte[] nonce20) {
    return MyPackets.packet(seq, Buffer.buffer().appendByte((byte) 0xfe).appendString(plugin, "US-ASCII").appendByte((byte) 0)
        .appendBytes(nonce20).appendByte((byte) 0));
  }

  private static int nul(Buffer p, int from) throws MyPacketDecoder.FrameException {
    int end = MyPackets.nulAt(p, from);
    if (end < 0) throw new MyPacketDecoder.FrameException("unterminated string in the handshake");
    return end;
  }

  private static int width(Buffer p, int at) throws MyPacketDecoder.FrameException {
    int w = MyPackets.lenencWidth(p, at);
    if (w == 0) throw new MyPacketDecoder.FrameException("malformed length in the handshake");
    return w;
  }

  private static byte[] bytes(Buffer p, int at, long n) throws MyPacketDecoder.FrameException {
    if (n < 0 || at + n > p.length()) throw new MyPacketDecoder.FrameException("truncated authentication data");
    return p.getBytes(at, at + (int) n);
  }
}

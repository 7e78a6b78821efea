package dev.curfew.gateway.mysql;

import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.UpstreamTlsClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;

/**
 * Curfew's own login to the upstream MySQL or MariaDB server with the configured {@code user} and
 * password: the greeting, HandshakeResponse41, then whatever the server's account asks for
 * (AuthSwitchRequest, caching_sha2_password's AuthMoreData), until OK or ERR. Supported:
 * mysql_native_password, caching_sha2_password (fast path, and the full path: the password in
 * clear over TLS, else encrypted with the server's RSA key), mysql_clear_password, and an account
 * with no password. With {@code upstream_tls} the login runs over TLS, started the protocol's way
 * (Protocol::SSLRequest, the first 32 bytes of the HandshakeResponse41 with {@code CLIENT_SSL},
 * then the TLS handshake, then the whole response), and a server that does not offer
 * {@code CLIENT_SSL} is not logged in to.
 * The socket is paused when the login completes; the caller takes it over.
 */
final class MyUpstreamLogin {
  /** caching_sha2_password's AuthMoreData answers ("Caching_sha2_password information"). */
  private static final int FAST_AUTH_OK = 3;
  private static final int PERFORM_FULL_AUTH = 4;
  /** The byte that asks the server for its RSA public key. */
  private static final byte REQUEST_PUBLIC_KEY = 2;

  /** A logged-in upstream connection. */
  record Upstream(NetSocket socket, MyHandshake.Greeting greeting, Buffer okPayload, int capabilities) {}

  /** The server refused the login; {@code code} is its error code (0 when the refusal is the gateway's own). */
  static final class Failed extends Exception {
    final int code;

    Failed(int code, String message) {
      super(message);
      this.code = code;
    }
  }

  private final DatabaseTarget target;
  private final UpstreamTlsClient upstreamTls;
  private final NetSocket socket;
  private final Promise<Upstream> result = Promise.promise();
  private final MyPacketDecoder decoder = new MyPacketDecoder(1 << 20);
  private final int wanted; // the client's capabilities, as the upstream must honour them
  private final int maxPacketBytes;
  private final int charset;
  private final String database;
  private final Buffer attributes;
  private MyHandshake.Greeting greeting;
  private int capabilities;
  private String plugin;
  private byte[] nonce;
  private boolean keyRequested;
  /** Whether the login runs over TLS (set once the SSLRequest is sent). */
  private boolean tls;

  private MyUpstreamLogin(DatabaseTarget target, UpstreamTlsClient upstreamTls, NetSocket socket, int wanted,
      int maxPacketBytes, int charset, String database, Buffer attributes) {
    this.target = target;
    this.upstreamTls = upstreamTls;
    this.socket = socket;
    this.wanted = wanted;
    this.maxPacketBytes = maxPacketBytes;
    this.charset = charset;
    this.database = database;
    this.attributes = attributes;
  }

  /**
   * Logs in with the client's framing capabilities {@code wanted} (the upstream must offer each of
   * them, or the relayed responses would not be what the client expects).
   */
  static Future<Upstream> login(NetClient client, UpstreamTlsClient upstreamTls, DatabaseTarget target, int wanted,
      int maxPacketBytes, int charset, String database, Buffer attributes) {
    return client.connect(target.upstreamPort(), target.upstreamHost()).compose(socket -> {
      MyUpstreamLogin l = new MyUpstreamLogin(target, upstreamTls, socket, wanted, maxPacketBytes, charset, database,
          attributes);
      socket.handler(l::received);
      socket.closeHandler(v -> l.result.tryFail(new Failed(0, "the database closed the connection during login")));
      socket.exceptionHandler(e -> l.result.tryFail(e));
      return l.result.future().onFailure(e -> socket.close());
    });
  }

  private void received(Buffer chunk) {
    try {
      decoder.decode(chunk, (seq, payload, raw) -> {
        step(seq, payload);
        return true;
      });
    } catch (MyPacketDecoder.FrameException | RuntimeException e) {
      result.tryFail(new Failed(0, "the database's login answer cannot be read: " + e.getMessage()));
    }
  }

  private void step(int seq, Buffer p) throws MyPacketDecoder.FrameException {
    if (result.future().isComplete()) return;
    int first = p.length() == 0 ? -1 : p.getUnsignedByte(0);
    if (greeting == null) {
      if (first == 0xff) {
        fail(p);
        return;
      }
      greeting = MyHandshake.parseGreeting(p);
      int missing = wanted & MyPackets.FRAMING & ~greeting.capabilities();
      if (missing != 0) {
        result.tryFail(new Failed(0, "the database lacks capabilities the client uses: 0x" + Integer.toHexString(missing)));
        return;
      }
      capabilities = (wanted & ~MyPackets.CLIENT_SSL & ~MyPackets.CLIENT_CONNECT_WITH_DB & greeting.capabilities())
          | MyPackets.CLIENT_PROTOCOL_41 | MyPackets.CLIENT_SECURE_CONNECTION | MyPackets.CLIENT_PLUGIN_AUTH
          | MyPackets.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | (database != null ? MyPackets.CLIENT_CONNECT_WITH_DB : 0);
      capabilities &= greeting.capabilities() | MyPackets.CLIENT_CONNECT_WITH_DB;
      plugin = greeting.plugin();
      nonce = greeting.nonce();
      if (upstreamTls == null) {
        socket.write(response(seq + 1));
        return;
      }
      if ((greeting.capabilities() & MyPackets.CLIENT_SSL) == 0) {
        result.tryFail(new Failed(0, "the database does not offer TLS, which upstream_tls requires"));
        return;
      }
      tls = true;
      // The SSLRequest must leave in the clear, before the TLS handler is in place.
      socket.write(MyHandshake.sslRequest(seq + 1, capabilities, charset))
          .compose(v -> upstreamTls.start(socket))
          .onSuccess(v -> socket.write(response(seq + 2)))
          .onFailure(e -> result.tryFail(new Failed(0, "TLS with the database failed: " + e.getMessage())));
      return;
    }
    switch (first) {
      case 0x00 -> {
        socket.pause();
        socket.handler(null);
        socket.closeHandler(null);
        result.tryComplete(new Upstream(socket, greeting, p.copy(), capabilities));
      }
      case 0xff -> fail(p);
      case 0xfe -> { // AuthSwitchRequest: another plugin, a fresh nonce
        int end = MyPackets.nulAt(p, 1);
        plugin = p.getString(1, end < 0 ? p.length() : end, "US-ASCII");
        nonce = end < 0 ? new byte[0] : p.getBytes(end + 1, p.length());
        socket.write(MyPackets.packet(seq + 1, Buffer.buffer(answer(plugin, nonce))));
      }
      case 0x01 -> moreData(seq, p);
      default -> result.tryFail(new Failed(0, "unexpected packet 0x" + Integer.toHexString(first) + " during the database's login"));
    }
  }

  /** HandshakeResponse41, with {@code CLIENT_SSL} over TLS. */
  private Buffer response(int seq) {
    return MyHandshake.response(seq, capabilities | (tls ? MyPackets.CLIENT_SSL : 0), maxPacketBytes, charset, target.user(),
        answer(plugin, nonce), database, plugin, attributes);
  }

  /** AuthMoreData of caching_sha2_password: fast path done, or the full path asked for. */
  private void moreData(int seq, Buffer p) {
    if (keyRequested) { // the server's RSA public key, PEM
      String pem = p.getString(1, p.length(), "US-ASCII");
      socket.write(MyPackets.packet(seq + 1, Buffer.buffer(MyAuth.rsaEncryptedPassword(target.password(), nonce20(), pem))));
      return;
    }
    int what = p.length() > 1 ? p.getUnsignedByte(1) : -1;
    if (what == FAST_AUTH_OK) return; // the OK follows
    if (what == PERFORM_FULL_AUTH && tls) { // a secure channel: the password itself, NUL-terminated
      String password = target.password();
      socket.write(MyPackets.packet(seq + 1, Buffer.buffer(((password == null ? "" : password) + "\0").getBytes(StandardCharsets.UTF_8))));
      return;
    }
    if (what == PERFORM_FULL_AUTH) {
      keyRequested = true;
      socket.write(MyPackets.packet(seq + 1, Buffer.buffer(new byte[] {REQUEST_PUBLIC_KEY})));
      return;
    }
    result.tryFail(new Failed(0, "unexpected authentication data from the database"));
  }

  private byte[] answer(String plugin, byte[] nonce) {
    String password = target.password();
    return switch (plugin) {
      case MyPackets.NATIVE_PASSWORD -> MyAuth.nativePassword(password, nonce);
      case MyPackets.CACHING_SHA2_PASSWORD -> MyAuth.cachingSha2Fast(password, nonce);
      case MyPackets.CLEAR_PASSWORD -> ((password == null ? "" : password) + "\0").getBytes(StandardCharsets.UTF_8);
      default -> {
        result.tryFail(new Failed(0, "the database asks for the authentication plugin " + plugin + ", which the gateway does not speak"));
        yield new byte[0];
      }
    };
  }

  private byte[] nonce20() {
    int n = nonce.length;
    while (n > 0 && nonce[n - 1] == 0) n--;
    byte[] out = new byte[n];
    System.arraycopy(nonce, 0, out, 0, n);
    return out;
  }

  private void fail(Buffer p) {
    int code = p.length() >= 3 ? p.getUnsignedShortLE(1) : 0;
    int textAt = p.length() > 3 && p.getByte(3) == '#' ? 9 : 3;
    String message = p.length() > textAt ? p.getString(textAt, p.length(), "UTF-8") : "";
    result.tryFail(new Failed(code, message));
  }
}

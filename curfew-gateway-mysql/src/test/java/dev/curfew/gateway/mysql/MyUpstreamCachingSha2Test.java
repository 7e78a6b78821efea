package dev.curfew.gateway.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.PassiveStatements;
import dev.curfew.gateway.db.UpstreamTls;
import dev.curfew.gateway.db.UpstreamTlsClient;
import dev.curfew.core.testing.TestTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's own login to a MySQL 8 account with caching_sha2_password, against a scripted
 * server that checks the answers the way MySQL documents it ("Caching_sha2_password information"):
 * it keeps only SHA256(SHA256(password)) for the fast path, and for the full path (a cold cache)
 * sends its RSA public key and decrypts (password + NUL) XOR scramble, OAEP padding. MariaDB, the
 * machine's server, has no caching_sha2_password, so this is where the plugin is proven.
 */
class MyUpstreamCachingSha2Test {
  private static final String PASSWORD = "s3cret sha2 password";
  private static Vertx vertx;
  private static NetClient client;
  private static KeyPair rsa;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    client = vertx.createNetClient();
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    rsa = g.generateKeyPair();
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  enum Path { FAST, FULL, SWITCH_THEN_FAST, FULL_OVER_TLS }

  @Test
  void fastPath_theScrambleMatchesTheStoredDoubleHash() throws Exception {
    try (ScriptedServer s = new ScriptedServer(Path.FAST)) {
      assertThat(login(s, PASSWORD).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)).isNotNull();
      assertThat(s.verdict.get(30, TimeUnit.SECONDS)).isEqualTo("fast ok");
    }
  }

  @Test
  void fullPath_thePasswordTravelsRsaEncryptedWithTheServersKey() throws Exception {
    try (ScriptedServer s = new ScriptedServer(Path.FULL)) {
      assertThat(login(s, PASSWORD).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)).isNotNull();
      assertThat(s.verdict.get(30, TimeUnit.SECONDS)).isEqualTo("full ok");
    }
  }

  @Test
  void anAuthSwitchToCachingSha2_isFollowed() throws Exception {
    try (ScriptedServer s = new ScriptedServer(Path.SWITCH_THEN_FAST)) {
      assertThat(login(s, PASSWORD).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)).isNotNull();
      assertThat(s.verdict.get(30, TimeUnit.SECONDS)).isEqualTo("fast ok");
    }
  }

  /**
   * With {@code upstream_tls} the full path sends the password itself, NUL-terminated, over the TLS
   * the login started (SSLRequest, handshake, then the HandshakeResponse41), and asks for no RSA key.
   */
  @Test
  void fullPathOverTls_thePasswordTravelsInsideTls() throws Exception {
    try (ScriptedServer s = new ScriptedServer(Path.FULL_OVER_TLS)) {
      assertThat(login(s, PASSWORD).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)).isNotNull();
      assertThat(s.verdict.get(30, TimeUnit.SECONDS)).isEqualTo("full over tls ok");
    }
  }

  @Test
  void aWrongPassword_isTheServersRefusal() throws Exception {
    for (Path path : List.of(Path.FAST, Path.FULL)) {
      try (ScriptedServer s = new ScriptedServer(path)) {
        CompletableFuture<MyUpstreamLogin.Upstream> f = login(s, "not the password").toCompletionStage().toCompletableFuture();
        try {
          f.get(30, TimeUnit.SECONDS);
          throw new AssertionError("logged in with a wrong password on the " + path + " path");
        } catch (ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(MyUpstreamLogin.Failed.class);
          assertThat(((MyUpstreamLogin.Failed) e.getCause()).code).isEqualTo(1045);
        }
        assertThat(s.verdict.get(30, TimeUnit.SECONDS)).endsWith("refused");
      }
    }
  }

  private static Future<MyUpstreamLogin.Upstream> login(ScriptedServer s, String password) {
    DatabaseTarget target = new DatabaseTarget("orders", "127.0.0.1", 0, "127.0.0.1", s.port(), null, "app", password,
        null, PassiveStatements.NONE, DatabaseTarget.AuditStatements.OFF, null,
        s.path == Path.FULL_OVER_TLS ? new UpstreamTls(false, null, null) : null);
    UpstreamTlsClient tls = UpstreamTlsClient.of(target);
    // On an event loop, as a connection of the gateway logs in (its socket's handler set before any byte is read).
    io.vertx.core.Promise<MyUpstreamLogin.Upstream> p = io.vertx.core.Promise.promise();
    vertx.getOrCreateContext().runOnContext(v -> MyUpstreamLogin.login(client, tls, target,
        MyPackets.CLIENT_PROTOCOL_41 | MyPackets.CLIENT_TRANSACTIONS, 1 << 24, MyPackets.UTF8MB4_GENERAL_CI, null, null)
        .onComplete(p));
    return p.future();
  }

  /** One connection, one login, as a MySQL 8 server with a caching_sha2_password account answers it. */
  private static final class ScriptedServer implements AutoCloseable {
    final CompletableFuture<String> verdict = new CompletableFuture<>();
    private final ServerSocket server = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
    final Path path;
    private final byte[] scramble = printable(20);

    ScriptedServer(Path path) throws IOException {
      this.path = path;
      Thread t = new Thread(this::serve, "scripted-mysql");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void serve() {
      try (Socket s = server.accept()) {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        boolean switching = path == Path.SWITCH_THEN_FAST;
        write(out, 0, greeting(switching ? MyPackets.NATIVE_PASSWORD : MyPackets.CACHING_SHA2_PASSWORD));
        if (path == Path.FULL_OVER_TLS) {
          serveOverTls(s, read(in, 1));
          return;
        }
        MyHandshake.Response r = MyHandshake.parseResponse(read(in, 1));
        byte[] auth = r.authResponse();
        int seq = 2;
        byte[] nonce = scramble;
        if (switching) {
          nonce = printable(20);
          Buffer sw = Buffer.buffer().appendByte((byte) 0xfe).appendString(MyPackets.CACHING_SHA2_PASSWORD, "US-ASCII")
              .appendByte((byte) 0).appendBytes(nonce).appendByte((byte) 0);
          write(out, seq, sw);
          auth = read(in, seq + 1).getBytes();
          seq += 2;
        }
        if (path != Path.FULL) {
          boolean ok = fastPathMatches(auth, nonce);
          if (ok) {
            write(out, seq, Buffer.buffer(new byte[] {1, 3})); // fast_auth_success
            write(out, seq + 1, ok());
          } else {
            write(out, seq, accessDenied());
          }
          verdict.complete(ok ? "fast ok" : "fast refused");
          return;
        }
        write(out, seq, Buffer.buffer(new byte[] {1, 4})); // perform_full_authentication
        Buffer ask = read(in, seq + 1);
        if (ask.length() != 1 || ask.getByte(0) != 2) throw new IllegalStateException("no public key request");
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(rsa.getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        write(out, seq + 2, Buffer.buffer().appendByte((byte) 1).appendString(pem, "US-ASCII"));
        Cipher c = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
        c.init(Cipher.DECRYPT_MODE, rsa.getPrivate());
        byte[] plain = c.doFinal(read(in, seq + 3).getBytes());
        for (int i = 0; i < plain.length; i++) plain[i] ^= nonce[i % nonce.length];
        boolean ok = Arrays.equals(plain, (PASSWORD + "\0").getBytes(StandardCharsets.UTF_8));
        write(out, seq + 4, ok ? ok() : accessDenied());
        verdict.complete(ok ? "full ok" : "full refused");
      } catch (Exception e) {
        verdict.completeExceptionally(e);
      }
    }

    /** The rest of a login that began with an SSLRequest: TLS, the response, the full path in clear inside TLS. */
    private void serveOverTls(Socket plain, Buffer sslRequest) throws Exception {
      if (sslRequest.length() != 32 || (sslRequest.getIntLE(0) & MyPackets.CLIENT_SSL) == 0) {
        throw new IllegalStateException("no SSLRequest: " + sslRequest.length() + " bytes");
      }
      try (javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) serverTls().getSocketFactory()
          .createSocket(plain, null, plain.getPort(), false)) {
        tls.setUseClientMode(false);
        tls.startHandshake();
        InputStream in = tls.getInputStream();
        OutputStream out = tls.getOutputStream();
        MyHandshake.Response r = MyHandshake.parseResponse(read(in, 2));
        if ((r.capabilities() & MyPackets.CLIENT_SSL) == 0) throw new IllegalStateException("the response lacks CLIENT_SSL");
        write(out, 3, Buffer.buffer(new byte[] {1, 4})); // perform_full_authentication
        boolean ok = Arrays.equals(read(in, 4).getBytes(), (PASSWORD + "\0").getBytes(StandardCharsets.UTF_8));
        write(out, 5, ok ? ok() : accessDenied());
        verdict.complete(ok ? "full over tls ok" : "full over tls refused");
      }
    }

    /** A TLS server context with a throwaway certificate (openssl, via TestTls). */
    private static javax.net.ssl.SSLContext serverTls() throws Exception {
      TestTls.Files2 files = TestTls.create();
      java.security.cert.Certificate cert;
      try (InputStream in = java.nio.file.Files.newInputStream(files.cert())) {
        cert = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
      }
      String pem = java.nio.file.Files.readString(files.key()).replaceAll("-----[A-Z ]+-----|\\s", "");
      java.security.PrivateKey key = java.security.KeyFactory.getInstance("EC")
          .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("server", key, new char[0], new java.security.cert.Certificate[] {cert});
      javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
      kmf.init(ks, new char[0]);
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    }

    /** The server's check: SHA256(scramble XOR SHA256(stored + nonce)) == stored, stored = SHA256(SHA256(password)). */
    private static boolean fastPathMatches(byte[] answer, byte[] nonce) throws Exception {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] stored = sha.digest(sha.digest(PASSWORD.getBytes(StandardCharsets.UTF_8)));
      sha.update(stored);
      byte[] mask = sha.digest(nonce);
      if (answer.length != mask.length) return false;
      byte[] candidate = new byte[answer.length];
      for (int i = 0; i < answer.length; i++) candidate[i] = (byte) (answer[i] ^ mask[i]);
      return Arrays.equals(sha.digest(candidate), stored);
    }

    private Buffer greeting(String plugin) {
      int caps = path == Path.FULL_OVER_TLS ? -1 : ~MyPackets.CLIENT_SSL;
      return Buffer.buffer().appendByte((byte) 10).appendString("8.0.36-scripted", "UTF-8").appendByte((byte) 0)
          .appendUnsignedIntLE(7).appendBytes(scramble, 0, 8).appendByte((byte) 0)
          .appendUnsignedShortLE(caps & 0xffff).appendByte((byte) MyPackets.UTF8MB4_GENERAL_CI)
          .appendUnsignedShortLE(MyPackets.SERVER_STATUS_AUTOCOMMIT).appendUnsignedShortLE(caps >>> 16)
          .appendByte((byte) 21).appendBytes(new byte[10]).appendBytes(scramble, 8, 12).appendByte((byte) 0)
          .appendString(plugin, "US-ASCII").appendByte((byte) 0);
    }

    private static Buffer ok() {
      return Buffer.buffer(new byte[] {0, 0, 0, 2, 0, 0, 0});
    }

    /** ERR 1045, the payload without its packet header. */
    private static Buffer accessDenied() {
      Buffer packet = MyPackets.err(0, 1045, "28000", "Access denied for user 'app'");
      return packet.getBuffer(4, packet.length());
    }

    private static void write(OutputStream out, int seq, Buffer payload) throws IOException {
      out.write(MyPackets.packet(seq, payload).getBytes());
      out.flush();
    }

    private static Buffer read(InputStream in, int expectedSeq) throws IOException {
      DataInputStream d = new DataInputStream(in);
      byte[] header = new byte[4];
      d.readFully(header);
      int length = (header[0] & 0xff) | (header[1] & 0xff) << 8 | (header[2] & 0xff) << 16;
      if ((header[3] & 0xff) != expectedSeq) throw new IOException("sequence " + (header[3] & 0xff) + ", expected " + expectedSeq);
      byte[] body = new byte[length];
      d.readFully(body);
      return Buffer.buffer(body);
    }

    private static byte[] printable(int n) {
      byte[] b = new byte[n];
      java.util.Random r = new java.util.Random(n * 31L);
      for (int i = 0; i < n; i++) b[i] = (byte) (33 + r.nextInt(94));
      return b;
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}

package dev.curfew.gateway.postgres;

import dev.curfew.gateway.db.DatabaseTarget;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Logs in to the upstream PostgreSQL with Curfew's own credentials (trust, cleartext password, MD5
 * or SCRAM-SHA-256: PostgreSQL documentation 55.2.2 and 55.3) and collects what the client must be
 * told afterwards: the ParameterStatus messages and the upstream's BackendKeyData, up to the first
 * ReadyForQuery. The client's token never goes upstream; the upstream's credentials and key never
 * reach the client.
 */
final class UpstreamLogin {
  /** An upstream connection ready for queries. */
  record Upstream(NetSocket socket, int processId, int secretKey, List<Buffer> parameterStatus, Buffer notices) {}

  /** The upstream refused the login or broke the protocol; {@code message} is for the audit record only. */
  static final class Failed extends Exception {
    final String sqlstate;

    Failed(String sqlstate, String message) {
      super(message);
      this.sqlstate = sqlstate;
    }
  }

  private final DatabaseTarget target;
  private final SecureRandom random;
  private final PgFrameDecoder decoder = new PgFrameDecoder(false, 1 << 20, PgFrameDecoder.KeepBody.ALL);
  private final Promise<Upstream> done = Promise.promise();
  private final List<Buffer> parameterStatus = new ArrayList<>();
  private final Buffer notices = Buffer.buffer();
  private NetSocket socket;
  private ScramSha256 scram;
  private int processId;
  private int secretKey;

  private UpstreamLogin(DatabaseTarget target, SecureRandom random) {
    this.target = target;
    this.random = random;
  }

  /**
   * Connects and logs in; {@code parameters} are the client's startup parameters, of which the
   * user, database and replication ones are replaced or dropped.
   */
  static Future<Upstream> login(NetClient client, dev.curfew.gateway.db.UpstreamTlsClient tls, DatabaseTarget target,
      String database, Map<String, String> parameters, SecureRandom random) {
    UpstreamLogin login = new UpstreamLogin(target, random);
    return UpstreamConnect.open(client, tls, target)
        .compose(s -> {
          login.start(s);
          return login.send(database, parameters);
        });
  }

  private void start(NetSocket s) {
    this.socket = s;
    s.handler(chunk -> {
      try {
        decoder.decode(chunk, this::frame);
      } catch (PgFrameDecoder.FrameException e) {
        fail(new Failed("08P01", "upstream: " + e.getMessage()));
      }
    });
    s.closeHandler(v -> fail(new Failed("08006", "the upstream closed the connection during login")));
    s.exceptionHandler(e -> fail(new Failed("08006", "upstream: " + e.getMessage())));
  }

  private Future<Upstream> send(String database, Map<String, String> clientParameters) {
    java.util.LinkedHashMap<String, String> p = new java.util.LinkedHashMap<>();
    p.put("user", target.user());
    p.put("database", database);
    clientParameters.forEach((k, v) -> {
      if (!k.equals("user") && !k.equals("database") && !k.equals("replication")) p.put(k, v);
    });
    socket.write(PgMessages.startupMessage(p));
    return done.future();
  }

  private boolean frame(char type, int bodyBytes, Buffer body, int endInChunk) {
    if (done.future().isComplete()) return false;
    try {
      switch (type) {
        case 'R' -> authentication(body);
        case 'S' -> parameterStatus.add(whole(type, body));
        case 'K' -> {
          if (body.length() < 8) throw new Failed("08P01", "upstream: malformed BackendKeyData");
          processId = body.getInt(0);
          secretKey = body.getInt(4);
        }
        case 'N' -> notices.appendBuffer(whole(type, body));
        case 'E' -> throw new Failed(orDefault(PgMessages.field(body, 'C'), "28000"),
            "upstream refused the login: " + PgMessages.field(body, 'M'));
        case 'Z' -> {
          detach();
          done.tryComplete(new Upstream(socket, processId, secretKey, List.copyOf(parameterStatus), notices));
          return false;
        }
        case 'v' -> { } // NegotiateProtocolVersion: we asked for 3.0 with no options; nothing to adjust
        default -> throw new Failed("08P01", "upstream: unexpected '" + type + "' message during login");
      }
    } catch (Failed f) {
      fail(f);
      return false;
    } catch (PgFrameDecoder.FrameException | GeneralSecurityException e) {
      fail(new Failed("08P01", "upstream: " + e.getMessage()));
      return false;
    }
    return true;
  }

  private void authentication(Buffer body) throws Failed, GeneralSecurityException, PgFrameDecoder.FrameException {
    if (body.length() < 4) throw new Failed("08P01", "upstream: malformed authentication request");
    int code = body.getInt(0);
    switch (code) {
      case PgMessages.AUTH_OK -> { }
      case PgMessages.AUTH_CLEARTEXT -> socket.write(PgMessages.passwordMessage(password()));
      case PgMessages.AUTH_MD5 -> {
        if (body.length() < 8) throw new Failed("08P01", "upstream: malformed MD5 request");
        socket.write(PgMessages.passwordMessage(md5(password(), target.user(), body.getBytes(4, 8))));
      }
      case PgMessages.AUTH_SASL -> {
        List<String> mechanisms = new ArrayList<>();
        int at = 4;
        while (at < body.length() && body.getByte(at) != 0) {
          int end = PgMessages.nulAt(body, at);
          mechanisms.add(body.getString(at, end, "UTF-8"));
          at = end + 1;
        }
        if (!mechanisms.contains(ScramSha256.MECHANISM)) {
          throw new Failed("28000", "upstream offers no SASL mechanism Curfew speaks: " + mechanisms);
        }
        scram = new ScramSha256(password(), random);
        socket.write(PgMessages.saslInitialResponse(ScramSha256.MECHANISM, scram.clientFirst()));
      }
      case PgMessages.AUTH_SASL_CONTINUE -> {
        if (scram == null) throw new Failed("08P01", "upstream: SASL continue without a SASL start");
        socket.write(PgMessages.saslResponse(scram.clientFinal(body.getBytes(4, body.length()))));
      }
      case PgMessages.AUTH_SASL_FINAL -> {
        if (scram == null || !scram.serverFinalValid(body.getBytes(4, body.length()))) {
          throw new Failed("28000", "upstream: the SCRAM server signature does not verify");
        }
      }
      default -> throw new Failed("28000", "upstream asks for an authentication method Curfew does not speak (" + code + ")");
    }
  }

  private String password() throws Failed {
    if (target.password() == null) {
      throw new Failed("28000", "upstream asks for a password and none is configured (password_env)");
    }
    return target.password();
  }

  /** PostgreSQL's MD5 answer: "md5" + md5hex(md5hex(password + user) + salt). */
  static String md5(String password, String user, byte[] salt) throws GeneralSecurityException {
    MessageDigest md = MessageDigest.getInstance("MD5");
    String inner = HexFormat.of().formatHex(md.digest((password + user).getBytes(StandardCharsets.UTF_8)));
    md.update(inner.getBytes(StandardCharsets.UTF_8));
    md.update(salt);
    return "md5" + HexFormat.of().formatHex(md.digest());
  }

  private static Buffer whole(char type, Buffer body) {
    return Buffer.buffer(body.length() + 5).appendByte((byte) type).appendInt(body.length() + 4).appendBuffer(body);
  }

  private static String orDefault(String s, String dflt) {
    return s == null ? dflt : s;
  }

  private void detach() {
    socket.handler(null);
    socket.closeHandler(null);
    socket.exceptionHandler(null);
    socket.pause();
  }

  private void fail(Failed f) {
    if (done.tryFail(f)) {
      detach();
      socket.close();
    }
  }
}

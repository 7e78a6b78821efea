package dev.curfew.gateway.db;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import javax.net.ssl.SSLException;

/**
 * TLS for database clients, started on the connection's own event loop with Netty's {@code
 * SslHandler} put in front of the connection's pipeline. MySQL clients start it without waiting
 * for an answer: the client's SSLRequest is followed at once by its TLS ClientHello
 * (Protocol::SSLRequest), often in the same TCP segment, and whatever arrived after the
 * SSLRequest is fed through the handler ({@link #start}). PostgreSQL clients wait for the
 * server's {@code 'S'}, written in clear before the handler goes in ({@link #answerThenStart}).
 *
 * <p>Not Vert.x's {@code upgradeToSsl}: it installs its handler asynchronously (a ClientHello read
 * before that would be lost), and on a port served from several event loops it fails on the
 * connections of every server instance but the first (Vert.x 5.0.7 gives only the first its SSL
 * context manager: a NullPointerException in {@code NetSocketImpl.sslUpgrade}, the client left
 * waiting). This reaches below the NetSocket API (Vert.x's {@code NetSocketInternal}, Netty's
 * {@code SslHandler}) for that one step only.
 */
public final class ClientTls {
  /** The TLS handler's name in the connection's pipeline. */
  private static final String HANDLER = "curfew-tls";

  private final SslContext context;

  private ClientTls(SslContext context) {
    this.context = context;
  }

  /** Null when the target offers no TLS. Fails at start with the file named when the PEM files cannot serve. */
  public static ClientTls of(DatabaseTarget.TlsFiles files) {
    if (files == null) return null;
    try {
      return new ClientTls(SslContextBuilder.forServer(files.cert().toFile(), files.key().toFile()).build());
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("tls: the certificate " + files.cert() + " and key " + files.key()
          + " cannot serve: " + e.getMessage(), e);
    }
  }

  /** Starts TLS on {@code socket}; {@code early} are the bytes that followed the SSLRequest. Completes after the handshake. */
  public Future<Void> start(NetSocket socket, Buffer early) {
    ChannelHandlerContext ctx = ((NetSocketInternal) socket).channelHandlerContext();
    SslHandler ssl = context.newHandler(ctx.alloc());
    ctx.pipeline().addFirst(HANDLER, ssl);
    Promise<Void> done = Promise.promise();
    ssl.handshakeFuture().addListener(f -> {
      if (f.isSuccess()) done.tryComplete();
      else done.tryFail(new SSLException(describe(f.cause()))); // not the cause: it may quote the client's bytes
    });
    if (early != null && early.length() > 0) ctx.pipeline().fireChannelRead(Unpooled.wrappedBuffer(early.getBytes()));
    return done.future();
  }

  /**
   * What went wrong in a failed handshake, in words fit for the audit trail. Never the client's
   * bytes: Netty's {@code NotSslRecordException} quotes, in hex, everything it was given where a
   * TLS record belonged, and a login sent in clear there holds the session token (audit.md: no
   * record ever contains one). The JDK's own messages name an alert, a protocol or a cipher, not
   * data; they are kept, printable and at most 200 characters.
   */
  static String describe(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof NotSslRecordException) return "not a TLS record: the client sent something else where the handshake belongs";
      if (t instanceof SslHandshakeTimeoutException || t instanceof SSLException && !(t.getCause() instanceof SSLException)) {
        String m = String.valueOf(t.getMessage()).replaceAll("[^\\x20-\\x7e]", "?");
        return m.length() <= 200 ? m : m.substring(0, 200) + "...";
      }
    }
    return "TLS handshake failed (" + failure.getClass().getSimpleName() + ")";
  }

  /** Whether TLS was started on {@code socket}: from then on, what it reads came through TLS. */
  public static boolean started(NetSocket socket) {
    return ((NetSocketInternal) socket).channelHandlerContext().pipeline().get(HANDLER) != null;
  }

  /**
   * Writes {@code inClear} (PostgreSQL's {@code 'S'}), then starts TLS on {@code socket} once it is
   * flushed, before anything more is read. Completes after the handshake.
   */
  public Future<Void> answerThenStart(NetSocket socket, Buffer inClear) {
    ChannelHandlerContext ctx = ((NetSocketInternal) socket).channelHandlerContext();
    Promise<Void> done = Promise.promise();
    ctx.writeAndFlush(Unpooled.wrappedBuffer(inClear.getBytes())).addListener(written -> {
      if (written.isSuccess()) {
        start(socket, null).onComplete(done);
      } else {
        done.tryFail(written.cause());
      }
    });
    return done.future();
  }
}

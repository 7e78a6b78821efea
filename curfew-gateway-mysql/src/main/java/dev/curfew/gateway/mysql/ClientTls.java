package dev.curfew.gateway.mysql;

import dev.curfew.gateway.db.DatabaseTarget;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import javax.net.ssl.SSLException;

/**
 * TLS for MySQL clients, which start it without waiting for an answer: the client's SSLRequest is
 * followed at once by its TLS ClientHello (Protocol::SSLRequest), often in the same TCP segment.
 * Vert.x's {@code upgradeToSsl} installs its handler asynchronously, so a ClientHello read before
 * that would be lost; here the TLS handler goes in front of the connection's pipeline on the event
 * loop, synchronously, and whatever arrived after the SSLRequest is fed through it. This reaches
 * below the NetSocket API (Vert.x's {@code NetSocketInternal}, Netty's {@code SslHandler}) for that
 * one step only.
 */
final class ClientTls {
  private final SslContext context;

  private ClientTls(SslContext context) {
    this.context = context;
  }

  /** Null when the target offers no TLS. Fails at start with the file named when the PEM files cannot serve. */
  static ClientTls of(DatabaseTarget.TlsFiles files) {
    if (files == null) return null;
    try {
      return new ClientTls(SslContextBuilder.forServer(files.cert().toFile(), files.key().toFile()).build());
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("tls: the certificate " + files.cert() + " and key " + files.key()
          + " cannot serve: " + e.getMessage(), e);
    }
  }

  /** Starts TLS on {@code socket}; {@code early} are the bytes that followed the SSLRequest. Completes after the handshake. */
  Future<Void> start(NetSocket socket, Buffer early) {
    ChannelHandlerContext ctx = ((NetSocketInternal) socket).channelHandlerContext();
    SslHandler ssl = context.newHandler(ctx.alloc());
    ctx.pipeline().addFirst("curfew-mysql-tls", ssl);
    Promise<Void> done = Promise.promise();
    ssl.handshakeFuture().addListener(f -> {
      if (f.isSuccess()) done.tryComplete();
      else done.tryFail(f.cause());
    });
    if (early != null && early.length() > 0) ctx.pipeline().fireChannelRead(Unpooled.wrappedBuffer(early.getBytes()));
    return done.future();
  }
}

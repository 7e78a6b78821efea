package dev.curfew.gateway.db;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetSocket;
import javax.net.ssl.SSLException;

/**
 * TLS on Curfew's connection to the upstream ({@link UpstreamTls}), started by the gateway once the
 * protocol has agreed to it, with Netty's {@code SslHandler} put in front of the connection's
 * pipeline on its own event loop: the same step as {@link ClientTls}, from the client's side, and
 * for the same reasons not Vert.x's {@code upgradeToSsl}. The context is built once, at start, so
 * that a trust file that cannot serve stops the start and not the first login. Host names are
 * checked the way HTTPS checks them (RFC 2818 section 3.1, RFC 6125) where {@code verify} is set.
 */
public final class UpstreamTlsClient {
  private static final String HANDLER = "curfew-upstream-tls";

  private final SslContext context;
  private final String serverName;
  private final int port;

  private UpstreamTlsClient(SslContext context, String serverName, int port) {
    this.context = context;
    this.serverName = serverName;
    this.port = port;
  }

  /** Null when the target's upstream connection is not encrypted. */
  public static UpstreamTlsClient of(DatabaseTarget target) {
    UpstreamTls tls = target.upstreamTls();
    if (tls == null) return null;
    SslContextBuilder b = SslContextBuilder.forClient();
    if (tls.verify()) {
      b.endpointIdentificationAlgorithm("HTTPS");
      if (tls.ca() != null) b.trustManager(tls.ca().toFile());
    } else {
      b.endpointIdentificationAlgorithm(null).trustManager(InsecureTrustManagerFactory.INSTANCE);
    }
    UpstreamTls.ClientCertificate mine = tls.clientCertificate();
    if (mine != null) {
      try {
        b.keyManager(mine.cert().toFile(), mine.key().toFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("upstream_tls: the client certificate " + mine.cert() + " and key "
            + mine.key() + " cannot serve: " + e.getMessage(), e);
      }
    }
    try {
      return new UpstreamTlsClient(b.build(), tls.serverName(target.upstreamHost()), target.upstreamPort());
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("upstream_tls: the certificates (" + (tls.ca() == null ? "the JDK's trust store"
          : tls.ca()) + (mine == null ? "" : ", the client certificate " + mine.cert()) + ") cannot serve: "
          + e.getMessage(), e);
    }
  }

  /**
   * Starts TLS on {@code socket}, whose last bytes in clear (the protocol's request for TLS) have
   * been written and, for PostgreSQL, answered. Completes after the handshake, failed where the
   * upstream's certificate is not trusted or does not name {@link UpstreamTls#serverName}.
   */
  public Future<Void> start(NetSocket socket) {
    ChannelHandlerContext ctx = ((NetSocketInternal) socket).channelHandlerContext();
    SslHandler ssl = context.newHandler(ctx.alloc(), serverName, port);
    ctx.pipeline().addFirst(HANDLER, ssl);
    Promise<Void> done = Promise.promise();
    ssl.handshakeFuture().addListener(f -> {
      if (f.isSuccess()) done.tryComplete();
      else done.tryFail(f.cause());
    });
    return done.future();
  }
}

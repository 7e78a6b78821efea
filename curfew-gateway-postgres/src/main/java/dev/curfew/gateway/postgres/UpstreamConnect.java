package dev.curfew.gateway.postgres;

import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.UpstreamTlsClient;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;

/**
 * Opens Curfew's connection to the upstream PostgreSQL, for a login or a cancel request. With
 * {@code upstream_tls} it starts TLS first, as libpq does (PostgreSQL documentation, "Frontend/Backend
 * Protocol", section "SSL Session Encryption", which also allows it before a CancelRequest): an
 * {@code SSLRequest}, one byte back, {@code S} then the TLS handshake or {@code N} (no TLS: the
 * connection is given up). A byte after the {@code S} that arrived before the
 * handshake would be read as if it came through TLS, so it fails the connection (the buffering
 * flaw of CVE-2021-23222, from the client's side).
 */
final class UpstreamConnect {
  private UpstreamConnect() {}

  /** A connected socket, over TLS where the target says so; failures are {@link UpstreamLogin.Failed} (08006). */
  static Future<NetSocket> open(NetClient client, UpstreamTlsClient tls, DatabaseTarget target) {
    Future<NetSocket> connected = client.connect(target.upstreamPort(), target.upstreamHost())
        .recover(e -> Future.failedFuture(new UpstreamLogin.Failed("08006", "cannot connect to the upstream: " + e.getMessage())));
    return tls == null ? connected : connected.compose(s -> startTls(s, tls));
  }

  private static Future<NetSocket> startTls(NetSocket s, UpstreamTlsClient tls) {
    Promise<NetSocket> answered = Promise.promise();
    s.handler(chunk -> {
      s.handler(null);
      if (chunk.length() != 1 || (chunk.getByte(0) != 'S' && chunk.getByte(0) != 'N')) {
        answered.tryFail(failed("the upstream answered the SSLRequest with "
            + (chunk.length() == 1 ? "'" + (char) chunk.getByte(0) + "'" : chunk.length() + " bytes")
            + " (expected S or N)"));
      } else if (chunk.getByte(0) == 'N') {
        answered.tryFail(failed("the upstream does not offer TLS, which upstream_tls requires"));
      } else {
        tls.start(s)
            .onSuccess(v -> answered.tryComplete(s))
            .onFailure(e -> answered.tryFail(failed("TLS with the upstream failed: " + e.getMessage())));
      }
    });
    s.closeHandler(v -> answered.tryFail(failed("the upstream closed the connection before TLS")));
    s.exceptionHandler(e -> answered.tryFail(failed("upstream: " + e.getMessage())));
    s.write(io.vertx.core.buffer.Buffer.buffer(8).appendInt(8).appendInt(PgMessages.SSL_REQUEST));
    return answered.future().onFailure(e -> s.close());
  }

  private static UpstreamLogin.Failed failed(String message) {
    return new UpstreamLogin.Failed("08006", message);
  }
}

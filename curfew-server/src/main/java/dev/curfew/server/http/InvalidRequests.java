package dev.curfew.server.http;

import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Requests that are not HTTP at all, or whose line or headers are too long: the decoder gave up,
 * no router sees them. They get a problem (400, 414 or 431), then the connection is closed. Both
 * the API port and the gateway port answer them this way.
 */
public final class InvalidRequests {
  private InvalidRequests() {}

  /**
   * The server's {@code invalidRequestHandler}.
   *
   * @param securityHeaders adds the port's security headers to the answer
   * @param counted told the status, for the metrics
   */
  public static Handler<HttpServerRequest> handler(Consumer<MultiMap> securityHeaders, IntConsumer counted) {
    return req -> {
      int status = statusOf(req);
      counted.accept(status);
      try {
        securityHeaders.accept(req.response().headers());
        req.response().setStatusCode(status)
            .putHeader("Content-Type", Problem.CONTENT_TYPE)
            .putHeader("Cache-Control", "no-store")
            .putHeader("Connection", "close")
            .end(Buffer.buffer(JsonBodies.write(Problem.forStatus(status).toMap())))
            .onComplete(v -> req.connection().close());
      } catch (RuntimeException e) {
        req.connection().close();
      }
    };
  }

  static int statusOf(HttpServerRequest req) {
    Throwable cause = req.decoderResult() == null ? null : req.decoderResult().cause();
    if (cause instanceof TooLongFrameException) {
      return String.valueOf(cause.getMessage()).contains("header") ? 431 : 414;
    }
    return 400;
  }
}

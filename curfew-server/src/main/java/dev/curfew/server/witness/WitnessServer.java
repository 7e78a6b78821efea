package dev.curfew.server.witness;

import dev.curfew.core.audit.AddCheckpointRequest;
import dev.curfew.core.audit.Witness;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.Objects;

/**
 * The witness's HTTP interface (c2sp.org/tlog-witness §"HTTP Interface"): {@code POST
 * <prefix>/add-checkpoint} with the submission prefix {@code /} (so the URL is {@code
 * http://host:port/add-checkpoint}, and a log is configured with {@code http://host:port}).
 * Thin: it reads the body (at most {@link AddCheckpointRequest#MAX_BODY_BYTES}, else 413), hands it
 * to {@link Witness} off the event loop (the state is forced to disk), and writes the answer.
 * Every other path is 404, another method 405.
 */
public final class WitnessServer {
  private static final System.Logger LOG = System.getLogger(WitnessServer.class.getName());
  private final Vertx vertx;
  private final Witness witness;
  private HttpServer server;

  public WitnessServer(Vertx vertx, Witness witness) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.witness = Objects.requireNonNull(witness, "witness");
  }

  /** Listens on {@code host:port} (0: any free port); completes with the port. */
  public Future<Integer> listen(String host, int port) {
    server = vertx.createHttpServer().requestHandler(this::handle);
    return server.listen(port, host).map(HttpServer::actualPort);
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void handle(HttpServerRequest req) {
    if (!req.path().equals("/add-checkpoint")) {
      reply(req, new Witness.Response(404, Witness.TEXT_CONTENT_TYPE, "not found: the witness serves POST /add-checkpoint\n"));
      return;
    }
    if (req.method() != HttpMethod.POST) {
      req.response().putHeader("Allow", "POST");
      reply(req, new Witness.Response(405, Witness.TEXT_CONTENT_TYPE, "use POST\n"));
      return;
    }
    io.vertx.core.buffer.Buffer body = io.vertx.core.buffer.Buffer.buffer();
    boolean[] tooLarge = {false};
    req.handler(chunk -> {
      if (tooLarge[0]) return;
      if (body.length() + chunk.length() > AddCheckpointRequest.MAX_BODY_BYTES) {
        tooLarge[0] = true;
        req.response().putHeader("Connection", "close");
        reply(req, new Witness.Response(413, Witness.TEXT_CONTENT_TYPE,
            "body longer than " + AddCheckpointRequest.MAX_BODY_BYTES + " bytes\n"));
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> {
      if (tooLarge[0]) return;
      vertx.executeBlocking(() -> witness.addCheckpoint(body.getBytes()), true).onComplete(ar -> {
        if (ar.succeeded()) {
          reply(req, ar.result());
        } else {
          LOG.log(System.Logger.Level.ERROR, "witness state cannot be written: " + ar.cause(), ar.cause());
          reply(req, new Witness.Response(500, Witness.TEXT_CONTENT_TYPE, "the witness cannot persist its state\n"));
        }
      });
    });
  }

  private static void reply(HttpServerRequest req, Witness.Response r) {
    if (req.response().ended()) return;
    req.response().setStatusCode(r.status()).putHeader("Content-Type", r.contentType())
        .putHeader("Cache-Control", "no-store").end(r.body());
  }
}

package dev.curfew.server.gateway;

import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/** The router a gateway serves each event loop with, for tests that read its route table (OpenApiRoutesTest). */
public final class GatewayRouters {
  private GatewayRouters() {}

  public static Router of(Gateway gateway, Vertx vertx) {
    return gateway.router(vertx.createHttpClient());
  }
}

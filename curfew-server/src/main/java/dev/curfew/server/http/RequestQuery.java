package dev.curfew.server.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * The query string of a request, checked before anything reads the body. Vert.x decodes the query
 * lazily ({@code HttpServerRequest.params()}); the body handler does so when it merges a form body
 * into the parameters, inside the request's end handler, where a malformed escape ({@code ?a=%})
 * throws past the router: the request was never answered and held the connection until the idle
 * timeout (issue 12, item 4). Decoding it here, first, with the same decoder, turns it into a 400.
 */
public final class RequestQuery {
  private RequestQuery() {}

  /** A handler that fails the request with a 400 when its query cannot be decoded, and continues otherwise. */
  public static Handler<RoutingContext> decodable() {
    return ctx -> {
      String detail = problemOf(ctx);
      if (detail != null) {
        ctx.fail(400, new JsonBodies.BadInput(detail));
      } else {
        ctx.next();
      }
    };
  }

  /** Why the query of the request cannot be decoded, or null when it can. */
  public static String problemOf(RoutingContext ctx) {
    try {
      ctx.request().params();
      return null;
    } catch (IllegalArgumentException e) {
      return "the query string is not valid percent-encoding: " + e.getMessage();
    }
  }
}

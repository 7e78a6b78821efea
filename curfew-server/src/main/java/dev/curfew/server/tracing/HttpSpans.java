package dev.curfew.server.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * One server span per HTTP request of the API or the gateway, named {@code METHOD route} as the
 * OpenTelemetry HTTP conventions ask, with the route template and the status; never the path
 * itself (a forward-auth path is the client's) or any header. {@link #start} opens the span when
 * the request arrives; {@link #current} makes it the parent of the store calls that a handler makes
 * (a body is read first, so handlers run later than the first one).
 */
public final class HttpSpans {
  public static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
  public static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
  public static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
  public static final AttributeKey<String> SERVER = AttributeKey.stringKey("curfew.server");
  /** The RoutingContext key of the request's span, and of its route template. */
  private static final String SPAN = "curfew.span";
  private static final String ROUTE_KEY = "curfew.span.route";

  private final Tracing tracing;
  private final String server;

  /** @param server {@code api} or {@code gateway}: which listener the spans are of */
  public HttpSpans(Tracing tracing, String server) {
    this.tracing = Objects.requireNonNull(tracing, "tracing");
    this.server = Objects.requireNonNull(server, "server");
  }

  /** A router's first handler: opens the request's span and ends it with the response. */
  public void start(RoutingContext ctx) {
    if (!tracing.enabled()) {
      ctx.next();
      return;
    }
    String method = ctx.request().method().name();
    Span span = tracing.tracer().spanBuilder(method).setSpanKind(SpanKind.SERVER)
        .setAttribute(METHOD, method).setAttribute(SERVER, server).startSpan();
    ctx.put(SPAN, span);
    ctx.addHeadersEndHandler(v -> {
      int status = ctx.response().getStatusCode();
      String route = ctx.get(ROUTE_KEY);
      span.setAttribute(STATUS, (long) status);
      if (route != null) {
        span.setAttribute(ROUTE, route);
        span.updateName(method + " " + route);
      }
      if (status >= 500) span.setStatus(StatusCode.ERROR);
    });
    ctx.addEndHandler(v -> span.end());
    try (Scope s = span.makeCurrent()) {
      ctx.next();
    }
  }

  /** Names the request's route template (call once the route is known). */
  public static void route(RoutingContext ctx, String template) {
    ctx.put(ROUTE_KEY, template);
  }

  /** Runs the rest of the request's handlers with its span as the current one. */
  public static void current(RoutingContext ctx) {
    Span span = ctx.get(SPAN);
    if (span == null) {
      ctx.next();
      return;
    }
    try (Scope s = span.makeCurrent()) {
      ctx.next();
    }
  }
}

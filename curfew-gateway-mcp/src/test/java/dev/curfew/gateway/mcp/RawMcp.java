package dev.curfew.gateway.mcp;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.concurrent.TimeUnit;

/**
 * Plain HTTP to the gateway, for what an SDK would never send. Blocking; test threads only.
 *
 * <p>Every request is made from one Vert.x context. Called straight from a test thread, Vert.x 5.0.7's
 * client takes a new context per request while reusing its pooled connections, and then now and
 * again never delivers an answer the gateway has written: 4 of 40 runs of a refusal test waited
 * 30 s for an answer the gateway's own log showed as sent, while the same 100 runs passed with
 * java.net.http and with one context. CI saw this as an intermittent 30 s wait in this class.
 */
final class RawMcp {
  static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
      + "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"raw\",\"version\":\"1\"}}}";
  static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";

  record Answer(int status, MultiMap headers, String body) {}

  private final HttpClient client;
  private final int port;
  private final Context context;

  RawMcp(Vertx vertx, int port) {
    this.client = vertx.createHttpClient();
    this.context = vertx.getOrCreateContext(); // off Vert.x threads: a new event-loop context, kept
    this.port = port;
  }

  Answer send(HttpMethod method, String token, String mcpSessionId, String body) {
    return send(method, token, mcpSessionId, body, MultiMap.caseInsensitiveMultiMap());
  }

  /** As above, with {@code extra} headers ({@code Origin}, {@code Host}). */
  Answer send(HttpMethod method, String token, String mcpSessionId, String body, MultiMap extra) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port).setURI("/mcp")
        .putHeader("Accept", "application/json, text/event-stream").putHeader("Content-Type", "application/json");
    extra.forEach((name, value) -> {
      if (name.equalsIgnoreCase("Host")) { // the request's authority, still sent to the gateway's address
        int colon = value.lastIndexOf(':');
        o.setHost(colon < 0 ? value : value.substring(0, colon)).setPort(colon < 0 ? 80 : Integer.parseInt(value.substring(colon + 1)))
            .setServer(io.vertx.core.net.SocketAddress.inetSocketAddress(port, "127.0.0.1"));
      } else {
        o.putHeader(name, value);
      }
    });
    if (token != null) o.putHeader("Authorization", "Bearer " + token);
    if (mcpSessionId != null) o.putHeader(McpGateway.SESSION_HEADER, mcpSessionId);
    try {
      Promise<Answer> p = io.vertx.core.Promise.promise();
      context.runOnContext(v -> client.request(o)
          .compose(req -> body == null ? req.send() : req.send(Buffer.buffer(body)))
          .compose(r -> r.body().map(b -> new Answer(r.statusCode(), r.headers(), b.toString())))
          .onComplete(p));
      return p.future().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  Answer post(String token, String mcpSessionId, String body) {
    return send(HttpMethod.POST, token, mcpSessionId, body);
  }

  /** Initializes an MCP session under {@code token}; its Mcp-Session-Id. */
  String initialize(String token) {
    Answer a = post(token, null, INITIALIZE);
    if (a.status() != 200) throw new IllegalStateException("initialize: " + a);
    String id = a.headers().get(McpGateway.SESSION_HEADER);
    post(token, id, INITIALIZED);
    return id;
  }

  /** Opens the standing GET stream; every chunk goes to {@code into}. */
  HttpClientResponse stream(String token, String mcpSessionId, StringBuffer into) {
    RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port).setURI("/mcp")
        .putHeader("Accept", "text/event-stream").putHeader("Authorization", "Bearer " + token);
    if (mcpSessionId != null) o.putHeader(McpGateway.SESSION_HEADER, mcpSessionId);
    try {
      Promise<HttpClientResponse> p = io.vertx.core.Promise.promise();
      context.runOnContext(v -> client.request(o).compose(req -> req.send()).map(r -> {
        r.handler(b -> into.append(b.toString()));
        r.endHandler(e -> into.append("\n<end>"));
        r.exceptionHandler(e -> into.append("\n<end>"));
        return r;
      }).onComplete(p));
      return p.future().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}

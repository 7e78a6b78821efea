package dev.curfew.web;

import dev.curfew.core.Decision;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStatus;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What the gateway does for the browser, emulated for the tests while the real one is being built
 * (spec/cli-and-config.md, "the gateway"): serves {@code /_curfew/curfew.js} from the classpath,
 * maps {@code /_curfew/session*} onto the API's {@code /v1/session*} (the cookie authenticates),
 * honours the upstream's {@code Curfew-Login} handoff, and lets only live sessions through to the
 * app, answering {@code Cache-Control: no-store} and redirecting ended page navigations to the
 * login path with {@code ?return=<path>}.
 */
final class EmulatedGateway implements AutoCloseable {
  static final String COOKIE = "__Host-curfew";
  static final String LOGIN_PATH = "/login";
  /** Requests here never count as activity (the route's passive_paths). */
  static final Set<String> PASSIVE_PATHS = Set.of("/beacon");
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "transfer-encoding",
      "content-length", "upgrade", "te", "trailer", "proxy-connection");

  private final SessionEngine engine;
  private final HttpClient client;
  private final int apiPort;
  private final int appPort;
  private final Buffer script;
  private final HttpServer server;
  final int port;

  EmulatedGateway(Vertx vertx, SessionEngine engine, int apiPort, int appPort) {
    this.engine = engine;
    this.apiPort = apiPort;
    this.appPort = appPort;
    this.client = vertx.createHttpClient();
    this.script = loadScript();
    Router r = Router.router(vertx);
    r.get("/_curfew/curfew.js").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/javascript; charset=utf-8").end(script));
    r.route("/_curfew/session").handler(ctx -> toApi(ctx, "/v1/session"));
    r.route("/_curfew/session/*").handler(ctx -> toApi(ctx, "/v1/session" + ctx.request().path().substring(16)));
    r.route("/_curfew/*").handler(ctx -> ctx.response().setStatusCode(404).end());
    r.route().handler(this::toApp);
    server = Fixture.await(vertx.createHttpServer().requestHandler(r).listen(0, "127.0.0.1"));
    port = server.actualPort();
  }

  static Buffer loadScript() {
    try (InputStream in = EmulatedGateway.class.getResourceAsStream("/curfew-web/curfew.js")) {
      if (in == null) throw new IllegalStateException("classpath resource /curfew-web/curfew.js is missing");
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The session-holder endpoints: the API authenticates the cookie itself, so it goes along. */
  private void toApi(RoutingContext ctx, String uri) {
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    for (String h : new String[] {"Cookie", "Accept", "Content-Type", "Sec-Fetch-Site", "Last-Event-ID"}) {
      String v = ctx.request().getHeader(h);
      if (v != null) headers.set(h, v);
    }
    forward(ctx, apiPort, uri, headers, in -> {});
  }

  /** Everything else: the login path passes; the rest needs a live session. */
  private void toApp(RoutingContext ctx) {
    String path = ctx.request().path();
    boolean login = path.equals(LOGIN_PATH) || path.startsWith(LOGIN_PATH + "/");
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    if (!login) {
      Cookie c = ctx.request().getCookie(COOKIE);
      Decision d = c == null ? null : engine.check(c.getValue(), !PASSIVE_PATHS.contains(path));
      if (d == null || !d.allowed()) {
        ended(ctx);
        return;
      }
      SessionStatus s = d.status();
      headers.set("X-Curfew-Subject", s.subject()).set("X-Curfew-Session-Id", s.sessionId())
          .set("X-Curfew-Expires-At", Instant.ofEpochMilli(s.expiresAtMs()).toString());
    }
    // The session cookie never goes upstream.
    forward(ctx, appPort, ctx.request().uri(), headers, in -> {
      String handoff = in.getHeader("Curfew-Login");
      ctx.response().headers().remove("Curfew-Login");
      if (login && handoff != null) handOff(ctx, handoff);
    });
  }

  private void ended(RoutingContext ctx) {
    HttpServerResponse res = ctx.response().putHeader("Cache-Control", "no-store");
    String mode = ctx.request().getHeader("Sec-Fetch-Mode");
    if (ctx.request().method() == HttpMethod.GET && (mode == null || mode.equals("navigate"))) {
      res.setStatusCode(302).putHeader("Location",
          LOGIN_PATH + "?return=" + URLEncoder.encode(ctx.request().uri(), StandardCharsets.UTF_8)).end();
    } else {
      res.setStatusCode(401).putHeader("Content-Type", "application/problem+json")
          .end("{\"status\":401,\"title\":\"Session ended\",\"reason\":\"unknown\"}");
    }
  }

  /** {@code Curfew-Login: subject=alice; policy=fast}: open the session, set the cookie. */
  private void handOff(RoutingContext ctx, String header) {
    Map<String, String> kv = new java.util.HashMap<>();
    for (String part : header.split(";")) {
      String[] p = part.trim().split("=", 2);
      if (p.length == 2) kv.put(p[0].trim(), p[1].trim());
    }
    Decision d = engine.open(kv.get("subject"), kv.get("policy"), Map.of());
    if (!d.allowed()) throw new IllegalStateException("handoff refused: " + d);
    ctx.response().addCookie(Cookie.cookie(COOKIE, d.token()).setPath("/").setSecure(true).setHttpOnly(true)
        .setSameSite(CookieSameSite.LAX));
  }

  /** Proxies one request, streaming the answer (the event stream included); protected answers are no-store. */
  private void forward(RoutingContext ctx, int port, String uri, MultiMap headers, Consumer<HttpClientResponse> onHead) {
    HttpServerResponse res = ctx.response();
    Future<Buffer> body = ctx.request().body();
    body.compose(b -> client.request(new RequestOptions().setMethod(ctx.request().method())
                .setHost("127.0.0.1").setPort(port).setURI(uri).setHeaders(headers))
            .compose(req -> req.send(b)))
        .onSuccess(in -> {
          res.setStatusCode(in.statusCode());
          in.headers().forEach((k, v) -> {
            if (!HOP_BY_HOP.contains(k.toLowerCase(java.util.Locale.ROOT))) res.headers().add(k, v);
          });
          res.headers().set(HttpHeaders.CACHE_CONTROL, "no-store");
          onHead.accept(in);
          res.setChunked(true);
          // By hand rather than pipeTo: a browser that leaves mid-stream must not make writes fail.
          res.closeHandler(v -> in.request().reset());
          in.handler(chunk -> {
            if (!res.closed() && !res.ended()) res.write(chunk);
          });
          in.endHandler(v -> {
            if (!res.closed() && !res.ended()) res.end();
          });
        })
        .onFailure(e -> {
          if (!res.headWritten()) res.setStatusCode(502).end();
          else res.reset();
        });
  }

  @Override
  public void close() {
    Fixture.await(server.close());
    Fixture.await(client.close());
  }
}

package dev.curfew.gateway.mcp;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import dev.curfew.gateway.db.ConnectionRecords;
import dev.curfew.gateway.db.GatewaySettings;
import dev.curfew.gateway.db.RefusalLimit;
import dev.curfew.gateway.db.StatementDigest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The MCP gateway (spec/protocol-gateways.md, "AI agents (MCP)"): the Streamable HTTP transport of
 * an MCP server relayed under a Curfew session. For every request, in order:
 * <ol>
 *   <li>the bearer token is checked against the session store for {@code mcp:<path>}; it is never
 *       forwarded. A POST counts as activity only when it is a request whose method is in the
 *       route's {@code active_methods}; everything else is checked passively;
 *   <li>the {@code Mcp-Session-Id} the upstream gave at {@code initialize} is bound to the Curfew
 *       session that initialized it: presented with another session's token it is refused;
 *   <li>the message is relayed; an SSE answer event by event (so the gateway can put its own
 *       events between them), a JSON answer whole.
 * </ol>
 * The session's events reach it through {@link #events()}: a {@code warning} becomes a
 * {@code notifications/message} on the session's standing GET streams; an ending answers every
 * request in flight with JSON-RPC error -32050 ({@code data.reason}), sends
 * {@code notifications/cancelled} upstream for each, then DELETEs the upstream MCP session.
 */
public final class McpGateway {
  private static final System.Logger LOG = System.getLogger(McpGateway.class.getName());
  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";
  /**
   * How long an SSE answer ended by the close of its connection waits, reading, for the rest of what
   * arrived before the close (see {@link #relayEvents}).
   */
  static final long CLOSED_QUIET_MS = 2_000;
  /**
   * A POST's body must have arrived this long after its head, as at the API (docs/api.md, "Limits"):
   * a client that sends less than its {@code Content-Length} gets 408 and its connection is closed.
   */
  static final java.time.Duration BODY_TIMEOUT = java.time.Duration.ofSeconds(10);
  private static final Set<String> ENDINGS = Set.of("expired", "revoked", "logged_out");
  /** Request headers never relayed: the token, hop-by-hop headers, and what the gateway sets itself. */
  private static final Set<String> NOT_FORWARDED = Set.of("authorization", "host", "cookie", "connection",
      "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization", "proxy-connection",
      "content-length", "expect");
  private static final Set<String> NOT_RETURNED = Set.of("connection", "keep-alive", "transfer-encoding", "te",
      "trailer", "upgrade", "content-length", "set-cookie");
  /** Ended sessions remembered, for a request admitted just before its session's end was published. */
  private static final int ENDED_REMEMBERED = 100_000;

  /** How refusals are written: the server's problem documents (RFC 9457), which this module does not own. */
  public interface Refusals {
    /** 401: the token is not a live session, with its reason. */
    void sessionEnded(HttpServerResponse response, EndReason reason);

    /** 403: a live session not valid for this route. */
    void wrongAudience(HttpServerResponse response, String detail);

    /** Any other refusal: {@code urn:curfew:problem:<slug>}. */
    void problem(HttpServerResponse response, int status, String slug, String title, String detail);
  }

  private final Vertx vertx;
  private final SessionStore store;
  private final Refusals refusals;
  private final GatewaySettings settings;
  private final RefusalLimit refusalLimit;
  private final int maxBodyBytes;
  private final HttpClient client;
  private final Map<String, Holding> holdings = new ConcurrentHashMap<>();
  private final Map<String, Binding> bindings = new ConcurrentHashMap<>();
  private final Map<String, EndReason> ended = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, EndReason> eldest) {
      return size() > ENDED_REMEMBERED;
    }
  });

  /**
   * @param maxBodyBytes the largest JSON-RPC message a client may POST; larger ones get 413
   */
  public McpGateway(Vertx vertx, SessionStore store, Refusals refusals, GatewaySettings settings, int maxBodyBytes) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.store = Objects.requireNonNull(store, "store");
    this.refusals = Objects.requireNonNull(refusals, "refusals");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.refusalLimit = new RefusalLimit(settings.nanoTime());
    if (maxBodyBytes < 1024) throw new IllegalArgumentException("maxBodyBytes < 1024: " + maxBodyBytes);
    this.maxBodyBytes = maxBodyBytes;
    this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5_000).setKeepAlive(true)
        .setTcpNoDelay(true), new PoolOptions().setHttp1MaxSize(256));
  }

  /** What the server's event fan-out must tell this gateway: every event of every session. */
  public SessionEvents events() {
    return this::publish;
  }

  public Future<Void> close() {
    return client.close();
  }

  /** MCP sessions bound to Curfew sessions, for tests and metrics. */
  public int boundSessions() {
    return bindings.size();
  }

  // ------------------------------------------------------------------ one request

  /** Serves one request of {@code route}: POST (a message), GET (the standing stream), DELETE (the end of the MCP session). */
  public void handle(HttpServerRequest req, McpRoute route) {
    handle(req, route, () -> { });
  }

  /**
   * As above; {@code failedCheck} runs (before the refusal is written) when the request presented a
   * token that is no session here, unknown or malformed, so that the caller's failed-check rate
   * limit counts it. A token of an ended session or of another place is no failed check.
   */
  public void handle(HttpServerRequest req, McpRoute route, Runnable failedCheck) {
    HttpServerResponse resp = req.response().putHeader("Cache-Control", "no-store");
    if (!OriginCheck.allowed(req, route.allowedOrigins())) {
      // A browser page of another origin (a DNS rebinding, a cross-site script): the transport's 403,
      // with a JSON-RPC error without id, before anything of the request is read or relayed.
      resp.setStatusCode(403).putHeader("Content-Type", "application/json")
          .end(JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "origin not allowed: " + clip(req.getHeader("Origin"))
              + " (the route serves browser requests of its own origin and of allowed_origins)", null));
      return;
    }
    String token = bearer(req);
    if (req.method() != HttpMethod.POST && req.method() != HttpMethod.GET && req.method() != HttpMethod.DELETE) {
      resp.putHeader("Allow", "GET, POST, DELETE");
      refusals.problem(resp, 405, "method-not-allowed", "Method not allowed",
          "an MCP endpoint takes POST, GET and DELETE (MCP Streamable HTTP transport)");
      return;
    }
    if (token == null) {
      closeUnread(req);
      refuse(req, EndReason.UNKNOWN);
      return;
    }
    if (req.method() == HttpMethod.POST) {
      receive(req, route, token, failedCheck);
    } else {
      admit(req, route, token, false, failedCheck, d -> {
        if (req.method() == HttpMethod.GET) {
          stream(req, route, token, d);
        } else {
          delete(req, route, d);
        }
      });
    }
  }

  /** A header value as an error message repeats it: at most 200 characters. */
  private static String clip(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  private static String bearer(HttpServerRequest req) {
    String h = req.getHeader("Authorization");
    if (h == null || h.length() < 8 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
    String t = h.substring(7).trim();
    return t.isEmpty() ? null : t;
  }

  private void refuse(HttpServerRequest req, EndReason reason) {
    refuse(req.response(), reason == null ? EndReason.UNKNOWN : reason);
  }

  /**
   * Most bytes of an oversized body read and dropped so that its client, still sending, gets to read
   * the 413 (a client blocked writing to a server that no longer reads may never see the answer);
   * a body announced or found larger than this (or than twice the limit) is answered at once and its
   * connection closed.
   */
  static final long DRAIN_LIMIT = 1 << 20;

  /**
   * A POST: nothing of its body is read before its token is found to be a live session of the route
   * (checked without touching: the method in the body decides whether it is activity), and all of it
   * must have arrived within {@link #BODY_TIMEOUT} of the head. Anyone else is answered on the head
   * alone, and does not get to make the gateway hold a body or a connection.
   */
  private void receive(HttpServerRequest req, McpRoute route, String token, Runnable failedCheck) {
    String length = req.getHeader("Content-Length");
    if (length != null && tooLong(length) && announced(length) > drainLimit()) {
      tooLarge(req);
      return;
    }
    req.pause(); // until the token is found live; a router may have paused it already
    long deadline = req.isEnded() ? -1 : bodyDeadline(req);
    ask(req, route, token, false, failedCheck, d -> readBody(req, route, token, failedCheck, deadline));
  }

  /** 408, and the connection closed, unless the request's body is all there {@link #BODY_TIMEOUT} after its head. */
  private long bodyDeadline(HttpServerRequest req) {
    return vertx.setTimer(BODY_TIMEOUT.toMillis(), id -> {
      HttpServerResponse resp = req.response();
      if (req.isEnded() || resp.ended() || resp.headWritten() || resp.closed()) return;
      closeUnread(req);
      refusals.problem(resp, 408, "request-timeout", "Request timeout", "the request body did not arrive within "
          + BODY_TIMEOUT.toSeconds() + " s of its head (fewer bytes than its Content-Length?)");
    });
  }

  /**
   * Before an answer that leaves a request's body unread: the connection cannot carry another
   * request, so it is closed after the answer (HTTP/1.x; an HTTP/2 stream ends on its own).
   */
  private static void closeUnread(HttpServerRequest req) {
    if (req.isEnded() || req.version() == HttpVersion.HTTP_2) return;
    String length = req.getHeader("Content-Length");
    boolean bodyAnnounced = req.getHeader("Transfer-Encoding") != null
        || (length != null && !length.trim().equals("0"));
    if (!bodyAnnounced || req.response().ended()) return;
    req.response().putHeader("Connection", "close").endHandler(v -> req.connection().close());
  }

  private long drainLimit() {
    return Math.max(DRAIN_LIMIT, 2L * maxBodyBytes);
  }

  /**
   * The body of a POST whose token was found live, at most {@code maxBodyBytes}: a larger one is
   * answered 413 (after it is read, up to {@link #DRAIN_LIMIT}); {@code deadline}, the timer of
   * {@link #bodyDeadline} (-1: none), is cancelled once it has all arrived.
   */
  private void readBody(HttpServerRequest req, McpRoute route, String token, Runnable failedCheck, long deadline) {
    String length = req.getHeader("Content-Length");
    long drainLimit = drainLimit();
    Buffer body = Buffer.buffer();
    long[] dropped = {length != null && tooLong(length) ? 0 : -1}; // -1: within the limit so far
    req.handler(chunk -> {
      if (dropped[0] < 0 && body.length() + chunk.length() > maxBodyBytes) dropped[0] = body.length();
      if (dropped[0] >= 0) {
        dropped[0] += chunk.length();
        if (dropped[0] > drainLimit) tooLarge(req);
        return;
      }
      body.appendBuffer(chunk);
    });
    req.endHandler(v -> {
      if (deadline >= 0) vertx.cancelTimer(deadline);
      if (dropped[0] >= 0) {
        tooLarge(req);
      } else {
        post(req, route, token, body, failedCheck);
      }
    });
    req.resume(); // a router may have paused it
  }

  private static long announced(String contentLength) {
    try {
      return Long.parseLong(contentLength.trim());
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE;
    }
  }

  private boolean tooLong(String contentLength) {
    try {
      return Long.parseLong(contentLength.trim()) > maxBodyBytes;
    } catch (NumberFormatException e) {
      return true;
    }
  }

  private void tooLarge(HttpServerRequest req) {
    HttpServerResponse resp = req.response();
    if (resp.ended()) return;
    resp.setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
        .end(JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "message too large: the limit is " + maxBodyBytes + " bytes", null))
        .onComplete(v -> req.connection().close());
  }

  private void post(HttpServerRequest req, McpRoute route, String token, Buffer body, Runnable failedCheck) {
    JsonRpc.Message m;
    try {
      m = JsonRpc.parse(body);
    } catch (JsonRpc.Invalid e) {
      // Only a live session learns what was wrong with its message.
      admit(req, route, token, false, failedCheck, d -> jsonRpcError(req.response(), 400, e.id, e.code, e.getMessage(), null));
      return;
    }
    if (m.isRequest() && !allowed(route, m.method())) {
      admit(req, route, token, false, failedCheck, d -> jsonRpcError(req.response(), 200, m.id(), JsonRpc.METHOD_NOT_FOUND,
          "method not allowed through this gateway: " + m.method(), null));
      return;
    }
    boolean active = m.isRequest() && route.activeMethods().contains(m.method());
    admit(req, route, token, active, failedCheck, d -> {
      Binding b = bound(req, route, d, !"initialize".equals(m.method()));
      if (b == NO_BINDING) return;
      if (b != null && active) b.activeMessages.incrementAndGet();
      Call call = m.isRequest() ? new Call(req.response(), route, token, d, b, m, active && route.busyIsActivity()) : null;
      relayPost(req, route, d, b, m, body, call);
    });
  }

  /** A request method the gateway lets through: the active ones and the passive ones the spec names. */
  static boolean allowed(McpRoute route, String method) {
    return route.activeMethods().contains(method) || method.equals("initialize") || method.equals("ping")
        || method.endsWith("/list");
  }

  /** Checks the token (touching when {@code active}); calls {@code onAllowed} once the check is durable. */
  private void admit(HttpServerRequest req, McpRoute route, String token, boolean active, Runnable failedCheck,
      java.util.function.Consumer<Decision> onAllowed) {
    Context context = vertx.getOrCreateContext();
    req.pause();
    ask(req, route, token, active, failedCheck, d -> {
      req.resume();
      Future.fromCompletionStage(d.durable(), context).timeout(10, TimeUnit.SECONDS).onComplete(dr -> {
        if (dr.succeeded()) {
          holding(d.status().sessionId()).absoluteExpiresAtMs = d.status().absoluteExpiresAtMs();
          onAllowed.accept(d);
        } else {
          refusals.problem(req.response(), 503, "unavailable", "Service unavailable",
              "the change could not be written durably to the audit log");
        }
      });
    });
  }

  /**
   * Checks the token (touching when {@code touch}): {@code onLive} gets the answer when it is a live
   * session of the route; every other answer is written here (and the connection closed after it when
   * the request's body is left unread). Nothing is answered once the response has ended (a 408).
   */
  private void ask(HttpServerRequest req, McpRoute route, String token, boolean touch, Runnable failedCheck,
      java.util.function.Consumer<Decision> onLive) {
    CompletableFuture<Decision> answer;
    try {
      answer = store.check(token, touch, route.audience());
    } catch (IllegalArgumentException malformed) {
      failedCheck.run();
      closeUnread(req);
      tokenRefused(req, route, null, EndReason.UNKNOWN.wire(), () -> refuse(req, EndReason.UNKNOWN));
      return;
    }
    Context context = vertx.getOrCreateContext();
    Future.fromCompletionStage(answer, context).onComplete(ar -> {
      if (req.response().ended()) return;
      if (ar.succeeded() && ar.result().verdict() == Decision.Verdict.ALLOWED) {
        onLive.accept(ar.result());
        return;
      }
      closeUnread(req); // a request whose body is unread is closed after the answer
      req.resume(); // what admit or receive paused
      if (ar.failed()) {
        refusals.problem(req.response(), 503, "unavailable", "Service unavailable", "the session store did not answer");
        return;
      }
      Decision d = ar.result();
      switch (d.verdict()) {
        case ALLOWED -> throw new AssertionError("answered above");
        case ENDED, NOT_FOUND -> {
          EndReason reason = d.reason() == null ? EndReason.UNKNOWN : d.reason();
          if (reason == EndReason.UNKNOWN) failedCheck.run();
          tokenRefused(req, route, d.status() == null ? null : d.status().sessionId(), reason.wire(),
              () -> refuse(req, reason));
        }
        case WRONG_AUDIENCE -> tokenRefused(req, route, d.status() == null ? null : d.status().sessionId(),
            "wrong_audience", () -> refusals.wrongAudience(req.response(), d.detail()));
        case REFUSED, UNAVAILABLE -> refusals.problem(req.response(), 503, "unavailable", "Service unavailable", d.detail());
      }
    });
  }

  /**
   * {@code connection.refused} for a token refused on this route ({@code why}: the session's reason,
   * {@code unknown} or {@code wrong_audience}), then {@code answer}. So that a client cannot flood
   * the trail, the same refusal (route, client address, session, why) is recorded once per {@link
   * RefusalLimit#WINDOW_MS} (one rule with the database gateways); the next record counts the ones
   * in between ({@code repeats}).
   */
  private void tokenRefused(HttpServerRequest req, McpRoute route, String sessionId, String why, Runnable answer) {
    String client = clientAddress(req);
    long repeats = refusalLimit.repeatsBefore(route.path(), client, sessionId, why);
    if (repeats < 0) {
      answer.run();
      return;
    }
    Map<String, Object> data = new ConnectionRecords(route.path(), "mcp", client, "mcp-" + UUID.randomUUID()).refused(why);
    data.put("repeats", repeats);
    Context context = vertx.getOrCreateContext();
    CompletableFuture<Void> written;
    try {
      written = store.recordGatewayEvent(sessionId, RecordTypes.CONNECTION_REFUSED, data);
    } catch (RuntimeException e) {
      written = CompletableFuture.failedFuture(e);
    }
    written.whenComplete((ok, e) -> context.runOnContext(v -> {
      if (e != null) LOG.log(System.Logger.Level.ERROR, "a refusal on " + route.path() + " was not recorded: " + e);
      answer.run();
    }));
  }

  private static final Binding NO_BINDING = new Binding(null, null, null, null, 0);

  /**
   * The binding of the request's {@code Mcp-Session-Id}: null when it carries none, {@link
   * #NO_BINDING} when it was refused here (unknown: 404, so that the client initializes again;
   * another session's: 403).
   */
  private Binding bound(HttpServerRequest req, McpRoute route, Decision d, boolean required) {
    String id = req.getHeader(SESSION_HEADER);
    if (id == null) return null;
    Binding b = bindings.get(id);
    if (b == null || !b.route.path().equals(route.path())) {
      if (!required) return null;
      refusals.problem(req.response(), 404, "mcp-session-unknown", "MCP session not found",
          "this gateway opened no MCP session with this Mcp-Session-Id (or it has ended): initialize a new one");
      return NO_BINDING;
    }
    if (b.sessionId.equals(d.status().sessionId())) {
      String version = req.getHeader(VERSION_HEADER);
      if (version != null && !version.isBlank()) b.protocolVersion = version.trim();
    }
    if (!b.sessionId.equals(d.status().sessionId())) {
      Map<String, Object> data = new ConnectionRecords(route.path(), "mcp", clientAddress(req), "mcp-" + UUID.randomUUID())
          .refused("foreign_mcp_session");
      data.put("mcp_session_id", id);
      store.recordGatewayEvent(d.status().sessionId(), RecordTypes.CONNECTION_REFUSED, data);
      refusals.problem(req.response(), 403, "mcp-session-foreign", "MCP session of another session",
          "this Mcp-Session-Id belongs to another Curfew session");
      return NO_BINDING;
    }
    return b;
  }

  // ------------------------------------------------------------------ the relay

  private RequestOptions upstream(HttpServerRequest req, McpRoute route, HttpMethod method) {
    RequestOptions o = new RequestOptions().setMethod(method).setHost(route.upstreamHost())
        .setPort(route.upstreamPort()).setSsl(route.tls()).setURI(route.upstreamUri(req.path(), req.query()));
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (Map.Entry<String, String> e : req.headers()) {
      String name = e.getKey().toLowerCase(Locale.ROOT);
      if (!NOT_FORWARDED.contains(name) && !name.startsWith("x-curfew-")) h.add(e.getKey(), e.getValue());
    }
    return o.setHeaders(h);
  }

  private void relayPost(HttpServerRequest req, McpRoute route, Decision d, Binding b, JsonRpc.Message m, Buffer body,
      Call call) {
    String sessionId = d.status().sessionId();
    if (call != null && !track(sessionId, call)) return;
    if (b != null) b.bytesIn.addAndGet(body.length());
    sendPost(req, route, d, b, m, body, call, true);
  }

  /**
   * One attempt at relaying a POST. A kept-alive connection the MCP server closed under the request
   * (before any answer) is tried once more on a new connection when that is safe: nothing of the
   * request had been written, or its method has no effect ({@code ping}, {@code *}{@code /list}).
   * Otherwise a request is answered with JSON-RPC error -32603 (the server may have carried it out).
   */
  private void sendPost(HttpServerRequest req, McpRoute route, Decision d, Binding b, JsonRpc.Message m, Buffer body,
      Call call, boolean mayRetry) {
    HttpServerResponse resp = req.response();
    boolean[] sent = {false};
    client.request(upstream(req, route, HttpMethod.POST))
        .compose(up -> {
          if (call != null) call.upstream = up;
          sent[0] = true;
          return up.send(body);
        })
        .onComplete(ar -> {
          if (call != null && call.done) {
            if (ar.succeeded()) ar.result().request().reset();
            return;
          }
          if (ar.failed() && ar.cause() instanceof io.vertx.core.http.HttpClosedException) {
            if (mayRetry && (!sent[0] || idempotent(m))) {
              sendPost(req, route, d, b, m, body, call, false);
              return;
            }
            if (m.isRequest()) {
              if (call != null) call.finish("error");
              jsonRpcError(resp, 502, m.id(), JsonRpc.INTERNAL_ERROR, "the MCP server closed the connection before "
                  + "answering; the request may or may not have been carried out", null);
              return;
            }
          }
          if (ar.failed()) {
            if (call != null) call.finish("error");
            refusals.problem(resp, 502, "upstream-unavailable", "Bad gateway", "the MCP server could not be reached");
            return;
          }
          HttpClientResponse up = ar.result();
          if ("initialize".equals(m.method()) && up.statusCode() / 100 == 2) opened(req, route, d, up.getHeader(SESSION_HEADER));
          copyHead(up, resp);
          if (isEventStream(up)) {
            relayEvents(up, resp, b, call, null);
          } else {
            up.body().onComplete(br -> {
              if (call != null && call.done) return;
              if (br.failed()) {
                if (call != null) call.finish("error");
                resp.reset();
                return;
              }
              Buffer answer = br.result();
              if ("initialize".equals(m.method())) negotiated(up.getHeader(SESSION_HEADER), answer);
              if (b != null) b.bytesOut.addAndGet(answer.length());
              if (call != null) call.finish(outcome(answer));
              resp.end(answer);
            });
          }
        });
  }

  /**
   * The protocol version an {@code initialize} answer names: the MCP session's until its client sends
   * {@code MCP-Protocol-Version} itself (the gateway's own requests upstream carry it).
   */
  private void negotiated(String mcpSessionId, Buffer answer) {
    Binding b = mcpSessionId == null ? null : bindings.get(mcpSessionId);
    if (b == null || b.protocolVersion != null) return;
    try {
      if (Json.decodeValue(answer) instanceof JsonObject o && o.getValue("result") instanceof JsonObject r
          && r.getValue("protocolVersion") instanceof String v && !v.isBlank()) {
        b.protocolVersion = v;
      }
    } catch (RuntimeException ignored) {
      // not JSON: no version learned
    }
  }

  /** A request without effect upstream, which may be sent again: {@code ping} and the listings. */
  static boolean idempotent(JsonRpc.Message m) {
    return m.isRequest() && (m.method().equals("ping") || m.method().endsWith("/list"));
  }

  private static boolean isEventStream(HttpClientResponse up) {
    String ct = up.getHeader("Content-Type");
    return ct != null && ct.toLowerCase(Locale.ROOT).startsWith("text/event-stream");
  }

  private static void copyHead(HttpClientResponse up, HttpServerResponse resp) {
    resp.setStatusCode(up.statusCode());
    for (Map.Entry<String, String> e : up.headers()) {
      if (!NOT_RETURNED.contains(e.getKey().toLowerCase(Locale.ROOT))) resp.headers().add(e.getKey(), e.getValue());
    }
    resp.headers().set("Cache-Control", "no-store");
  }

  /**
   * Relays an SSE answer event by event; the call's own answer finishes it. The upstream is paused
   * while the client's write queue is full.
   *
   * <p>An answer without Content-Length and without chunked encoding (HTTP/1.1, RFC 9112 6.3: its
   * body ends when the server closes the connection) needs care under that pause: Vert.x 5 (its
   * HTTP/1.x client connection) keeps what it read while the response was paused, the body's end
   * included, queued on the connection, but reports the connection's close to the response at once,
   * as an exception ({@code HttpClosedException}), ahead of that queue. What was queued is still
   * delivered once the response is resumed, end included. So the close of such a body is no error:
   * the relay keeps reading until the end comes, or until nothing more arrives for {@link
   * #CLOSED_QUIET_MS} while it is not paused (then it ends as at the end). Every complete event that
   * arrived is relayed; an unfinished trailing one is not (the framer only hands over whole events).
   */
  private void relayEvents(HttpClientResponse up, HttpServerResponse resp, Binding b, Call call, Stream stream) {
    resp.setChunked(true);
    boolean closeDelimited = closeDelimited(up);
    boolean[] paused = {false};
    boolean[] closed = {false}; // the upstream closed its connection (a close-delimited body's end)
    long[] quiet = {-1};
    Runnable ended = () -> {
      if (quiet[0] >= 0) vertx.cancelTimer(quiet[0]);
      quiet[0] = -1;
      if (call != null && !call.done) call.finish("error");
      if (stream != null) stream.finish();
      if (!resp.ended()) resp.end();
    };
    Runnable waitQuiet = () -> {
      if (!closed[0] || resp.ended()) return;
      if (quiet[0] >= 0) vertx.cancelTimer(quiet[0]);
      quiet[0] = vertx.setTimer(CLOSED_QUIET_MS, id -> {
        quiet[0] = -1;
        if (!paused[0]) ended.run();
      });
    };
    SseEvents events = new SseEvents(maxBodyBytes, (raw, data) -> {
      if (call != null && call.done || stream != null && stream.done) return;
      if (b != null) b.bytesOut.addAndGet(raw.length());
      if (call != null && data != null) {
        String outcome = answerOutcome(data, call.message.id());
        if (outcome != null) call.finish(outcome);
      }
      resp.write(raw);
      if (resp.writeQueueFull()) {
        paused[0] = true;
        up.pause();
        resp.drainHandler(v -> {
          paused[0] = false;
          up.resume();
          waitQuiet.run();
        });
      }
    });
    up.handler(chunk -> {
      if (!events.feed(chunk)) {
        up.request().reset();
        return;
      }
      waitQuiet.run();
    });
    up.endHandler(v -> ended.run());
    up.exceptionHandler(e -> {
      if (closeDelimited && e instanceof io.vertx.core.http.HttpClosedException && !resp.ended()) {
        closed[0] = true;
        waitQuiet.run();
        return;
      }
      if (quiet[0] >= 0) vertx.cancelTimer(quiet[0]);
      if (call != null && !call.done) call.finish("error");
      if (stream != null) stream.finish();
      if (!resp.ended()) resp.reset();
    });
    resp.closeHandler(v -> {
      if (quiet[0] >= 0) vertx.cancelTimer(quiet[0]);
      // A client that drops its stream has not cancelled its request (MCP 2025-06-18, Transports:
      // "disconnection SHOULD NOT be interpreted as the client cancelling its request"): nothing is
      // sent upstream, and the call's outcome is unknown here.
      if (call != null && !call.done) call.finish("error", "client_disconnected");
      if (stream != null) stream.finish();
      up.request().reset();
    });
  }

  /** An HTTP/1.x body that ends with its connection: neither Content-Length nor chunked transfer coding. */
  private static boolean closeDelimited(HttpClientResponse up) {
    if (up.version() == io.vertx.core.http.HttpVersion.HTTP_2) return false;
    if (up.getHeader("Content-Length") != null) return false;
    String te = up.getHeader("Transfer-Encoding");
    return te == null || !te.toLowerCase(Locale.ROOT).contains("chunked");
  }

  /** {@code ok} or {@code error} when {@code data} is the answer to request {@code id}; null when it is anything else. */
  static String answerOutcome(String data, Object id) {
    Object v;
    try {
      v = Json.decodeValue(data);
    } catch (RuntimeException e) {
      return null;
    }
    if (!(v instanceof JsonObject o) || o.containsKey("method") || !sameId(o.getValue("id"), id)) return null;
    return outcomeOf(o);
  }

  private static boolean sameId(Object a, Object b) {
    if (a instanceof Number x && b instanceof Number y) return x.toString().equals(y.toString());
    return Objects.equals(a, b);
  }

  static String outcome(Buffer answer) {
    try {
      return Json.decodeValue(answer) instanceof JsonObject o ? outcomeOf(o) : "error";
    } catch (RuntimeException e) {
      return "error";
    }
  }

  /** A JSON-RPC error, or a tool result with {@code isError: true}, is an error. */
  private static String outcomeOf(JsonObject o) {
    if (o.containsKey("error")) return "error";
    return o.getValue("result") instanceof JsonObject r && Boolean.TRUE.equals(r.getValue("isError")) ? "error" : "ok";
  }

  private static void jsonRpcError(HttpServerResponse resp, int status, Object id, int code, String message,
      Map<String, Object> data) {
    if (resp.ended()) return;
    resp.setStatusCode(status).putHeader("Content-Type", "application/json").end(JsonRpc.error(id, code, message, data));
  }

  /** The standing GET stream: relayed event by event, the session's warning put between them. */
  private void stream(HttpServerRequest req, McpRoute route, String token, Decision d) {
    Binding b = bound(req, route, d, true);
    if (b == NO_BINDING) return;
    String sessionId = d.status().sessionId();
    Stream s = new Stream(req.response(), vertx.getOrCreateContext(), sessionId);
    if (!track(sessionId, s)) return;
    client.request(upstream(req, route, HttpMethod.GET)).compose(up -> {
      s.upstream = up;
      return up.send();
    }).onComplete(ar -> {
      if (s.done) {
        if (ar.succeeded()) ar.result().request().reset();
        return;
      }
      if (ar.failed()) {
        s.finish();
        refusals.problem(req.response(), 502, "upstream-unavailable", "Bad gateway", "the MCP server could not be reached");
        return;
      }
      HttpClientResponse up = ar.result();
      if (up.statusCode() == 405) {
        // The MCP server keeps no standing stream (a stateless one): the gateway keeps its own, so
        // that the session's warning still reaches the agent in MCP.
        up.body();
        s.upstream = null;
        ownStream(req.response(), s);
        return;
      }
      copyHead(up, req.response());
      if (up.statusCode() == 200 && isEventStream(up)) {
        relayEvents(up, req.response(), b, null, s);
        s.relaying();
      } else {
        s.finish();
        up.body().onComplete(br -> req.response().end(br.succeeded() ? br.result() : Buffer.buffer()));
      }
    });
  }

  /** SSE comment lines keep a quiet stream of the gateway's own from being cut by idle proxies. */
  private static final long OWN_STREAM_KEEPALIVE_MS = 15_000;

  private void ownStream(HttpServerResponse resp, Stream s) {
    resp.setStatusCode(200).setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-store");
    s.relaying();
    vertx.setPeriodic(OWN_STREAM_KEEPALIVE_MS, id -> {
      if (s.done || resp.ended()) {
        vertx.cancelTimer(id);
      } else {
        resp.write(": curfew\n\n");
      }
    });
    resp.closeHandler(v -> s.finish());
  }

  /** The client ends its MCP session: relayed, then the binding and the connection are closed. */
  private void delete(HttpServerRequest req, McpRoute route, Decision d) {
    Binding b = bound(req, route, d, true);
    if (b == NO_BINDING) return;
    client.request(upstream(req, route, HttpMethod.DELETE)).compose(HttpClientRequest::send).onComplete(ar -> {
      if (ar.failed()) {
        refusals.problem(req.response(), 502, "upstream-unavailable", "Bad gateway", "the MCP server could not be reached");
        return;
      }
      HttpClientResponse up = ar.result();
      if (b != null && (up.statusCode() / 100 == 2 || up.statusCode() == 404)) unbind(b, "client_closed", null);
      copyHead(up, req.response());
      up.body().onComplete(br -> req.response().end(br.succeeded() ? br.result() : Buffer.buffer()));
    });
  }

  // ------------------------------------------------------------------ MCP sessions and their records

  /** The upstream answered {@code initialize} with an MCP session id: it belongs to this Curfew session now. */
  private void opened(HttpServerRequest req, McpRoute route, Decision d, String mcpSessionId) {
    if (mcpSessionId == null) return; // a stateless MCP server: nothing to bind
    String sessionId = d.status().sessionId();
    Binding b = new Binding(mcpSessionId, sessionId, route, "mcp-" + UUID.randomUUID(), settings.nanoTime().getAsLong());
    b.records = new ConnectionRecords(route.path(), "mcp", clientAddress(req), b.connectionId);
    Binding before = bindings.putIfAbsent(mcpSessionId, b);
    if (before != null) {
      LOG.log(System.Logger.Level.WARNING, "the MCP server at " + route.upstream() + " reused an MCP session id; kept the first binding");
      return;
    }
    Holding h = holding(sessionId);
    h.bindings.add(b);
    Map<String, Object> data = b.records.opened(req.isSSL());
    data.put("mcp_session_id", mcpSessionId);
    store.recordGatewayEvent(sessionId, RecordTypes.CONNECTION_OPENED, data);
    EndReason r = ended.get(sessionId);
    if (r != null) endBindings(List.of(b), r);
  }

  private static String clientAddress(HttpServerRequest req) {
    return req.remoteAddress() == null ? "unknown" : req.remoteAddress().hostAddress();
  }

  private void unbind(Binding b, String why, EndReason reason) {
    if (!bindings.remove(b.mcpSessionId, b)) return;
    Holding h = holdings.get(b.sessionId);
    if (h != null) h.bindings.remove(b);
    long durationMs = TimeUnit.NANOSECONDS.toMillis(settings.nanoTime().getAsLong() - b.openedNanos);
    Map<String, Object> extra = reason == null ? null : Map.of("reason", reason.wire());
    store.recordGatewayEvent(b.sessionId, RecordTypes.CONNECTION_CLOSED,
        b.records.closed(why, extra, b.activeMessages.get(), b.bytesIn.get(), b.bytesOut.get(), durationMs));
  }

  /** The upstream MCP sessions of an ended session: each DELETEd, its connection closed. */
  private void endBindings(List<Binding> list, EndReason reason) {
    for (Binding b : list) {
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.DELETE).setHost(b.route.upstreamHost())
          .setPort(b.route.upstreamPort()).setSsl(b.route.tls()).setURI(b.route.upstreamUri(b.route.path(), null))
          .putHeader(SESSION_HEADER, b.mcpSessionId);
      String version = b.protocolVersion;
      if (version != null) o.putHeader(VERSION_HEADER, version);
      client.request(o).compose(HttpClientRequest::send).compose(HttpClientResponse::body)
          .onFailure(e -> LOG.log(System.Logger.Level.WARNING, "DELETE of MCP session " + b.mcpSessionId + " failed: " + e));
      unbind(b, "session_ended", reason);
    }
  }

  // ------------------------------------------------------------------ sessions' exchanges and events

  private Holding holding(String sessionId) {
    return holdings.computeIfAbsent(sessionId, id -> new Holding());
  }

  /** Registers an exchange under its session; false (and the exchange ended) when the session has ended meanwhile. */
  private boolean track(String sessionId, Exchange x) {
    holding(sessionId).exchanges.add(x);
    EndReason r = ended.get(sessionId);
    if (r == null) return true;
    x.end(r);
    return false;
  }

  private int publish(String sessionId, String event, Map<String, Object> data) {
    if (event.equals("warning")) {
      Holding h = holdings.get(sessionId);
      if (h == null) return 0;
      int n = 0;
      for (Exchange x : h.exchanges) {
        if (x instanceof Stream s) {
          s.context.runOnContext(v -> s.warn(data, h.absoluteExpiresAtMs));
          n++;
        }
      }
      return n;
    }
    if (event.equals("status")) {
      Holding h = holdings.get(sessionId);
      if (h == null) return 0;
      Object idleExpiresAt = data.get("idle_expires_at");
      Object lastActivityAt = data.get("last_activity_at");
      if (idleExpiresAt == null || lastActivityAt == null) return 0;
      long idleTimeoutMs = Times.parse(idleExpiresAt.toString()) - Times.parse(lastActivityAt.toString());
      int n = 0;
      for (Exchange x : h.exchanges) {
        if (x instanceof Call c) {
          c.context.runOnContext(v -> c.idleTimeoutChanged(idleTimeoutMs));
          n++;
        }
      }
      return n;
    }
    if (!ENDINGS.contains(event)) return 0;
    EndReason reason = EndReason.fromWire(String.valueOf(data.get("reason")));
    ended.put(sessionId, reason);
    Holding h = holdings.remove(sessionId);
    if (h == null) return 0;
    List<Future<Void>> cancelled = new ArrayList<>();
    for (Exchange x : h.exchanges) {
      Promise<Void> p = Promise.promise();
      x.context().runOnContext(v -> x.end(reason).onComplete(p));
      cancelled.add(p.future());
    }
    List<Binding> list = List.copyOf(h.bindings);
    // The upstream hears of each cancelled request before its MCP session is deleted.
    Future.join(cancelled).onComplete(v -> endBindings(list, reason));
    return h.exchanges.size() + list.size();
  }

  /** A session's exchanges in flight and its MCP sessions. */
  private static final class Holding {
    final Set<Exchange> exchanges = ConcurrentHashMap.newKeySet();
    final Set<Binding> bindings = ConcurrentHashMap.newKeySet();
    volatile long absoluteExpiresAtMs = Long.MAX_VALUE;
  }

  /** An upstream MCP session bound to the Curfew session that initialized it. Counters on its requests' loops. */
  private static final class Binding {
    final String mcpSessionId;
    final String sessionId;
    final McpRoute route;
    final String connectionId;
    final long openedNanos;
    ConnectionRecords records;
    // Written from the event loops of the MCP session's requests: several may run at once.
    final AtomicLong activeMessages = new AtomicLong();
    final AtomicLong bytesIn = new AtomicLong();
    final AtomicLong bytesOut = new AtomicLong();
    /** The MCP-Protocol-Version its client sends (or its initialize answer named); null: none seen. */
    volatile String protocolVersion;

    Binding(String mcpSessionId, String sessionId, McpRoute route, String connectionId, long openedNanos) {
      this.mcpSessionId = mcpSessionId;
      this.sessionId = sessionId;
      this.route = route;
      this.connectionId = connectionId;
      this.openedNanos = openedNanos;
    }
  }

  /** Something in flight for a session that its end must answer. */
  private interface Exchange {
    Context context();

    /** On {@link #context()}: answer with the reason, cancel upstream; completes when the upstream was told. */
    Future<Void> end(EndReason reason);
  }

  private void untrack(String sessionId, Exchange x) {
    holdings.computeIfPresent(sessionId, (id, h) -> {
      h.exchanges.remove(x);
      return h.exchanges.isEmpty() && h.bindings.isEmpty() ? null : h;
    });
  }

  /** A client's request in flight: its answer, its busy touches, its {@code agent.tool_called} record. */
  private final class Call implements Exchange {
    final McpRoute route;
    final String token;
    final String sessionId;
    final Binding binding;
    final JsonRpc.Message message;
    final HttpServerResponse response;
    final Context context;
    final long startNanos = settings.nanoTime().getAsLong();
    HttpClientRequest upstream;
    boolean done;
    /** The next busy touch's timer; -1: none pending (not busy, or a touch is being answered). */
    private long busyTimer = -1;
    private long busyPeriodMs = -1; // -1: the call does not keep its session active

    Call(HttpServerResponse response, McpRoute route, String token, Decision d, Binding binding, JsonRpc.Message message,
        boolean busy) {
      this.response = response;
      this.route = route;
      this.token = token;
      this.sessionId = d.status().sessionId();
      this.binding = binding;
      this.message = message;
      this.context = vertx.getOrCreateContext();
      if (busy) {
        busyPeriodMs = periodMs(d.status());
        armBusy();
      }
    }

    /** A quarter of the idle timeout {@code status} gives, within the configured bounds. */
    private long periodMs(dev.curfew.core.SessionStatus status) {
      return settings.busyTouchPeriodMs(Math.max(1, status.idleExpiresAtMs() - status.lastActivityAtMs()));
    }

    private void armBusy() {
      busyTimer = vertx.setTimer(busyPeriodMs, id -> {
        busyTimer = -1;
        busyTouch();
      });
    }

    /**
     * The session's idle timeout is now {@code idleTimeoutMs} (a policy applied to it while it
     * lives). When that shortens the touches, the call touches the session at once (its last touch
     * may be nearer the new idle deadline than its next one) and goes on by the new timeout.
     */
    void idleTimeoutChanged(long idleTimeoutMs) {
      if (done || busyPeriodMs < 0) return;
      long periodMs = settings.busyTouchPeriodMs(Math.max(1, idleTimeoutMs));
      if (periodMs >= busyPeriodMs) return;
      busyPeriodMs = periodMs;
      if (busyTimer < 0) return; // a touch is being answered: its answer arms the next one
      vertx.cancelTimer(busyTimer);
      busyTimer = -1;
      busyTouch();
    }

    @Override
    public Context context() {
      return context;
    }

    /**
     * The request is still running upstream: that keeps the session active (spec: busy is
     * activity). The next touch is armed once this one is answered, a quarter of the idle timeout
     * the answer gives later (the last period when the store did not answer; none once the session
     * ended, whose event ends the call).
     */
    private void busyTouch() {
      if (done) return;
      CompletableFuture<Decision> answer;
      try {
        answer = store.check(token, true, route.audience());
      } catch (IllegalArgumentException malformed) {
        return; // the token was checked when the call began
      }
      answer.whenComplete((d, e) -> context.runOnContext(v -> {
        if (done || busyTimer >= 0) return;
        if (d != null && d.allowed()) {
          busyPeriodMs = periodMs(d.status());
        } else if (d != null && (d.verdict() == Decision.Verdict.ENDED || d.verdict() == Decision.Verdict.NOT_FOUND)) {
          return;
        }
        armBusy();
      }));
    }

    /** The answer came (or the exchange failed): the record, and nothing more to cut. */
    void finish(String outcome) {
      finish(outcome, null);
    }

    /** As above, {@code detail} (when not null) saying why the outcome is unknown. */
    void finish(String outcome, String detail) {
      if (done) return;
      done = true;
      stop();
      record(outcome, detail);
    }

    private void stop() {
      if (busyTimer >= 0) vertx.cancelTimer(busyTimer);
      busyTimer = -1;
      untrack(sessionId, this);
    }

    private void record(String outcome, String detail) {
      if (!"tools/call".equals(message.method())) return;
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("target", route.path());
      if (binding != null) {
        data.put("connection_id", binding.connectionId);
        data.put("mcp_session_id", binding.mcpSessionId);
      }
      String tool = message.toolName();
      data.put("tool", tool == null ? "" : tool);
      data.put("arguments_sha256", StatementDigest.sha256(message.argumentsJson()));
      data.put("outcome", outcome);
      if (detail != null) data.put("detail", detail);
      data.put("duration_ms", TimeUnit.NANOSECONDS.toMillis(settings.nanoTime().getAsLong() - startNanos));
      store.recordGatewayEvent(sessionId, RecordTypes.AGENT_TOOL_CALLED, data);
    }

    @Override
    public Future<Void> end(EndReason reason) {
      if (done) return Future.succeededFuture();
      done = true;
      stop();
      record("cancelled", null);
      HttpServerResponse resp = response;
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("reason", reason.wire());
      data.put("message", "curfew: session ended (" + reason.wire() + ")");
      Buffer error = JsonRpc.error(message.id(), JsonRpc.SESSION_ENDED, "session ended", data);
      if (resp != null && !resp.ended()) {
        if (resp.headWritten()) {
          resp.end(Buffer.buffer("event: message\ndata: ").appendBuffer(error).appendString("\n\n"));
        } else {
          resp.setStatusCode(200).putHeader("Content-Type", "application/json").end(error);
        }
      }
      if (upstream != null) upstream.reset();
      return cancelUpstream(reason);
    }

    /** {@code notifications/cancelled} for this request, in its MCP session. */
    private Future<Void> cancelUpstream(EndReason reason) {
      RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST).setHost(route.upstreamHost())
          .setPort(route.upstreamPort()).setSsl(route.tls()).setURI(route.upstreamUri(route.path(), null))
          .putHeader("Content-Type", "application/json").putHeader("Accept", "application/json, text/event-stream");
      if (binding != null) {
        o.putHeader(SESSION_HEADER, binding.mcpSessionId);
        String version = binding.protocolVersion;
        if (version != null) o.putHeader(VERSION_HEADER, version);
      }
      Buffer note = JsonRpc.notification("notifications/cancelled", new JsonObject().put("requestId", message.id())
          .put("reason", "curfew: session ended (" + reason.wire() + ")"));
      return client.request(o).compose(r -> r.send(note)).compose(HttpClientResponse::body)
          .<Void>mapEmpty().otherwiseEmpty();
    }
  }

  /** A standing GET stream: the warning goes here. */
  private final class Stream implements Exchange {
    final HttpServerResponse response;
    final Context context;
    final String sessionId;
    HttpClientRequest upstream;
    boolean done;

    Stream(HttpServerResponse response, Context context, String sessionId) {
      this.response = response;
      this.context = context;
      this.sessionId = sessionId;
    }

    @Override
    public Context context() {
      return context;
    }

    /** A warning that came before the upstream's answer head: written once the stream is relayed. */
    Buffer pendingWarning;

    void warn(Map<String, Object> data, long absoluteExpiresAtMs) {
      if (done || response.ended()) return;
      long expiresAtMs = Times.parse(String.valueOf(data.get("expires_at")));
      long secondsLeft = ((Number) data.get("seconds_left")).longValue();
      boolean absolute = expiresAtMs >= absoluteExpiresAtMs;
      String reason = absolute ? EndReason.ABSOLUTE_TIMEOUT.wire() : EndReason.IDLE_TIMEOUT.wire();
      JsonObject params = new JsonObject().put("level", "warning").put("logger", "curfew").put("data", new JsonObject()
          .put("message", McpNotices.warning(expiresAtMs, absolute, secondsLeft))
          .put("expires_at", data.get("expires_at"))
          .put("seconds_left", secondsLeft)
          .put("reason", reason));
      Buffer event = Buffer.buffer("event: message\ndata: ")
          .appendBuffer(JsonRpc.notification("notifications/message", params)).appendString("\n\n");
      if (open) {
        response.write(event);
      } else {
        pendingWarning = event;
      }
    }

    /** The upstream's stream is open: a warning that waited goes first. */
    void relaying() {
      open = true;
      // The head goes now, not with the upstream's first event: the agent sees its stream open.
      response.writeHead();
      if (pendingWarning != null && !done) response.write(pendingWarning);
      pendingWarning = null;
    }

    private boolean open;

    void finish() {
      if (done) return;
      done = true;
      untrack(sessionId, this);
    }

    @Override
    public Future<Void> end(EndReason reason) {
      if (done) return Future.succeededFuture();
      finish();
      if (upstream != null) upstream.reset();
      if (!response.ended()) {
        if (response.headWritten()) {
          response.end();
        } else {
          refuse(response, reason);
        }
      }
      return Future.succeededFuture();
    }
  }

  private void refuse(HttpServerResponse resp, EndReason reason) {
    resp.putHeader("WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"" + reason.wire() + "\"");
    refusals.sessionEnded(resp, reason);
  }
}

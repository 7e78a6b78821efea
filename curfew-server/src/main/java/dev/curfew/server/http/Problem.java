package dev.curfew.server.http;

import dev.curfew.core.EndReason;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An RFC 9457 problem detail: every error this API answers. {@code reason} is the closed vocabulary
 * of spec/http-api.md ({@link EndReason#wire()} or {@code extension_refused}), present only where
 * the contract puts it.
 */
public record Problem(int status, String type, String title, String detail, String reason) {
  public static final String CONTENT_TYPE = "application/problem+json";
  private static final String TYPE_PREFIX = "urn:curfew:problem:";

  public static Problem of(int status, String slug, String title, String detail) {
    return new Problem(status, TYPE_PREFIX + slug, title, detail, null);
  }

  public static Problem badRequest(String detail) {
    return of(400, "invalid-request", "Invalid request", detail);
  }

  public static Problem apiKeyRequired() {
    return of(401, "api-key-required", "API key required",
        "send a valid API key as 'Authorization: Bearer <key>' or HTTP Basic <name>:<key>");
  }

  /**
   * A valid API key without the scope a route needs: 403. The scope is also named in the member
   * {@code scope} and in {@code WWW-Authenticate} (RFC 6750 section 3.1, {@code insufficient_scope}),
   * which {@link #send(HttpServerResponse, Map)} callers set.
   */
  public static Problem insufficientScope(String keyName, String held, String needed) {
    return of(403, "insufficient-scope", "Insufficient scope",
        "the API key \"" + keyName + "\" (scopes: " + held + ") may not call this endpoint: it needs the scope "
            + needed + " (or admin)");
  }

  /** A rate limit was reached: 429; callers set {@code Retry-After}. */
  public static Problem tooManyRequests(String detail) {
    return of(429, "rate-limited", "Too many requests", detail);
  }

  /** A token (or no token) that is not a valid session: 401 with the reason. */
  public static Problem sessionEnded(EndReason reason) {
    EndReason r = reason == null ? EndReason.UNKNOWN : reason;
    String detail = switch (r) {
      case IDLE_TIMEOUT -> "the session ended: no activity before its idle deadline";
      case ABSOLUTE_TIMEOUT -> "the session ended: it reached its absolute deadline";
      case REVOKED -> "the session was revoked";
      case LOGGED_OUT -> "the session was logged out";
      case REPLAYED -> "the session was ended because a rotated-out token was presented again";
      case IDP_LOGOUT -> "the identity provider logged the user out";
      case PARENT_ENDED -> "the session it was opened from was logged out or revoked";
      case CONCURRENCY_LIMIT -> "the session was ended because the same account opened a newer session, over the "
          + "policy's limit of concurrent sessions";
      case UNKNOWN -> "the token is not a valid session token";
    };
    return new Problem(401, TYPE_PREFIX + "session-ended", "Session not valid", detail, r.wire());
  }

  public static Problem noToken() {
    return new Problem(401, TYPE_PREFIX + "session-ended", "Session not valid",
        "no session token: send 'Authorization: Bearer <token>' or the session cookie", EndReason.UNKNOWN.wire());
  }

  /** A session looked up by id that has ended: 410 with the reason. */
  public static Problem sessionGone(String sessionId, EndReason reason) {
    return new Problem(410, TYPE_PREFIX + "session-gone", "Session ended",
        "session " + sessionId + " has ended (" + reason.wire() + ")", reason.wire());
  }

  public static Problem sessionNotFound(String sessionId) {
    return of(404, "not-found", "Not found", "no session " + sessionId + " is known here");
  }

  public static Problem extensionRefused(String detail) {
    return new Problem(409, TYPE_PREFIX + "extension-refused", "Extension refused",
        detail == null ? "the policy allows no extension now" : detail, "extension_refused");
  }

  /**
   * A live session presented outside its audience: 403 with {@code reason: "wrong_audience"}
   * (spec/http-api.md); the session itself lives on.
   */
  public static Problem wrongAudience(String detail) {
    return new Problem(403, TYPE_PREFIX + "wrong-audience", "Session not valid here",
        detail == null ? "this session may not be used here" : detail, dev.curfew.core.Decision.WRONG_AUDIENCE_REASON);
  }

  /**
   * A change made with the session cookie by a page of another origin ({@link RequestOrigin}): 403
   * {@code cross-site}. The session is left as it was.
   */
  public static Problem crossSite(String detail) {
    return of(403, "cross-site", "Request from another origin refused", detail);
  }

  /** An API key asked to check sessions for a place outside its own audience: 403. */
  public static Problem audienceNotAllowed(String keyName, String detail) {
    return of(403, "audience-not-allowed", "Audience not allowed", "the API key \"" + keyName + "\" " + detail);
  }

  /**
   * An opening refused because the subject holds as many live sessions as its policy allows
   * ({@code max_sessions_per_subject} with {@code when_exceeded: refuse_new}): 409 with {@code reason:
   * "concurrency_limit"}.
   */
  public static Problem concurrencyLimit(String detail) {
    return new Problem(409, TYPE_PREFIX + "concurrency-limit", "Too many concurrent sessions",
        detail == null ? "the subject holds as many live sessions as its policy allows" : detail,
        EndReason.CONCURRENCY_LIMIT.wire());
  }

  /** A warning acknowledgement with no warning to acknowledge (none sent, or acknowledged already): 409. */
  public static Problem warningAckRefused(String detail) {
    return of(409, "warning-ack-refused", "Nothing to acknowledge", detail);
  }

  public static Problem unavailable(String detail) {
    return of(503, "unavailable", "Service unavailable", detail);
  }

  /** The problem for a plain HTTP status the router or a body parser produced. */
  public static Problem forStatus(int status) {
    return switch (status) {
      case 400 -> badRequest("the request could not be parsed");
      case 401 -> apiKeyRequired();
      case 404 -> of(404, "not-found", "Not found", "no such resource");
      case 405 -> of(405, "method-not-allowed", "Method not allowed", "this path does not support the request's method");
      case 406 -> of(406, "not-acceptable", "Not acceptable", "no acceptable representation");
      case 413 -> of(413, "payload-too-large", "Payload too large", "request bodies are limited to 64 KiB");
      case 414 -> of(414, "uri-too-long", "URI too long", "the request line is too long");
      case 415 -> of(415, "unsupported-media-type", "Unsupported media type", "unsupported content type");
      case 431 -> of(431, "headers-too-large", "Request header fields too large", "the request headers are too large");
      case 503 -> unavailable("the service is unavailable");
      default -> status >= 400 && status < 500
          ? of(status, "client-error", "Client error", "the request was refused")
          : of(500, "internal", "Internal server error", "an unexpected error occurred; it has been logged");
    };
  }

  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("title", title);
    m.put("status", status);
    m.put("detail", detail);
    if (reason != null) m.put("reason", reason);
    return m;
  }

  /** {@link #toMap()} with RFC 9457 extension members added (never replacing a standard one). */
  public Map<String, Object> toMap(Map<String, Object> extensions) {
    Map<String, Object> m = toMap();
    extensions.forEach(m::putIfAbsent);
    return m;
  }

  /** Writes this problem unless the response has already begun, in which case the stream is cut. */
  public void send(HttpServerResponse response) {
    send(response, Map.of());
  }

  /**
   * As {@link #send(HttpServerResponse)}, with RFC 9457 extension members added to the body. A
   * {@code Retry-After} already on the response is kept (else 429 and 503 get one second).
   */
  public void send(HttpServerResponse response, Map<String, Object> extensions) {
    if (response.ended()) return;
    if (response.headWritten()) {
      response.reset();
      return;
    }
    response.setStatusCode(status)
        .putHeader("Content-Type", CONTENT_TYPE)
        .putHeader("Cache-Control", "no-store");
    if (status == 401) {
      response.putHeader("WWW-Authenticate", reason == null ? "Bearer realm=\"curfew\""
          : "Bearer realm=\"curfew\", error=\"invalid_token\"");
    }
    if ((status == 503 || status == 429) && !response.headers().contains("Retry-After")) {
      response.putHeader("Retry-After", "1");
    }
    response.end(Buffer.buffer(JsonBodies.write(toMap(extensions))));
  }
}

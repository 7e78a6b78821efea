package dev.curfew.client;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;

/**
 * The calls a session holder makes with its session token (docs/api.md, "Session holder"). A
 * problem with {@code reason} means the session has ended; with token rotation, the status carries
 * the token to use from now on ({@link SessionStatus#rotatedToken()}).
 */
public final class HolderSession {
  /** The paths under {@code /v1/session} a holder may call, with their method: what {@link #relay} accepts. */
  private static final Map<String, Set<String>> ACTIONS = Map.of(
      "", Set.of("GET", "DELETE"),
      "/activity", Set.of("POST"),
      "/extend", Set.of("POST"),
      "/warning-ack", Set.of("POST"),
      "/end-others", Set.of("POST"));

  /**
   * The calls {@link #relay} takes: each path under {@code /v1/session} ({@code ""} for the session
   * itself) with its methods; the one table a proxy of these calls builds on.
   */
  public static Map<String, Set<String>> relayedCalls() {
    return ACTIONS;
  }

  private final Transport transport;
  private final String authorization;

  HolderSession(Transport transport, String token) {
    this.transport = transport;
    this.authorization = "Bearer " + java.util.Objects.requireNonNull(token, "token");
  }

  /** {@code GET /v1/session}: the status, passive (not activity). */
  public SessionStatus status() {
    return SessionStatus.from(transport.sendForObject(request("", "GET")));
  }

  /** {@code POST /v1/session/activity}: the user is active now; the idle deadline starts again. */
  public SessionStatus activity() {
    return SessionStatus.from(transport.sendForObject(request("/activity", "POST")));
  }

  /** {@code POST /v1/session/extend}: the user's explicit extension; 409 {@code extension-refused} when the policy forbids it. */
  public SessionStatus extend() {
    return SessionStatus.from(transport.sendForObject(request("/extend", "POST")));
  }

  /** {@code POST /v1/session/warning-ack}: the user saw the warning (audited). */
  public void acknowledgeWarning() {
    transport.send(request("/warning-ack", "POST"));
  }

  /** {@code POST /v1/session/end-others}: ends every other live session of this subject; answers how many. */
  public long endOthers() {
    return JsonValues.longValue(transport.sendForObject(request("/end-others", "POST")), "ended", 0);
  }

  /** {@code DELETE /v1/session}: logout; the token is dead from now on. */
  public void logout() {
    transport.send(request("", "DELETE"));
  }

  /** {@code GET /v1/session/events}: the session's events as they come (passive). */
  public SessionEventStream events() {
    return new SessionEventStream(rawEvents());
  }

  /** The event stream's bytes unchanged, for passing on to a browser. */
  public InputStream rawEvents() {
    return transport.stream(eventsRequest()).body();
  }

  /**
   * The event stream's bytes unchanged, handed to {@code body} as they come, with no thread waiting
   * for them: for a relay to browsers, whose pages keep their streams open for as long as they are
   * open. Completes when the stream ends; fails with the {@link CurfewProblem} of an answer that is
   * not a stream (an ended session's, with its reason), or with the transport's error.
   */
  public CompletableFuture<Void> relayEvents(Flow.Subscriber<List<ByteBuffer>> body) {
    return transport.streamAsync(eventsRequest(), body);
  }

  private HttpRequest eventsRequest() {
    return transport.request("/v1/session/events", authorization).setHeader("Accept", "text/event-stream")
        .timeout(java.time.Duration.ofDays(1)) // a stream lives as long as its session; the server closes it
        .GET().build();
  }

  /**
   * One holder call ({@code ""} for the session itself, {@code "/extend"}, ...) with its answer
   * unchanged, for a proxy that passes it on (the Spring Boot starter's {@code /_curfew/} endpoints).
   * A method the path does not serve is refused here, before any request.
   */
  public RawAnswer relay(String method, String action) {
    Set<String> methods = ACTIONS.get(action);
    if (methods == null || !methods.contains(method)) {
      throw new IllegalArgumentException("not a session-holder call: " + method + " /v1/session" + action);
    }
    HttpResponse<String> r = transport.exchange(request(action, method), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    return new RawAnswer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(null), r.body());
  }

  /**
   * An answer as the server sent it: status, media type (null without a body), body. Its {@code
   * toString()} leaves the body out, since the body may carry a rotated token.
   */
  public record RawAnswer(int status, String contentType, String body) {
    @Override
    public String toString() {
      return "RawAnswer[status=" + status + ", contentType=" + contentType + ", body=("
          + (body == null ? 0 : body.length()) + " chars, not shown)]";
    }
  }

  private HttpRequest request(String action, String method) {
    return transport.request("/v1/session" + action, authorization)
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
  }
}

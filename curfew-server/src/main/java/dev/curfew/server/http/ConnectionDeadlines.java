package dev.curfew.server.http;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Deadlines on a connection while no request is in flight: a new connection must complete a
 * request head within {@code headerTimeout}, and a kept-alive connection between requests is
 * closed after {@code idleTimeout} without a new request head. Netty's idle timeout counts bytes,
 * so a client that sends one header byte now and then (slowloris) holds a connection forever; and
 * the gateway cannot use it at all, because a proxied stream or WebSocket may be quiet for long
 * (issue 12, item 4). Here the clock runs only between requests: a request in flight (a stream, an
 * upgrade to a WebSocket) is never cut by these deadlines; its session ends it.
 *
 * <p>One instance per HTTP server, used on that server's event loop only (no locking).
 */
public final class ConnectionDeadlines {
  private final Vertx vertx;
  private final long headerTimeoutMs;
  private final long idleTimeoutMs;
  private final Map<HttpConnection, State> connections = new IdentityHashMap<>();

  private static final class State {
    long timerId = -1; // the pending timer, -1: none; it may fire before the deadline, which then re-arms it
    long deadlineNanos; // System.nanoTime() at which an idle connection closes
    int inFlight;
    boolean upgraded; // a WebSocket: no request heads follow, and quiet is normal
    List<Handler<Void>> onClose; // others told of the close: a connection has only one close handler
  }

  public ConnectionDeadlines(Vertx vertx, Duration headerTimeout, Duration idleTimeout) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    if (headerTimeout.toMillis() < 1) throw new IllegalArgumentException("headerTimeout < 1ms: " + headerTimeout);
    if (idleTimeout.toMillis() < 1) throw new IllegalArgumentException("idleTimeout < 1ms: " + idleTimeout);
    this.headerTimeoutMs = headerTimeout.toMillis();
    this.idleTimeoutMs = idleTimeout.toMillis();
  }

  /** Installs the deadlines on {@code server}; call before {@code requestHandler} wraps with {@link #track}. */
  public HttpServer install(HttpServer server) {
    return server.connectionHandler(this::opened);
  }

  private void opened(HttpConnection c) {
    State s = new State();
    connections.put(c, s);
    arm(c, s, headerTimeoutMs);
    c.closeHandler(v -> {
      State gone = connections.remove(c);
      if (gone == null) return;
      if (gone.timerId >= 0) vertx.cancelTimer(gone.timerId);
      if (gone.onClose != null) gone.onClose.forEach(h -> h.handle(null));
    });
  }

  /**
   * Calls {@code handler} when {@code req}'s connection closes. A Vert.x connection has one close
   * handler, which these deadlines hold: whoever else must know (the gateway, of a WebSocket's end)
   * asks here rather than replacing it. Call on the request's event loop.
   */
  public void whenClosed(HttpServerRequest req, Handler<Void> handler) {
    HttpConnection c = req.connection();
    State s = c == null ? null : connections.get(c);
    if (s == null) { // not one of these deadlines' connections (an HTTP/2 stream's, say)
      if (c != null) c.closeHandler(handler);
      return;
    }
    if (s.onClose == null) s.onClose = new ArrayList<>(1);
    s.onClose.add(handler);
  }

  /** Marks a request head as received (no deadline while it is in flight); call first in the request handler. */
  public void track(HttpServerRequest req) {
    HttpConnection c = req.connection();
    State s = c == null ? null : connections.get(c);
    if (s == null) return; // HTTP/2 streams share a connection: the connection's own state is enough
    // A pending timer stays: it finds the request in flight and lapses. Cancelling and re-arming a
    // timer on every request of a kept-alive connection costs more than the request itself.
    s.inFlight++;
    req.response().endHandler(v -> finished(c, s, req.response().getStatusCode() == 101));
  }

  // Only an upgrade that happened (101) takes the connection out of the deadlines: an upgrade asked
  // for and refused leaves an ordinary kept-alive connection.
  private void finished(HttpConnection c, State s, boolean upgraded) {
    s.inFlight = Math.max(0, s.inFlight - 1);
    if (upgraded) s.upgraded = true;
    if (s.inFlight == 0 && !s.upgraded && connections.containsKey(c)) arm(c, s, idleTimeoutMs);
  }

  /** Closes {@code c} {@code delayMs} from now unless a request head comes first; reuses a pending timer. */
  private void arm(HttpConnection c, State s, long delayMs) {
    long now = System.nanoTime();
    s.deadlineNanos = now + TimeUnit.MILLISECONDS.toNanos(delayMs);
    if (s.timerId < 0) schedule(c, s, delayMs);
  }

  private void schedule(HttpConnection c, State s, long delayMs) {
    s.timerId = vertx.setTimer(Math.max(1, delayMs), id -> {
      s.timerId = -1;
      if (s.inFlight > 0 || s.upgraded || !connections.containsKey(c)) return; // finished() arms again
      long left = s.deadlineNanos - System.nanoTime();
      if (left > 0) {
        schedule(c, s, (left + 999_999) / 1_000_000); // the deadline moved on since this timer was set
      } else {
        c.close();
      }
    });
  }
}

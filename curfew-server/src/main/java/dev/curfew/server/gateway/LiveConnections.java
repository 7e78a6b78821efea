package dev.curfew.server.gateway;

import dev.curfew.server.http.ConnectionDeadlines;
import dev.curfew.server.http.SessionEventFanOut;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxied exchanges still in flight, by session: WebSockets, streaming responses, and every
 * ordinary request until its response has ended. When the engine publishes a session's ending
 * (from the deadline timer, a logout or a revocation) each of them is cut by closing its
 * connection, on the connection's own context. A timer-detected expiry therefore cuts them within
 * the expiry lateness of the deadline driver.
 */
final class LiveConnections implements SessionEventFanOut.EndingListener {
  private final Map<String, Set<Exchange>> bySession = new ConcurrentHashMap<>();

  /** One proxied exchange of one session. */
  final class Exchange {
    final String sessionId;
    final HttpServerRequest request;
    final Context context;
    private volatile boolean done;

    Exchange(String sessionId, HttpServerRequest request, Context context) {
      this.sessionId = sessionId;
      this.request = request;
      this.context = context;
    }

    /** The exchange completed normally (or its connection closed): nothing to cut any more. */
    void done() {
      if (done) return;
      done = true;
      bySession.computeIfPresent(sessionId, (id, set) -> {
        set.remove(this);
        return set.isEmpty() ? null : set;
      });
    }

    private void cut() {
      if (done) return;
      done = true;
      request.connection().close();
    }
  }

  /**
   * Tracks {@code request} for {@code sessionId} until its response ends; a WebSocket upgrade is
   * tracked until its connection closes (its response "ends" with the 101).
   */
  Exchange track(String sessionId, HttpServerRequest request, Context context, boolean webSocket,
      ConnectionDeadlines deadlines) {
    Exchange x = new Exchange(sessionId, request, context);
    // Added inside compute: a concurrent done() that empties and drops the session's set cannot
    // leave this exchange in a set that an ending would no longer find.
    bySession.compute(sessionId, (id, set) -> {
      Set<Exchange> s = set == null ? ConcurrentHashMap.newKeySet() : set;
      s.add(x);
      return s;
    });
    if (webSocket) {
      deadlines.whenClosed(request, v -> x.done());
    } else {
      request.response().endHandler(v -> x.done());
      request.response().closeHandler(v -> x.done());
    }
    return x;
  }

  /** Exchanges in flight for {@code sessionId}. */
  int count(String sessionId) {
    Set<Exchange> set = bySession.get(sessionId);
    return set == null ? 0 : set.size();
  }

  @Override
  public void sessionEnded(String sessionId, String event, Map<String, Object> data) {
    Set<Exchange> set = bySession.remove(sessionId);
    if (set == null) return;
    for (Exchange x : set) x.context.runOnContext(v -> x.cut());
  }
}

package dev.curfew.server.http;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/**
 * One Server-Sent Events connection following one session (the WHATWG HTML "server-sent events"
 * wire format: {@code event:} and {@code data:} lines, a blank line per event, {@code :} comments
 * as heartbeats). Every write happens on the connection's own context; {@link #offer} may be
 * called from any thread.
 */
final class EventStream {
  private final EventHub hub;
  private final String sessionId;
  private final Context context;
  private final HttpServerResponse response;
  private long heartbeatTimer = -1;
  private volatile boolean closed;

  EventStream(EventHub hub, String sessionId, Context context, HttpServerResponse response) {
    this.hub = hub;
    this.sessionId = sessionId;
    this.context = context;
    this.response = response;
  }

  String sessionId() {
    return sessionId;
  }

  static String frame(String event, Map<String, Object> data) {
    // Compact JSON has no line breaks, so one data: line carries it.
    return "event: " + event + "\ndata: " + JsonBodies.writeString(data) + "\n\n";
  }

  /** On the context: sends the head and the first status event, then heartbeats every {@code heartbeatMs}. */
  void start(String firstFrame, long heartbeatMs) {
    if (response.closed()) {
      close();
      return;
    }
    response.setStatusCode(200)
        .setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .putHeader("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
    response.closeHandler(v -> close());
    response.exceptionHandler(e -> close());
    response.write(firstFrame);
    heartbeatTimer = context.owner().setPeriodic(heartbeatMs, id -> write(":\n\n", false));
  }

  /** From any thread: queues the frame on the stream's context; false when the stream is closed. */
  boolean offer(String frame, boolean ending) {
    if (closed) return false;
    context.runOnContext(v -> write(frame, ending));
    return true;
  }

  void closeLater() {
    context.runOnContext(v -> close());
  }

  private void write(String frame, boolean ending) {
    if (closed) return;
    if (response.writeQueueFull()) {
      // A client that does not read: drop it rather than buffer without bound; it reconnects.
      close();
      return;
    }
    response.write(frame);
    if (ending) close();
  }

  private void close() {
    if (closed) return;
    closed = true;
    if (heartbeatTimer >= 0) context.owner().cancelTimer(heartbeatTimer);
    hub.remove(this);
    if (!response.ended() && !response.closed()) response.end();
  }
}

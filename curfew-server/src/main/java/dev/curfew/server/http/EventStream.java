package dev.curfew.server.http;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;
import java.util.Map;

/**
 * One Server-Sent Events connection following one session ({@code event:} and {@code data:}
 * lines, a blank line per event). Every write happens on the connection's own context; {@link
 * #offer} may be called from any thread.
 */
final class EventStream {
  private final String sessionId;
  private final SseResponse sse;

  EventStream(EventHub hub, String sessionId, Context context, HttpServerResponse response) {
    this.sessionId = sessionId;
    this.sse = new SseResponse(context, response, () -> hub.remove(this));
  }

  String sessionId() {
    return sessionId;
  }

  static String frame(String event, Map<String, Object> data) {
    // Compact JSON has no line breaks, so one data: line carries it.
    return "event: " + event + "\ndata: " + JsonBodies.writeString(data) + "\n\n";
  }

  /**
   * On the context: sends the head and the first status event, then heartbeats every {@code
   * heartbeatMs}, after each of which {@code stillValid} is asked; the stream closes when it answers
   * false: an ending whose event never reached this node (a Redis that lost its data, a message
   * lost while the node was disconnected). The client's reconnection then learns the reason (401).
   */
  void start(String firstFrame, long heartbeatMs, java.util.function.Supplier<java.util.concurrent.CompletionStage<Boolean>> stillValid) {
    sse.start(firstFrame, heartbeatMs, () -> stillValid.get().thenAccept(valid -> {
      if (!valid) sse.closeLater();
    }));
  }

  /** From any thread: queues the frame on the stream's context; false when the stream is closed. */
  boolean offer(String frame, boolean ending) {
    if (sse.closed()) return false;
    sse.context().runOnContext(v -> {
      sse.write(frame);
      if (ending) sse.close();
    });
    return true;
  }

  void closeLater() {
    sse.closeLater();
  }
}

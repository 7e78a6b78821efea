package dev.curfew.server.http;

import io.vertx.core.Context;
import io.vertx.core.http.HttpServerResponse;

/**
 * One Server-Sent Events response (the WHATWG HTML "server-sent events" wire format): its head,
 * frames written on the connection's own context, {@code :} comment heartbeats, and its end. A
 * client that does not read is dropped rather than buffered without bound; it reconnects.
 * {@link #start}, {@link #write} and {@link #close} run on the context; {@link #closed} and
 * {@link #closeLater} from any thread.
 */
final class SseResponse {
  private final Context context;
  private final HttpServerResponse response;
  private final Runnable onClose;
  private long heartbeatTimer = -1;
  private volatile boolean closed;

  /** {@code onClose} runs once, when the response ends for whatever reason. */
  SseResponse(Context context, HttpServerResponse response, Runnable onClose) {
    this.context = context;
    this.response = response;
    this.onClose = onClose;
  }

  Context context() {
    return context;
  }

  boolean closed() {
    return closed;
  }

  /** Sends the head and {@code firstFrame}, then a heartbeat every {@code heartbeatMs}. */
  void start(String firstFrame, long heartbeatMs) {
    start(firstFrame, heartbeatMs, () -> {});
  }

  /** As {@link #start(String, long)}, running {@code onHeartbeat} on the context after each heartbeat. */
  void start(String firstFrame, long heartbeatMs, Runnable onHeartbeat) {
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
    heartbeatTimer = context.owner().setPeriodic(heartbeatMs, id -> {
      write(":\n\n");
      if (!closed) onHeartbeat.run();
    });
  }

  void write(String frame) {
    if (closed) return;
    if (response.writeQueueFull()) {
      close();
      return;
    }
    response.write(frame);
  }

  void closeLater() {
    context.runOnContext(v -> close());
  }

  void close() {
    if (closed) return;
    closed = true;
    if (heartbeatTimer >= 0) context.owner().cancelTimer(heartbeatTimer);
    onClose.run();
    if (!response.ended() && !response.closed()) response.end();
  }
}

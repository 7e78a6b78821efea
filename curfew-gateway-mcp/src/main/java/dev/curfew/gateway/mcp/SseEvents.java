package dev.curfew.gateway.mcp;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Cuts an upstream {@code text/event-stream} into whole events (WHATWG HTML, "Server-sent events",
 * 9.2.6: an event ends at an empty line; a line ends at LF, CR LF or CR), so that the gateway
 * relays each event whole, can read its {@code data}, and can put its own events between them
 * without tearing one. Bytes are relayed as received.
 */
final class SseEvents {
  private final int maxEventBytes;
  private final BiConsumer<Buffer, String> onEvent;
  private Buffer pending = Buffer.buffer();
  private int lineStart;
  private int scanned;
  private int eventStartAt;
  private final StringBuilder data = new StringBuilder();
  private boolean sawData;
  private boolean refused;

  /** {@code onEvent} gets the event's raw bytes and its data (lines joined by LF), or null when it has none. */
  SseEvents(int maxEventBytes, BiConsumer<Buffer, String> onEvent) {
    this.maxEventBytes = maxEventBytes;
    this.onEvent = onEvent;
  }

  /**
   * Feeds a chunk; false once an event grew past the limit (the stream should be cut): the events
   * before it are delivered, it and everything after it are not, however the stream was cut into
   * chunks.
   */
  boolean feed(Buffer chunk) {
    if (refused) return false;
    pending.appendBuffer(chunk);
    int n = pending.length();
    while (scanned < n) {
      byte b = pending.getByte(scanned);
      if (b != '\n' && b != '\r') {
        scanned++;
        continue;
      }
      if (b == '\r' && scanned + 1 >= n) break; // a CR at the end: wait for a possible LF
      int lineEnd = scanned;
      scanned += b == '\r' && pending.getByte(scanned + 1) == '\n' ? 2 : 1;
      if (scanned - eventStartAt > maxEventBytes) return refuse();
      line(lineEnd);
      lineStart = scanned;
    }
    if (eventStartAt > 0) compact();
    return pending.length() <= maxEventBytes || refuse();
  }

  private boolean refuse() {
    refused = true;
    pending = Buffer.buffer();
    return false;
  }

  private void line(int lineEnd) {
    if (lineEnd == lineStart) {
      Buffer raw = pending.getBuffer(eventStartAt, scanned);
      String d = sawData ? data.toString() : null;
      data.setLength(0);
      sawData = false;
      eventStartAt = scanned;
      onEvent.accept(raw, d);
      return;
    }
    String line = pending.getString(lineStart, lineEnd, StandardCharsets.UTF_8.name());
    String value = line.equals("data") ? "" : line.startsWith("data:") ? line.substring(5) : null;
    if (value == null) return;
    if (value.startsWith(" ")) value = value.substring(1);
    if (sawData) data.append('\n');
    data.append(value);
    sawData = true;
  }

  private void compact() {
    int k = eventStartAt;
    pending = pending.getBuffer(k, pending.length());
    scanned -= k;
    lineStart -= k;
    eventStartAt = 0;
  }
}

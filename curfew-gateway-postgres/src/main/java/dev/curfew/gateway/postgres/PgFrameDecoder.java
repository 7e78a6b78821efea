package dev.curfew.gateway.postgres;

import io.vertx.core.buffer.Buffer;

/**
 * Splits one direction of a PostgreSQL v3 byte stream into messages (PostgreSQL documentation,
 * "Frontend/Backend Protocol", 55.2 and 55.7 "Message Formats"): a startup-phase message is an
 * Int32 length (counting itself) and a body; every later message is a type byte, an Int32 length
 * (counting itself, not the type) and a body.
 *
 * <p>The decoder reads only headers unless {@code keepBody} asks for a type's body: a body it does
 * not keep is skipped without being buffered, so a large result row costs nothing here, and the
 * caller relays the chunks it was given byte for byte. A kept body is a slice of the chunk when it
 * lies inside one, else a copy; it is bounded by {@code maxBodyBytes} (an oversized length is a
 * {@link FrameException}, never an allocation). A MySQL gateway follows the same shape with its
 * 3-byte length and sequence byte.
 */
final class PgFrameDecoder {
  /** PostgreSQL's own bound on a startup packet (MAX_STARTUP_PACKET_LENGTH in pqcomm.h). */
  static final int MAX_STARTUP_BYTES = 10_000;

  /** Receives each message as it completes; {@code body} is null when it was skipped. */
  @FunctionalInterface
  interface Handler {
    /**
     * Returns false to stop decoding this chunk (the connection is being closed).
     *
     * @param endInChunk the offset in the current chunk just after the message's last byte
     */
    boolean frame(char type, int bodyBytes, Buffer body, int endInChunk);
  }

  /** Which message types' bodies the caller reads. */
  @FunctionalInterface
  interface KeepBody {
    boolean keep(char type);

    KeepBody ALL = t -> true;
    KeepBody NONE = t -> false;
  }

  /** The type reported for startup-phase messages, which have no type byte. */
  static final char STARTUP = '\0';

  private final int maxBodyBytes;
  private final KeepBody keepBody;
  private boolean startup;
  private final byte[] header = new byte[5];
  private int headerBytes;
  private char type;
  private int bodyBytes;
  private int bodyLeft = -1; // -1: reading a header
  private Buffer partial; // a kept body that spans chunks

  PgFrameDecoder(boolean startup, int maxBodyBytes, KeepBody keepBody) {
    if (maxBodyBytes < 0) throw new IllegalArgumentException("maxBodyBytes < 0: " + maxBodyBytes);
    this.startup = startup;
    this.maxBodyBytes = maxBodyBytes;
    this.keepBody = keepBody;
  }

  /** After the startup phase: messages carry a type byte from now on. */
  void startupDone() {
    startup = false;
  }

  /** Whether a message has begun but not completed (bytes are waiting for the rest of it). */
  boolean midFrame() {
    return headerBytes > 0 || bodyLeft >= 0;
  }

  /** Decodes {@code chunk}, calling {@code handler} for each completed message. */
  void decode(Buffer chunk, Handler handler) throws FrameException {
    int at = 0;
    int end = chunk.length();
    while (at < end) {
      if (bodyLeft < 0) {
        int headerSize = startup ? 4 : 5;
        while (headerBytes < headerSize && at < end) header[headerBytes++] = chunk.getByte(at++);
        if (headerBytes < headerSize) return;
        beginBody();
        if (bodyLeft == 0 && !complete(keepBody.keep(type) ? Buffer.buffer(0) : null, handler, at)) return;
        continue;
      }
      int take = Math.min(bodyLeft, end - at);
      boolean keep = keepBody.keep(type);
      if (keep) {
        if (partial == null && take == bodyLeft) {
          Buffer body = chunk.slice(at, at + take);
          at += take;
          bodyLeft = 0;
          if (!complete(body, handler, at)) return;
          continue;
        }
        if (partial == null) partial = Buffer.buffer(bodyBytes);
        partial.appendBuffer(chunk, at, take);
      }
      at += take;
      bodyLeft -= take;
      if (bodyLeft == 0) {
        Buffer body = partial;
        partial = null;
        if (!complete(keep ? body : null, handler, at)) return;
      }
    }
  }

  private void beginBody() throws FrameException {
    int lengthAt = startup ? 0 : 1;
    type = startup ? STARTUP : (char) (header[0] & 0xff);
    int length = ((header[lengthAt] & 0xff) << 24) | ((header[lengthAt + 1] & 0xff) << 16)
        | ((header[lengthAt + 2] & 0xff) << 8) | (header[lengthAt + 3] & 0xff);
    int max = startup ? MAX_STARTUP_BYTES : maxBodyBytes;
    if (length < 4 || length - 4 > max) {
      throw new FrameException("invalid message length " + Integer.toUnsignedString(length)
          + (startup ? " in the startup packet" : " of a '" + printable(type) + "' message") + " (at most " + max + " bytes)");
    }
    bodyBytes = length - 4;
    bodyLeft = bodyBytes;
  }

  private boolean complete(Buffer body, Handler handler, int endInChunk) {
    headerBytes = 0;
    bodyLeft = -1;
    return handler.frame(type, bodyBytes, body, endInChunk);
  }

  private static String printable(char c) {
    return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
  }

  /** A message that cannot be framed: the stream cannot be trusted beyond it. */
  static final class FrameException extends Exception {
    FrameException(String message) {
      super(message);
    }
  }
}

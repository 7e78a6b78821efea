package dev.curfew.gateway.postgres;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * Splits one direction of a PostgreSQL v3 byte stream into messages (PostgreSQL documentation,
 * "Frontend/Backend Protocol", 55.2 and 55.7 "Message Formats"): a startup-phase message is an
 * Int32 length (counting itself) and a body; every later message is a type byte, an Int32 length
 * (counting itself, not the type) and a body.
 *
 * <p>The decoder reads only headers unless {@code keepBody} asks for a type's body: a body it does
 * not keep is skipped without being buffered, so a large result row costs nothing here, and the
 * caller relays the chunks it was given byte for byte. A kept body is a slice of the chunk when it
 * lies inside one, else a copy that grows with the bytes as they arrive (never sized by the
 * announced length); it is bounded by {@code maxBodyBytes} (an oversized length is a
 * {@link FrameException}, never an allocation). A MySQL gateway follows the same shape with its
 * 3-byte length and sequence byte.
 */
final class PgFrameDecoder {
  /**
   * PostgreSQL's own bound on a startup packet: MAX_STARTUP_PACKET_LENGTH, 10000, in
   * src/include/libpq/pqcomm.h of the PostgreSQL source (github.com/postgres/postgres).
   */
  static final int MAX_STARTUP_BYTES = 10_000;

  /**
   * The bound on every message a client sends before it is logged in (its PasswordMessage, or
   * whatever it sends instead): PostgreSQL's own PG_MAX_AUTH_TOKEN_LENGTH, 65535, defined in
   * src/include/libpq/auth.h and used by recv_password_packet in src/backend/libpq/auth.c
   * ({@code pq_getmessage(&buf, PG_MAX_AUTH_TOKEN_LENGTH)}) of the PostgreSQL source. A stranger
   * gets no more than that; the larger bound of a logged-in client ({@link #limit}) comes after.
   */
  static final int MAX_LOGIN_BODY_BYTES = 65_535;

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

  private int maxBodyBytes;
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

  /** From the next message on, a body may hold up to {@code maxBodyBytes} (raised once the client is logged in). */
  void limit(int maxBodyBytes) {
    if (maxBodyBytes < 0) throw new IllegalArgumentException("maxBodyBytes < 0: " + maxBodyBytes);
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Whether a message has begun but not completed (bytes are waiting for the rest of it). */
  boolean midFrame() {
    return headerBytes > 0 || bodyLeft >= 0;
  }

  /** The bytes reserved for a kept body that spans chunks (0 when none is being gathered). */
  int heldCapacityBytes() {
    if (partial == null) return 0;
    ByteBuf b = ((BufferInternal) partial).getByteBuf(); // a slice of the buffer: its own capacity is what it holds
    while (b.unwrap() != null) b = b.unwrap();
    return b.capacity();
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
        // Sized by what arrived, not by what the header announced: it grows as the bytes come, so
        // a header alone (64 MiB announced, one byte sent) cannot make the gateway reserve its body.
        if (partial == null) partial = Buffer.buffer(take);
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

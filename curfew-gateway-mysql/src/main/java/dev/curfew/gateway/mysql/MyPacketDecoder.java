package dev.curfew.gateway.mysql;

import io.vertx.core.buffer.Buffer;

/**
 * Frames a byte stream into whole logical packets (MySQL Packets: a 3-byte length, a sequence id,
 * the payload; a payload of 2^24-1 bytes continues in the next packet, whose sequence id is one
 * more). Used for what the gateway must read whole: the client's login and commands, and the
 * upstream's login exchange. Bounded: a logical payload over {@code maxPayloadBytes} is refused as
 * soon as its headers say so, before its bytes arrive.
 *
 * <p>A packet that lies whole inside one chunk is handed over as a slice of it (no copy); only a
 * packet cut by a chunk boundary is gathered.
 */
final class MyPacketDecoder {
  /** The stream broke the framing rules; the message says how. */
  static final class FrameException extends Exception {
    private final int seq;

    FrameException(String message) {
      this(message, -1);
    }

    /** @param seq the sequence id of the packet header that broke the rules (the answer carries the next one) */
    FrameException(String message, int seq) {
      super(message);
      this.seq = seq;
    }

    /** The sequence id of the offending packet's header, or -1 when the fault is not in a header. */
    int seq() {
      return seq;
    }
  }

  /** Receives each whole logical packet. */
  interface Sink {
    /**
     * @param lastSeq the sequence id of its last physical packet (an answer carries the next one)
     * @param payload the logical payload (continuations joined)
     * @param raw the packet's bytes as they came, headers included, to relay unchanged
     * @return whether to go on; false holds the rest of the stream back unread ({@link #takeHeld})
     */
    boolean packet(int lastSeq, Buffer payload, Buffer raw) throws FrameException;
  }

  private final int maxPayloadBytes;
  private Buffer pending = Buffer.buffer();

  MyPacketDecoder(int maxPayloadBytes) {
    if (maxPayloadBytes < 1) throw new IllegalArgumentException("maxPayloadBytes < 1: " + maxPayloadBytes);
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /** Bytes held of a packet not yet whole. */
  int heldBytes() {
    return pending.length();
  }

  /** Hands over the bytes held of a packet not yet whole (they belong to another layer: a TLS handshake). */
  Buffer takeHeld() {
    Buffer b = pending;
    pending = Buffer.buffer();
    return b;
  }

  void decode(Buffer chunk, Sink sink) throws FrameException {
    Buffer buf;
    if (pending.length() == 0) {
      buf = chunk;
    } else {
      pending.appendBuffer(chunk);
      buf = pending;
    }
    int pos = 0;
    while (true) {
      int end = packetEnd(buf, pos);
      if (end < 0) break;
      Buffer raw = buf.slice(pos, end);
      int lastSeq = buf.getUnsignedByte(end - lastHeaderOffset(buf, pos, end));
      pos = end;
      if (!sink.packet(lastSeq, payloadOf(raw), raw)) break;
    }
    if (pos == buf.length()) {
      pending = Buffer.buffer();
    } else if (pos > 0 || buf != pending) {
      pending = buf.getBuffer(pos, buf.length()); // the rest, copied: the chunk is the transport's
    } // else nothing completed: what is held stays where it grows, not copied again for each chunk
  }

  /**
   * Where the logical packet starting at {@code pos} ends, or -1 when it is not whole yet. Checks
   * the bound and the continuation packets' sequence ids from the headers alone.
   */
  private int packetEnd(Buffer buf, int pos) throws FrameException {
    long total = 0;
    int at = pos;
    int expectedSeq = -1;
    while (true) {
      if (buf.length() - at < 4) return -1;
      int len = buf.getUnsignedMediumLE(at);
      int seq = buf.getUnsignedByte(at + 3);
      if (expectedSeq >= 0 && seq != expectedSeq) {
        throw new FrameException("packets out of order: sequence id " + seq + " where " + expectedSeq + " continues a packet", seq);
      }
      total += len;
      if (total > maxPayloadBytes) {
        throw new FrameException("packet too large: over " + maxPayloadBytes + " bytes", seq);
      }
      if (buf.length() - at - 4 < len) return -1;
      at += 4 + len;
      if (len < MyPackets.MAX_PACKET_PAYLOAD) return at;
      expectedSeq = (seq + 1) & 0xff;
    }
  }

  /** How far before {@code end} the last physical packet's sequence id sits. */
  private static int lastHeaderOffset(Buffer buf, int pos, int end) {
    int at = pos;
    while (true) {
      int len = buf.getUnsignedMediumLE(at);
      if (at + 4 + len == end) return end - (at + 3);
      at += 4 + len;
    }
  }

  private static Buffer payloadOf(Buffer raw) {
    int len = raw.getUnsignedMediumLE(0);
    if (len + 4 == raw.length()) return raw.slice(4, raw.length());
    Buffer joined = Buffer.buffer(raw.length());
    int at = 0;
    while (at < raw.length()) {
      int n = raw.getUnsignedMediumLE(at);
      joined.appendBuffer(raw, at + 4, n);
      at += 4 + n;
    }
    return joined;
  }
}

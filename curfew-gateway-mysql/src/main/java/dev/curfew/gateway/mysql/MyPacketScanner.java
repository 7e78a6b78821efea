package dev.curfew.gateway.mysql;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * Walks the upstream's byte stream packet by packet while relaying it, reading only the first
 * {@link #PREFIX_BYTES} bytes of each packet: enough for every field the gateway needs (an OK
 * packet's status and warning count sit after two length-encoded integers, at most 23 bytes in; a
 * column count or a COM_STMT_PREPARE OK is shorter). The rest of a packet, a row of any size, streams
 * through untouched and unbuffered.
 *
 * <p>The header and prefix of each packet are handed to the sink in the buffer that is about to be
 * relayed, so the sink may change bytes there (a warning count, a sequence id) and may ask for a
 * packet of its own to be inserted before it. A header or prefix cut by a chunk boundary is held
 * back (at most 4 + {@link #PREFIX_BYTES} bytes) and relayed with the next chunk.
 */
final class MyPacketScanner {
  static final int PREFIX_BYTES = 32;

  /** Sees each packet's header and prefix before they are relayed. */
  interface Sink {
    /**
     * @param buf the buffer being relayed; the packet's header starts at {@code at}
     * @param payloadBytes the packet's payload length
     * @param continuation whether this packet continues a longer one (its bytes are not a new message)
     * @return a buffer to relay before this packet, or null
     */
    Buffer packet(Buffer buf, int at, int payloadBytes, boolean continuation);
  }

  private Buffer carry; // a header or prefix not yet whole
  private long skipBytes; // payload bytes of the current packet still to pass through
  private boolean continues; // the previous packet had the maximum length

  /** Whether the stream is inside a packet (the next byte is not a header). */
  boolean midPacket() {
    return skipBytes > 0 || carry != null;
  }

  /** Relays {@code chunk} through {@code out}, calling {@code sink} for every packet whose prefix is whole. */
  void scan(Buffer chunk, Sink sink, Consumer<Buffer> out) {
    int pos = 0;
    if (carry != null) {
      int need = prefixNeed(carry);
      while (need > 0 && pos < chunk.length()) {
        int n = Math.min(need, chunk.length() - pos);
        carry.appendBuffer(chunk, pos, n);
        pos += n;
        need = prefixNeed(carry);
      }
      if (need > 0) return; // still not whole; nothing to relay yet
      Buffer held = carry;
      carry = null;
      Buffer before = visit(held, 0, sink);
      if (before != null) out.accept(before);
      out.accept(held);
      long rest = (long) held.getUnsignedMediumLE(0) + 4 - held.length();
      skipBytes = rest;
    }
    int emittedFrom = pos;
    while (pos < chunk.length()) {
      if (skipBytes > 0) {
        int n = (int) Math.min(skipBytes, chunk.length() - pos);
        skipBytes -= n;
        pos += n;
        continue;
      }
      int available = chunk.length() - pos;
      if (available < 4 || available < 4 + Math.min(chunk.getUnsignedMediumLE(pos), PREFIX_BYTES)) {
        if (pos > emittedFrom) out.accept(chunk.slice(emittedFrom, pos));
        carry = chunk.getBuffer(pos, chunk.length());
        return;
      }
      Buffer before = visit(chunk, pos, sink);
      if (before != null) {
        if (pos > emittedFrom) out.accept(chunk.slice(emittedFrom, pos));
        out.accept(before);
        emittedFrom = pos;
      }
      skipBytes = chunk.getUnsignedMediumLE(pos);
      pos += 4;
    }
    if (pos > emittedFrom) out.accept(emittedFrom == 0 && pos == chunk.length() ? chunk : chunk.slice(emittedFrom, pos));
  }

  private Buffer visit(Buffer buf, int at, Sink sink) {
    int len = buf.getUnsignedMediumLE(at);
    boolean continuation = continues;
    continues = len == MyPackets.MAX_PACKET_PAYLOAD;
    return sink.packet(buf, at, len, continuation);
  }

  /** Bytes still missing from a held header + prefix. */
  private static int prefixNeed(Buffer held) {
    if (held.length() < 4) return 4 - held.length();
    return Math.max(0, 4 + Math.min(held.getUnsignedMediumLE(0), PREFIX_BYTES) - held.length());
  }
}

package dev.curfew.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A session id ({@code s_} and 22 base64url characters for 128 random bits) held as two longs:
 * 32 bytes on the heap instead of 64 for the string, which matters at millions of sessions. The
 * string form is made when needed.
 */
final class SessionId {
  private final long hi;
  private final long lo;

  SessionId(long hi, long lo) {
    this.hi = hi;
    this.lo = lo;
  }

  long hi() {
    return hi;
  }

  long lo() {
    return lo;
  }

  /** Parses the string form; null when {@code s} is not one (never throws). */
  static SessionId parse(String s) {
    if (s == null || s.length() != 24 || !s.startsWith("s_")) return null;
    byte[] bytes;
    try {
      bytes = Base64.getUrlDecoder().decode(s.substring(2));
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (bytes.length != 16) return null;
    SessionId id = new SessionId(ByteBuffer.wrap(bytes).getLong(), ByteBuffer.wrap(bytes, 8, 8).getLong());
    return id.toString().equals(s) ? id : null; // only the canonical spelling
  }

  private static final byte[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".getBytes(StandardCharsets.US_ASCII);

  /**
   * {@code s_} and the base64url (no padding) of the 16 big-endian bytes of hi and lo. Written
   * straight from the two longs: every status answer needs the id, so this runs on every check.
   * 128 bits are 21 groups of 6 bits and 2 bits left over, which make the 22nd character.
   */
  @Override
  public String toString() {
    return format(hi, lo);
  }

  /** The string form of the id (hi, lo), without an object for it. */
  static String format(long hi, long lo) {
    byte[] out = new byte[24];
    out[0] = 's';
    out[1] = '_';
    int o = 2;
    // Bits 127..0 of (hi, lo); take 6 at a time from the top.
    for (int shift = 122; shift >= 0; shift -= 6) {
      out[o++] = ALPHABET[bits6(hi, lo, shift)];
    }
    out[o] = ALPHABET[(int) (lo & 0x3) << 4]; // the last 2 bits, then 4 zero bits
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  /** The 6 bits of the 128-bit value (hi, lo) whose lowest bit is {@code shift}. */
  private static int bits6(long hi, long lo, int shift) {
    long v;
    if (shift >= 64) {
      v = hi >>> (shift - 64);
    } else if (shift > 58) {
      v = (lo >>> shift) | (hi << (64 - shift));
    } else {
      v = lo >>> shift;
    }
    return (int) (v & 0x3F);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionId && ((SessionId) o).hi == hi && ((SessionId) o).lo == lo;
  }

  @Override
  public int hashCode() {
    return hash(lo);
  }

  /** The hash of an id whose low word is {@code lo} (its bits are random). */
  static int hash(long lo) {
    return (int) (lo ^ (lo >>> 32));
  }
}

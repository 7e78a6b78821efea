package dev.curfew.core;

import java.nio.ByteBuffer;
import java.util.Base64;

/**
 * A session id ({@code s_} and 22 base64url characters for 128 random bits) held as two longs:
 * 32 bytes on the heap instead of 64 for the string, which matters at millions of sessions. The
 * string form is made when needed.
 */
final class SessionId {
  private final long hi;
  private final long lo;

  private SessionId(long hi, long lo) {
    this.hi = hi;
    this.lo = lo;
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

  @Override
  public String toString() {
    byte[] b = ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
    return "s_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionId && ((SessionId) o).hi == hi && ((SessionId) o).lo == lo;
  }

  @Override
  public int hashCode() {
    return (int) (lo ^ (lo >>> 32));
  }
}

package dev.curfew.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * SHA-256 of a session token: the only form in which a token is stored. Kept as four longs (48
 * bytes on the heap) so that an index of millions of sessions stays small.
 */
public final class TokenHash {
  private final long a;
  private final long b;
  private final long c;
  private final long d;

  private TokenHash(long a, long b, long c, long d) {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** Per-thread digest and buffers: hashing runs on every request, so it allocates nothing. */
  private static final class Hasher {
    final MessageDigest sha256;
    final byte[] in = new byte[128];
    final byte[] out = new byte[32];

    Hasher() {
      try {
        sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 missing from the JDK", e);
      }
    }

    TokenHash hash(String token) {
      int n = token.length();
      if (n > in.length) {
        return fromBytes(sha256.digest(token.getBytes(StandardCharsets.US_ASCII)));
      }
      for (int i = 0; i < n; i++) {
        char c = token.charAt(i);
        if (c >= 0x80) {
          return fromBytes(sha256.digest(token.getBytes(StandardCharsets.US_ASCII)));
        }
        in[i] = (byte) c;
      }
      sha256.update(in, 0, n);
      try {
        sha256.digest(out, 0, 32);
      } catch (java.security.DigestException e) {
        throw new IllegalStateException(e);
      }
      return new TokenHash(longAt(out, 0), longAt(out, 8), longAt(out, 16), longAt(out, 24));
    }

    private static long longAt(byte[] b, int i) {
      long v = 0;
      for (int k = 0; k < 8; k++) v = (v << 8) | (b[i + k] & 0xFF);
      return v;
    }
  }

  private static final ThreadLocal<Hasher> HASHER = ThreadLocal.withInitial(Hasher::new);

  /** SHA-256 of the token's ASCII bytes. */
  public static TokenHash of(String token) {
    return HASHER.get().hash(token);
  }

  public static TokenHash fromBytes(byte[] digest32) {
    if (digest32.length != 32) {
      throw new IllegalArgumentException("a token hash is 32 bytes, not " + digest32.length);
    }
    ByteBuffer bb = ByteBuffer.wrap(digest32);
    return new TokenHash(bb.getLong(), bb.getLong(), bb.getLong(), bb.getLong());
  }

  public static TokenHash fromHex(String hex) {
    return fromBytes(HexFormat.of().parseHex(hex));
  }

  /** The hash from its four words (most significant first), as {@link Session} holds it inline. */
  static TokenHash ofWords(long a, long b, long c, long d) {
    return new TokenHash(a, b, c, d);
  }

  long a() {
    return a;
  }

  long b() {
    return b;
  }

  long c() {
    return c;
  }

  long d() {
    return d;
  }

  public byte[] toBytes() {
    return ByteBuffer.allocate(32).putLong(a).putLong(b).putLong(c).putLong(d).array();
  }

  /** The first byte of the hash (0-255), as {@link #toBytes()}{@code [0]} unsigned, without the array. */
  public int leadingByte() {
    return (int) (a >>> 56);
  }

  public String toHex() {
    return HexFormat.of().formatHex(toBytes());
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TokenHash)) return false;
    TokenHash t = (TokenHash) o;
    return a == t.a && b == t.b && c == t.c && d == t.d;
  }

  @Override
  public int hashCode() {
    return (int) (a ^ (a >>> 32));
  }

  @Override
  public String toString() {
    return "TokenHash[redacted]";
  }
}

package dev.curfew.core.audit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;

/**
 * Writes JSON in the canonical form of RFC 8785 (JSON Canonicalization Scheme) for the values
 * Curfew records hold: objects (keys sorted by UTF-16 code units, which is {@link
 * String#compareTo}), arrays, strings, integers, booleans and null. No white space; strings escape
 * only what RFC 8785 §3.2.2.2 requires ({@code "}, {@code \}, and control characters, with the
 * short escapes for backspace, form feed, line feed, carriage return and tab, and lower-case hex escapes for the rest).
 *
 * <p>Floating-point numbers are refused: no record needs one, and the ECMAScript number
 * serialization they would require is a source of cross-implementation disagreement.
 */
public final class CanonicalJson {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** Largest integer every JSON implementation reads exactly (2^53 - 1, RFC 8785 §3.2.2.3). */
  public static final long MAX_SAFE_INTEGER = 9_007_199_254_740_991L;

  private CanonicalJson() {}

  public static String write(Object value) {
    StringBuilder out = new StringBuilder(256);
    write(value, out);
    return out.toString();
  }

  public static byte[] bytes(Object value) {
    return write(value).getBytes(StandardCharsets.UTF_8);
  }

  public static void write(Object value, StringBuilder out) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String) {
      writeString((String) value, out);
    } else if (value instanceof Boolean) {
      out.append(((Boolean) value) ? "true" : "false");
    } else if (value instanceof Long || value instanceof Integer || value instanceof Short) {
      writeLong(((Number) value).longValue(), out);
    } else if (value instanceof Map) {
      writeObject((Map<?, ?>) value, out);
    } else if (value instanceof Collection) {
      out.append('[');
      boolean first = true;
      for (Object item : (Collection<?>) value) {
        if (!first) out.append(',');
        first = false;
        write(item, out);
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("not a canonical JSON value: " + value.getClass().getName());
    }
  }

  /** An integer, as {@link #write} writes a {@code Long}, without boxing it. */
  public static void writeLong(long n, StringBuilder out) {
    if (n > MAX_SAFE_INTEGER || n < -MAX_SAFE_INTEGER) {
      throw new IllegalArgumentException("integer beyond 2^53-1: " + n);
    }
    out.append(n);
  }

  private static final java.util.Comparator<Map.Entry<?, ?>> BY_KEY =
      (a, b) -> ((String) a.getKey()).compareTo((String) b.getKey());

  private static void writeObject(Map<?, ?> map, StringBuilder out) {
    // The entries themselves (a HashMap's are its nodes), sorted by key: no list of keys, no lookups.
    Map.Entry<?, ?>[] entries = map.entrySet().toArray(new Map.Entry<?, ?>[0]);
    for (Map.Entry<?, ?> e : entries) {
      if (!(e.getKey() instanceof String)) {
        throw new IllegalArgumentException("object key is not a string: " + e.getKey());
      }
    }
    Arrays.sort(entries, BY_KEY);
    out.append('{');
    for (int i = 0; i < entries.length; i++) {
      if (i > 0) out.append(',');
      writeString((String) entries[i].getKey(), out);
      out.append(':');
      write(entries[i].getValue(), out);
    }
    out.append('}');
  }

  static void writeString(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"': out.append("\\\""); break;
        case '\\': out.append("\\\\"); break;
        case '\b': out.append("\\b"); break;
        case '\f': out.append("\\f"); break;
        case '\n': out.append("\\n"); break;
        case '\r': out.append("\\r"); break;
        case '\t': out.append("\\t"); break;
        default:
          if (c < 0x20) {
            out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
          } else if (Character.isSurrogate(c) && !validSurrogateAt(s, i)) {
            throw new IllegalArgumentException("lone surrogate at index " + i);
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }

  /**
   * The index of the first half of a surrogate pair in {@code s} that has no other half, or -1:
   * such a string is not Unicode text (RFC 8259 section 8.2), has no UTF-8 form, and is no I-JSON
   * string (RFC 7493 section 2.1): {@link Json} does not read one, nor this class write one.
   */
  static int loneSurrogateAt(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i)) && !validSurrogateAt(s, i)) return i;
    }
    return -1;
  }

  private static boolean validSurrogateAt(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}

package dev.curfew.core.audit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/*
 * Decides, in one pass over UTF-8 bytes and without building any value, whether a line is a JSON
 * object that CanonicalJson would write byte for byte the same: the subset of RFC 8785 Curfew
 * uses. That is exactly the lines where Json.parse then CanonicalJson.write gives the same text:
 *
 *   - no white space anywhere; nesting at most Json.MAX_DEPTH;
 *   - integers only: 0 or -?[1-9][0-9]*, never -0, magnitude <= 2^53 - 1 (no fraction, no
 *     exponent: CanonicalJson refuses non-integers);
 *   - strings: raw characters except '"', '\' and controls below 0x20, which are escaped as
 *     \" \\ \b \f \n \r \t or, for the other controls, backslash-u00xx in lower case; any other escape
 *     (\/, backslash-u0041, upper-case hex) is not canonical; the bytes are well-formed UTF-8 (shortest
 *     form, no encoded surrogates, at most U+10FFFF);
 *   - object keys strictly increasing in UTF-16 code units (so also unique); for ASCII keys
 *     without escapes that is unsigned byte order, for the rest the keys are decoded and compared
 *     as Strings.
 *
 * AuditVerifier uses it as its fast path (most of the cost of verifying a record otherwise goes to
 * building maps and re-serializing them) and falls back to Json and CanonicalJson only to explain a
 * failure. CanonicalJsonScannerTest checks that both paths agree on random and mutated lines.
 */

/** A one-pass check that a UTF-8 line is a canonical JSON object; reports top-level members. */
final class CanonicalJsonScanner {

  /** Limit on top-level members a record may have (records have about ten). */
  static final int MAX_MEMBERS = 64;

  private static final long MAX_SAFE_INTEGER = CanonicalJson.MAX_SAFE_INTEGER;
  private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

  // Top-level members of the last line scanned: key content (without quotes) and value spans.
  final int[] keyStart = new int[MAX_MEMBERS];
  final int[] keyEnd = new int[MAX_MEMBERS];
  final int[] valueStart = new int[MAX_MEMBERS];
  final int[] valueEnd = new int[MAX_MEMBERS];
  int members;

  /** Why the last line was refused, and where; null when it was accepted. */
  String problem;
  int problemOffset;

  private byte[] b;
  private int pos;
  private int end;
  private boolean lastStringPlain; // the string just scanned was ASCII without escapes

  /** Whether {@code bytes[offset, offset + length)} is a canonical JSON object. */
  boolean scan(byte[] bytes, int offset, int length) {
    b = bytes;
    pos = offset;
    end = offset + length;
    members = 0;
    problem = null;
    if (pos >= end || b[pos] != '{') {
      return fail("not a JSON object");
    }
    if (!object(0, true)) {
      return false;
    }
    return pos == end || fail("trailing content");
  }

  private boolean value(int depth) {
    if (depth > Json.MAX_DEPTH) {
      return fail("nesting deeper than " + Json.MAX_DEPTH);
    }
    if (pos >= end) {
      return fail("unexpected end");
    }
    switch (b[pos]) {
      case '{': return object(depth, false);
      case '[': return array(depth);
      case '"': return string();
      case 't': return literal(TRUE);
      case 'f': return literal(FALSE);
      case 'n': return literal(NULL);
      default: return integer();
    }
  }

  private boolean object(int depth, boolean top) {
    pos++; // '{'
    if (pos < end && b[pos] == '}') {
      pos++;
      return true;
    }
    int previousStart = -1;
    int previousEnd = -1;
    boolean previousPlain = false;
    while (true) {
      if (pos >= end || b[pos] != '"') {
        return fail("expected a key");
      }
      int start = pos + 1;
      if (!string()) {
        return false;
      }
      int keyEndExclusive = pos - 1;
      boolean plain = lastStringPlain;
      if (previousStart >= 0
          && compareKeys(previousStart, previousEnd, previousPlain, start, keyEndExclusive, plain) >= 0) {
        return fail("keys not in increasing order (or repeated)");
      }
      if (pos >= end || b[pos] != ':') {
        return fail("expected ':'");
      }
      pos++;
      int valueFrom = pos;
      if (!value(depth + 1)) {
        return false;
      }
      if (top) {
        if (members == MAX_MEMBERS) {
          return fail("more than " + MAX_MEMBERS + " top-level fields");
        }
        keyStart[members] = start;
        keyEnd[members] = keyEndExclusive;
        valueStart[members] = valueFrom;
        valueEnd[members] = pos;
        members++;
      }
      previousStart = start;
      previousEnd = keyEndExclusive;
      previousPlain = plain;
      if (pos >= end) {
        return fail("unexpected end");
      }
      byte c = b[pos++];
      if (c == '}') {
        return true;
      }
      if (c != ',') {
        pos--;
        return fail("expected ',' or '}'");
      }
    }
  }

  private boolean array(int depth) {
    pos++; // '['
    if (pos < end && b[pos] == ']') {
      pos++;
      return true;
    }
    while (true) {
      if (!value(depth + 1)) {
        return false;
      }
      if (pos >= end) {
        return fail("unexpected end");
      }
      byte c = b[pos++];
      if (c == ']') {
        return true;
      }
      if (c != ',') {
        pos--;
        return fail("expected ',' or ']'");
      }
    }
  }

  private boolean string() {
    pos++; // '"'
    boolean plain = true;
    while (true) {
      if (pos >= end) {
        return fail("unterminated string");
      }
      int c = b[pos] & 0xff;
      if (c == '"') {
        pos++;
        lastStringPlain = plain;
        return true;
      }
      if (c < 0x20) {
        return fail("raw control character in a string");
      }
      if (c == '\\') {
        plain = false;
        if (!escape()) {
          return false;
        }
      } else if (c < 0x80) {
        pos++;
      } else {
        plain = false;
        if (!utf8Sequence(c)) {
          return false;
        }
      }
    }
  }

  /** An escape at pos (the backslash): only the ones CanonicalJson writes. */
  private boolean escape() {
    if (pos + 1 >= end) {
      return fail("unterminated escape");
    }
    switch (b[pos + 1]) {
      case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
        pos += 2;
        return true;
      case 'u':
        if (pos + 6 > end || b[pos + 2] != '0' || b[pos + 3] != '0') {
          return fail("\\u escape of a character that is written raw");
        }
        int high = b[pos + 4] - '0';
        int low = lowerHex(b[pos + 5]);
        int c = high * 16 + low;
        if (high < 0 || high > 1 || low < 0 || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
          return fail("\\u escape that is not the canonical one");
        }
        pos += 6;
        return true;
      default:
        return fail("escape that is not canonical");
    }
  }

  /** A multi-byte UTF-8 sequence starting with {@code lead} at pos (RFC 3629 §4 table). */
  private boolean utf8Sequence(int lead) {
    int length;
    int secondMin = 0x80;
    int secondMax = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) secondMin = 0xa0; // no overlong
      if (lead == 0xed) secondMax = 0x9f; // no surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) secondMin = 0x90; // no overlong
      if (lead == 0xf4) secondMax = 0x8f; // at most U+10FFFF
    } else {
      return fail("invalid UTF-8");
    }
    if (pos + length > end) {
      return fail("invalid UTF-8");
    }
    int second = b[pos + 1] & 0xff;
    if (second < secondMin || second > secondMax) {
      return fail("invalid UTF-8");
    }
    for (int i = 2; i < length; i++) {
      int cont = b[pos + i] & 0xff;
      if (cont < 0x80 || cont > 0xbf) {
        return fail("invalid UTF-8");
      }
    }
    pos += length;
    return true;
  }

  private boolean integer() {
    int start = pos;
    boolean negative = b[pos] == '-';
    if (negative) {
      pos++;
    }
    if (pos >= end || b[pos] < '0' || b[pos] > '9') {
      return fail("unexpected character");
    }
    if (b[pos] == '0') {
      pos++;
      if (negative) {
        return fail("-0 is written 0");
      }
    } else {
      long value = 0;
      while (pos < end && b[pos] >= '0' && b[pos] <= '9') {
        value = value * 10 + (b[pos] - '0');
        pos++;
        if (value > MAX_SAFE_INTEGER) {
          pos = start;
          return fail("integer beyond 2^53-1");
        }
      }
    }
    if (pos < end && (b[pos] == '.' || b[pos] == 'e' || b[pos] == 'E')) {
      return fail("number that is not an integer");
    }
    return true;
  }

  private boolean literal(byte[] word) {
    if (pos + word.length > end || !Arrays.equals(b, pos, pos + word.length, word, 0, word.length)) {
      return fail("unexpected literal");
    }
    pos += word.length;
    return true;
  }

  private int compareKeys(int s1, int e1, boolean plain1, int s2, int e2, boolean plain2) {
    if (plain1 && plain2) {
      return Arrays.compareUnsigned(b, s1, e1, b, s2, e2);
    }
    return decodeString(b, s1, e1).compareTo(decodeString(b, s2, e2));
  }

  /** The value of the (already validated) JSON string whose content is {@code bytes[start, end)}. */
  static String decodeString(byte[] bytes, int start, int end) {
    return (String) Json.parse(new String(bytes, start - 1, end - start + 2, StandardCharsets.UTF_8));
  }

  /** Parses an integer the scanner accepted at {@code bytes[start, end)}. */
  static long parseInteger(byte[] bytes, int start, int end) {
    boolean negative = bytes[start] == '-';
    long value = 0;
    for (int i = negative ? start + 1 : start; i < end; i++) {
      value = value * 10 + (bytes[i] - '0');
    }
    return negative ? -value : value;
  }

  private static int lowerHex(byte c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  }

  private boolean fail(String why) {
    problem = why;
    problemOffset = pos;
    return false;
  }
}

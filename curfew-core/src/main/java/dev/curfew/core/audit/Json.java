package dev.curfew.core.audit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259) for the files Curfew writes itself: audit records,
 * snapshots and journals. Objects become {@link LinkedHashMap}, arrays {@link ArrayList}, integers
 * {@link Long}, other numbers {@link Double}. Duplicate keys, trailing content, and nesting deeper
 * than {@link #MAX_DEPTH} are errors, and so is a string holding half a surrogate pair (a JSON
 * escape of one of D800-DFFF alone, or such a char of the text): it is not text, no UTF-8 holds
 * it, and I-JSON forbids it (RFC 7493 section 2.1), so nothing Curfew writes has one and nothing
 * read may bring one in. The server reads untrusted HTTP bodies with Jackson; this reader exists
 * so that the core, which recovers state from its own log, depends on nothing.
 */
public final class Json {
  public static final int MAX_DEPTH = 64;

  private final String s;
  private int i;

  private Json(String s) {
    this.s = s;
  }

  public static Object parse(String text) {
    Json p = new Json(text);
    p.skipWs();
    Object v = p.value(0);
    p.skipWs();
    if (p.i != p.s.length()) {
      throw p.error("trailing content");
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object v = parse(text);
    if (!(v instanceof Map)) {
      throw new IllegalArgumentException("JSON is not an object");
    }
    return (Map<String, Object>) v;
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
    if (i >= s.length()) throw error("unexpected end");
    char c = s.charAt(i);
    switch (c) {
      case '{': return object(depth);
      case '[': return array(depth);
      case '"': return string();
      case 't': return literal("true", Boolean.TRUE);
      case 'f': return literal("false", Boolean.FALSE);
      case 'n': return literal("null", null);
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return number();
        throw error("unexpected character '" + c + "'");
    }
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> map = new LinkedHashMap<>();
    i++;
    skipWs();
    if (peek() == '}') {
      i++;
      return map;
    }
    while (true) {
      skipWs();
      if (peek() != '"') throw error("expected a key");
      String key = string();
      skipWs();
      expect(':');
      skipWs();
      Object v = value(depth + 1);
      if (map.containsKey(key)) throw error("duplicate key \"" + key + "\"");
      map.put(key, v);
      skipWs();
      char c = next();
      if (c == '}') return map;
      if (c != ',') throw error("expected ',' or '}'");
    }
  }

  private List<Object> array(int depth) {
    List<Object> list = new ArrayList<>();
    i++;
    skipWs();
    if (peek() == ']') {
      i++;
      return list;
    }
    while (true) {
      skipWs();
      list.add(value(depth + 1));
      skipWs();
      char c = next();
      if (c == ']') return list;
      if (c != ',') throw error("expected ',' or ']'");
    }
  }

  private String string() {
    i++;
    StringBuilder b = null;
    int start = i;
    boolean surrogates = false;
    while (true) {
      if (i >= s.length()) throw error("unterminated string");
      char c = s.charAt(i);
      if (c == '"') {
        String out = b == null ? s.substring(start, i) : b.append(s, start, i).toString();
        int lone = surrogates ? CanonicalJson.loneSurrogateAt(out) : -1;
        if (lone >= 0) throw error("lone surrogate at index " + lone + " of a string");
        i++;
        return out;
      }
      if (Character.isSurrogate(c)) surrogates = true;
      if (c < 0x20) throw error("control character in string");
      if (c == '\\') {
        if (b == null) b = new StringBuilder();
        b.append(s, start, i);
        i++;
        char e = next();
        switch (e) {
          case '"': b.append('"'); break;
          case '\\': b.append('\\'); break;
          case '/': b.append('/'); break;
          case 'b': b.append('\b'); break;
          case 'f': b.append('\f'); break;
          case 'n': b.append('\n'); break;
          case 'r': b.append('\r'); break;
          case 't': b.append('\t'); break;
          case 'u':
            if (i + 4 > s.length()) throw error("short \\u escape");
            try {
              char u = (char) Integer.parseInt(s.substring(i, i + 4), 16);
              if (Character.isSurrogate(u)) surrogates = true;
              b.append(u);
            } catch (NumberFormatException ex) {
              throw error("bad \\u escape");
            }
            i += 4;
            break;
          default: throw error("bad escape \\" + e);
        }
        start = i;
      } else {
        i++;
      }
    }
  }

  private Object number() {
    int start = i;
    if (peek() == '-') i++;
    if (peek() == '0') {
      i++;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') i++;
    } else {
      throw error("bad number");
    }
    boolean integral = true;
    if (peek() == '.') {
      integral = false;
      i++;
      if (!(peek() >= '0' && peek() <= '9')) throw error("bad fraction");
      while (peek() >= '0' && peek() <= '9') i++;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      i++;
      if (peek() == '+' || peek() == '-') i++;
      if (!(peek() >= '0' && peek() <= '9')) throw error("bad exponent");
      while (peek() >= '0' && peek() <= '9') i++;
    }
    String text = s.substring(start, i);
    if (integral && text.length() <= 18) {
      return Long.parseLong(text);
    }
    return Double.parseDouble(text);
  }

  private Object literal(String word, Object value) {
    if (!s.startsWith(word, i)) throw error("unexpected literal");
    i += word.length();
    return value;
  }

  private void skipWs() {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
      else break;
    }
  }

  private char peek() {
    return i < s.length() ? s.charAt(i) : '\0';
  }

  private char next() {
    if (i >= s.length()) throw error("unexpected end");
    return s.charAt(i++);
  }

  private void expect(char c) {
    if (next() != c) throw error("expected '" + c + "'");
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("bad JSON at offset " + i + ": " + what);
  }
}

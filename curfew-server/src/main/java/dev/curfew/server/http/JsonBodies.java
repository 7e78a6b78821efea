package dev.curfew.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict reading of untrusted JSON bodies, and writing of responses. Bodies become Jackson trees
 * (duplicate keys, trailing content and nesting deeper than {@link #MAX_DEPTH} are errors), and
 * values meant for audit records are converted to what canonical JSON (RFC 8785, as the core
 * writes it) can hold: strings without lone surrogates, booleans, integers within 2^53-1, objects
 * and arrays. A {@link BadInput} always becomes a 400, never a 5xx from deep in the core.
 */
public final class JsonBodies {
  static final int MAX_DEPTH = 16;
  private static final long MAX_SAFE_INTEGER = 9_007_199_254_740_991L;

  static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(MAX_DEPTH)
          .maxStringLength(65_536)
          .maxNumberLength(64)
          .build())
      .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .build())
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private JsonBodies() {}

  /** Bad input with a sentence for the caller: a 400. */
  static final class BadInput extends RuntimeException {
    BadInput(String message) {
      super(message, null, false, false);
    }
  }

  static byte[] write(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a response", e);
    }
  }

  public static String writeString(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a response", e);
    }
  }

  /** The request body read by the BodyHandler; empty when there is none. */
  static byte[] bytes(io.vertx.ext.web.RoutingContext ctx) {
    return ctx.body().available() && ctx.body().buffer() != null ? ctx.body().buffer().getBytes() : new byte[0];
  }

  /** The body as a JSON object; {@code optional}: an empty body is an empty object. */
  static ObjectNode object(byte[] body, boolean optional) {
    if (body == null || body.length == 0 || isBlank(body)) {
      if (optional) return MAPPER.createObjectNode();
      throw new BadInput("a JSON object body is required");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (IOException e) {
      throw new BadInput("malformed JSON: " + malformed(e));
    }
    if (node == null || !node.isObject()) throw new BadInput("the body must be a JSON object");
    return (ObjectNode) node;
  }

  /**
   * The parser's complaint without its own internals (Jackson's "start marker at [Source: REDACTED
   * (`StreamReadFeature...` disabled); ...]"), then where in the body: line and column.
   */
  private static String malformed(IOException e) {
    if (!(e instanceof JsonProcessingException j)) return firstLine(e.getMessage());
    String why = firstLine(j.getOriginalMessage()).replaceAll("\\s*\\(start marker at \\[Source:.*$", "")
        .replaceAll("\\s*\\[Source:.*$", "");
    var at = j.getLocation();
    return at == null || at.getLineNr() < 1 ? why : why + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
  }

  /** Refuses fields other than {@code allowed}, naming the first unknown one. */
  static void onlyFields(ObjectNode body, Set<String> allowed) {
    Iterator<String> names = body.fieldNames();
    while (names.hasNext()) {
      String n = names.next();
      if (!allowed.contains(n)) {
        throw new BadInput("unknown field \"" + printable(n) + "\" (allowed: " + String.join(", ", allowed) + ")");
      }
    }
  }

  /** A string field; null when absent or JSON null and not {@code required}. */
  static String text(ObjectNode body, String field, boolean required, int maxChars) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) {
      if (required) throw new BadInput("\"" + field + "\" is required");
      return null;
    }
    if (!n.isTextual()) throw new BadInput("\"" + field + "\" must be a string");
    String s = n.textValue();
    if (s.length() > maxChars) throw new BadInput("\"" + field + "\" is longer than " + maxChars + " characters");
    checkText(s, field);
    return s;
  }

  static boolean bool(ObjectNode body, String field, boolean absent) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) return absent;
    if (!n.isBoolean()) throw new BadInput("\"" + field + "\" must be true or false");
    return n.booleanValue();
  }

  /** An object field as plain values for an audit record; null when absent. */
  static Map<String, Object> attributes(ObjectNode body, String field) {
    JsonNode n = body.get(field);
    if (n == null || n.isNull()) return null;
    if (!n.isObject()) throw new BadInput("\"" + field + "\" must be an object");
    @SuppressWarnings("unchecked")
    Map<String, Object> m = (Map<String, Object>) plain(n, field);
    return m;
  }

  private static Object plain(JsonNode n, String path) {
    switch (n.getNodeType()) {
      case STRING:
        checkText(n.textValue(), path);
        return n.textValue();
      case BOOLEAN:
        return n.booleanValue();
      case NUMBER:
        if (!n.isIntegralNumber() || !n.canConvertToLong()
            || Math.abs(n.longValue()) > MAX_SAFE_INTEGER) {
          throw new BadInput(path + ": numbers must be integers within ±(2^53-1)");
        }
        return n.longValue();
      case OBJECT: {
        Map<String, Object> m = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = n.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          checkText(e.getKey(), path + " key");
          m.put(e.getKey(), plain(e.getValue(), path + "." + printable(e.getKey())));
        }
        return m;
      }
      case ARRAY: {
        List<Object> l = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) l.add(plain(n.get(i), path + "[" + i + "]"));
        return l;
      }
      default:
        throw new BadInput(path + ": null and binary values are not allowed");
    }
  }

  /** Text that canonical JSON can hold: no lone UTF-16 surrogates. */
  static void checkText(String s, String what) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new BadInput(what + ": lone UTF-16 surrogate at index " + i);
      }
    }
  }

  private static boolean isBlank(byte[] b) {
    for (byte x : b) {
      if (x != ' ' && x != '\t' && x != '\r' && x != '\n') return false;
    }
    return true;
  }

  private static String firstLine(String s) {
    if (s == null) return "unreadable";
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  private static String printable(String s) {
    String t = s.length() > 64 ? s.substring(0, 64) + "..." : s;
    return t.replaceAll("[\\p{Cntrl}\"\\\\]", "?");
  }
}

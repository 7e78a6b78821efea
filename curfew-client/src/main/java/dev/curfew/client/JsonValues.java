package dev.curfew.client;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Typed reads of the maps that curfew-core's JSON reader returns: a missing member is null. */
final class JsonValues {
  private JsonValues() {}

  static String string(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v == null ? null : v.toString();
  }

  static Instant instant(Map<String, Object> m, String key) {
    String v = string(m, key);
    return v == null ? null : Instant.parse(v);
  }

  static long longValue(Map<String, Object> m, String key, long absent) {
    Object v = m.get(key);
    return v instanceof Number n ? n.longValue() : absent;
  }

  static Long optionalLong(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v instanceof Number n ? n.longValue() : null;
  }

  static Duration millis(Map<String, Object> m, String key) {
    Long v = optionalLong(m, key);
    return v == null ? null : Duration.ofMillis(v);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> object(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v instanceof Map ? (Map<String, Object>) v : null;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Map<String, Object> m, String key) {
    Object v = m.get(key);
    return v instanceof List ? (List<Object>) v : List.of();
  }

  static List<String> strings(Map<String, Object> m, String key) {
    return list(m, key).stream().map(String::valueOf).toList();
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> objects(Map<String, Object> m, String key) {
    return list(m, key).stream().map(o -> (Map<String, Object>) o).toList();
  }
}

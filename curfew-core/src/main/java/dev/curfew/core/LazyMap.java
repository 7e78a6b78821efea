package dev.curfew.core;

import java.util.AbstractMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * An unmodifiable map built on first read: event data that most publications never read (a new
 * session's {@code status} reaches no stream, since nobody can follow a session before it exists;
 * most warnings and endings the deadline thread publishes reach none either), so the engine does
 * not build it for every opening, warning and ending. Safe to read from any thread: a race builds the
 * map twice, from the same immutable source, and either copy is the answer.
 */
final class LazyMap extends AbstractMap<String, Object> {
  private final Supplier<Map<String, Object>> source;
  private volatile Map<String, Object> built;

  LazyMap(Supplier<Map<String, Object>> source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  private Map<String, Object> built() {
    Map<String, Object> m = built;
    if (m == null) {
      m = java.util.Collections.unmodifiableMap(source.get());
      built = m;
    }
    return m;
  }

  /** Whether the map was read (for tests). */
  boolean wasBuilt() {
    return built != null;
  }

  @Override
  public Set<Entry<String, Object>> entrySet() {
    return built().entrySet();
  }

  @Override
  public Object get(Object key) {
    return built().get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return built().containsKey(key);
  }

  @Override
  public int size() {
    return built().size();
  }
}

package dev.curfew.gateway.mysql;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The connection ids the gateway's greeting gives its clients, and the live connections by id.
 * Clients put that id in {@code KILL QUERY <id>} (the mariadb CLI on Ctrl-C, Connector/J's
 * cancel), so it must name one live connection: an id is never given twice while its connection
 * lives, and the id a KILL names is looked up here, never sent upstream. Ids count up from 1 and
 * wrap within 1..2^31-1 (Protocol::HandshakeV10 has 4 bytes for it; some drivers read them as a
 * signed int), skipping those still in use.
 *
 * @param <C> a connection ({@link MyConnection}; anything in tests)
 */
final class MyConnectionIds<C> {
  static final long MAX = 0x7fffffffL;

  private final Map<Long, C> live = new ConcurrentHashMap<>();
  private final AtomicLong counter = new AtomicLong();
  private final long max;

  MyConnectionIds() {
    this(MAX);
  }

  /** Ids within 1..{@code max} (tests take a short range to see the wrap). */
  MyConnectionIds(long max) {
    this.max = max;
  }

  /** A fresh id for {@code c}, held until {@link #release}. */
  long register(C c) {
    while (true) {
      long id = Math.floorMod(counter.getAndIncrement(), max) + 1;
      if (live.putIfAbsent(id, c) == null) return id;
    }
  }

  void release(long id, C c) {
    live.remove(id, c);
  }

  /** The live connection greeted with {@code id}, or null. */
  C get(long id) {
    return id < 1 || id > max ? null : live.get(id);
  }

  Collection<C> all() {
    return live.values();
  }
}

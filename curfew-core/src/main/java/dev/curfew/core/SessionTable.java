package dev.curfew.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-memory indexes of sessions: by token hash (current and, after a rotation, previous), by
 * session id, and by subject. Holds live sessions and, for a retention period, ended ones, so that
 * a replayed token is refused with the reason its session ended rather than {@code unknown}.
 */
final class SessionTable {
  private final Map<TokenHash, Session> byToken = new ConcurrentHashMap<>();
  private final Map<String, Session> byId = new ConcurrentHashMap<>();
  private final Map<String, Set<Session>> bySubject = new ConcurrentHashMap<>();
  private final AtomicInteger live = new AtomicInteger();

  Session byToken(TokenHash hash) {
    return byToken.get(hash);
  }

  Session byId(String id) {
    return byId.get(id);
  }

  /** Live sessions of a subject (ended ones are filtered out by the caller under their locks). */
  Collection<Session> bySubject(String subject) {
    Set<Session> set = bySubject.get(subject);
    return set == null ? List.of() : new ArrayList<>(set);
  }

  int liveCount() {
    return live.get();
  }

  int size() {
    return byId.size();
  }

  Collection<Session> all() {
    return byId.values();
  }

  void insert(Session s) {
    if (byId.putIfAbsent(s.id, s) != null) {
      throw new IllegalStateException("duplicate session id " + s.id);
    }
    byToken.put(s.tokenHash, s);
    if (s.previousTokenHash != null) {
      byToken.put(s.previousTokenHash, s);
    }
    if (!s.ended()) {
      bySubject.computeIfAbsent(s.subject, k -> ConcurrentHashMap.newKeySet()).add(s);
      live.incrementAndGet();
    }
  }

  void rotated(Session s, TokenHash dropped) {
    if (dropped != null) {
      byToken.remove(dropped, s);
    }
    byToken.put(s.tokenHash, s);
  }

  /** The session ended: it leaves the subject index and the live count, and stays findable. */
  void ended(Session s) {
    bySubject.computeIfPresent(s.subject, (k, set) -> {
      set.remove(s);
      return set.isEmpty() ? null : set;
    });
    live.decrementAndGet();
  }

  /** Forgets an ended session entirely. */
  void purge(Session s) {
    byId.remove(s.id, s);
    byToken.remove(s.tokenHash, s);
    if (s.previousTokenHash != null) {
      byToken.remove(s.previousTokenHash, s);
    }
  }
}

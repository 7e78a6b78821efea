package dev.curfew.core;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-memory indexes of sessions: by token hash (current and, after a rotation, previous), by
 * session id, and by subject. Holds live sessions and, for a retention period, ended ones, so that
 * a replayed token is refused with the reason its session ended rather than {@code unknown}.
 */
final class SessionTable {
  private final Map<TokenHash, Session> byToken = new ConcurrentHashMap<>();
  private final Map<SessionId, Session> byId = new ConcurrentHashMap<>();
  /** Subject to its live sessions: one {@link Session}, or a {@code Session[]} when several (most subjects have one). */
  private final Map<String, Object> bySubject = new ConcurrentHashMap<>();
  private final AtomicInteger live = new AtomicInteger();
  /**
   * Subject to its sessions that ended by an idle timeout under a policy with {@code resume_within}
   * and were not resumed yet ({@link Resumption}); an immutable list per subject. Bounded by the
   * ended sessions the table holds (a purged session leaves it too), and pruned of closed windows.
   */
  private final Map<String, List<Session>> resumable = new ConcurrentHashMap<>();

  Session byToken(TokenHash hash) {
    return byToken.get(hash);
  }

  Session byId(String id) {
    SessionId key = SessionId.parse(id);
    return key == null ? null : byId.get(key);
  }

  /** Live sessions of a subject (ended ones are filtered out by the caller under their locks). */
  Collection<Session> bySubject(String subject) {
    Object v = bySubject.get(subject);
    if (v == null) return List.of();
    if (v instanceof Session) return List.of((Session) v);
    return List.of((Session[]) v);
  }

  int liveCount() {
    return live.get();
  }

  /**
   * Calls {@code visitor} with every session in the subject index (the live ones) whose subject
   * {@code subjects} accepts. Weakly consistent: a session opened or ended meanwhile may or may not
   * be seen, and one seen may have ended since; callers decide under the session's lock.
   */
  void forEachLive(java.util.function.Predicate<String> subjects, java.util.function.Consumer<Session> visitor) {
    for (Map.Entry<String, Object> e : bySubject.entrySet()) {
      if (!subjects.test(e.getKey())) continue;
      Object v = e.getValue();
      if (v instanceof Session) {
        visitor.accept((Session) v);
      } else {
        for (Session s : (Session[]) v) visitor.accept(s);
      }
    }
  }

  int size() {
    return byId.size();
  }

  Collection<Session> all() {
    return byId.values();
  }

  void insert(Session s) {
    if (byId.putIfAbsent(s.key, s) != null) {
      throw new IllegalStateException("duplicate session id " + s.id());
    }
    byToken.put(s.tokenHash, s);
    if (s.previousTokenHash != null) {
      byToken.put(s.previousTokenHash, s);
    }
    if (!s.ended()) {
      bySubject.merge(s.subject, s, SessionTable::withSession);
      live.incrementAndGet();
    } else {
      rememberIfResumable(s);
    }
  }

  /** Ended sessions of {@code subject} that a new session might resume; the caller checks under their locks. */
  List<Session> resumableOf(String subject) {
    return resumable.getOrDefault(subject, List.of());
  }

  /** {@code s} was resumed (or is forgotten): no later session may resume it. */
  void notResumable(Session s) {
    resumable.computeIfPresent(s.subject, (k, v) -> {
      List<Session> kept = new ArrayList<>(v);
      kept.remove(s);
      return kept.isEmpty() ? null : List.copyOf(kept);
    });
  }

  /**
   * Remembers an idle-expired session under a policy with {@code resume_within}; those whose window
   * closed before this one expired are dropped meanwhile, so a subject's list holds only sessions
   * that may still be resumed (their fields no longer change once ended).
   */
  private void rememberIfResumable(Session s) {
    if (s.endReason != EndReason.IDLE_TIMEOUT || s.resumedBy != null || s.policy.resumeWithin() == null) return;
    resumable.merge(s.subject, List.of(s), (old, added) -> {
      List<Session> grown = new ArrayList<>(old.size() + 1);
      for (Session o : old) {
        if (o.idleExpiresAtMs + o.policy.resumeWithinMs() > s.idleExpiresAtMs) grown.add(o);
      }
      grown.addAll(added);
      return List.copyOf(grown);
    });
  }

  void rotated(Session s, TokenHash dropped) {
    if (dropped != null) {
      byToken.remove(dropped, s);
    }
    byToken.put(s.tokenHash, s);
  }

  /** The session ended: it leaves the subject index and the live count, and stays findable. */
  void ended(Session s) {
    bySubject.computeIfPresent(s.subject, (k, v) -> withoutSession(v, s));
    live.decrementAndGet();
    rememberIfResumable(s);
  }

  private static Object withSession(Object existing, Object added) {
    Session s = (Session) added;
    if (existing instanceof Session) {
      return existing == s ? existing : new Session[] {(Session) existing, s};
    }
    Session[] old = (Session[]) existing;
    for (Session o : old) {
      if (o == s) return old;
    }
    Session[] grown = java.util.Arrays.copyOf(old, old.length + 1);
    grown[old.length] = s;
    return grown;
  }

  private static Object withoutSession(Object existing, Session s) {
    if (existing instanceof Session) {
      return existing == s ? null : existing;
    }
    Session[] old = (Session[]) existing;
    List<Session> kept = new ArrayList<>(old.length);
    for (Session o : old) {
      if (o != s) kept.add(o);
    }
    if (kept.isEmpty()) return null;
    return kept.size() == 1 ? kept.get(0) : kept.toArray(new Session[0]);
  }

  /** Forgets an ended session entirely. */
  void purge(Session s) {
    notResumable(s);
    byId.remove(s.key, s);
    byToken.remove(s.tokenHash, s);
    if (s.previousTokenHash != null) {
      byToken.remove(s.previousTokenHash, s);
    }
  }
}

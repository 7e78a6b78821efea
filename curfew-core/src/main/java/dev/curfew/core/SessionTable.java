package dev.curfew.core;

import java.util.ArrayList;
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
  /** By the hash of the current token, held inline in the session ({@link SessionIndex}). */
  private final SessionIndex byToken = new SessionIndex(s -> tokenSlotHash(s.tokA));
  /** By the hash of a rotated-out token still remembered (few sessions have one). */
  private final Map<TokenHash, Session> byPreviousToken = new ConcurrentHashMap<>();
  /** By id, held inline in the session as two longs. */
  private final SessionIndex byId = new SessionIndex(Session::idHash);
  /**
   * The live sessions by subject: a slot per session (a subject's sessions share its probe chain),
   * so a subject costs its string, which the session holds anyway, and no map node.
   */
  private final SessionIndex bySubject = new SessionIndex(s -> s.subject.hashCode());
  private final AtomicInteger live = new AtomicInteger();
  /**
   * Subject to its sessions that ended by an idle timeout under a policy with {@code resume_within}
   * and were not resumed yet ({@link Resumption}); an immutable list per subject. Bounded by the
   * ended sessions the table holds (a purged session leaves it too), and pruned of closed windows.
   */
  private final Map<String, List<Session>> resumable = new ConcurrentHashMap<>();
  /**
   * Whether a session of the table ever ran under a policy with {@code resume_within}: until one
   * did, no session can be resumed, and an opening need not look at its subject's sessions for one.
   */
  private volatile boolean resumeWithinSeen;

  /** The first word of a token hash (its bits are random) as an index hash. */
  private static int tokenSlotHash(long a) {
    return (int) (a ^ (a >>> 32));
  }

  /**
   * The session whose current or previous token has {@code hash}, as the indexes say without its
   * lock: the caller confirms under the lock ({@link Session#tokenIs}, {@link
   * Session#previousTokenHash()}), since a rotation may move the token meanwhile.
   */
  Session byToken(TokenHash hash) {
    int h = tokenSlotHash(hash.a());
    for (;;) {
      Object[] t = byToken.table();
      int mask = t.length - 1;
      Session found = null;
      for (int i = SessionIndex.start(t, h); ; i = (i + 1) & mask) {
        Object o = SessionIndex.at(t, i);
        if (o == null) break;
        if (o != SessionIndex.TOMBSTONE && ((Session) o).tokenIs(hash)) {
          found = (Session) o;
          break;
        }
      }
      if (byToken.changed(t)) continue; // rebuilt meanwhile: the answer may be stale
      // A rotation puts the old token here before it leaves the index, so a miss there is seen here.
      return found != null ? found : byPreviousToken.get(hash);
    }
  }

  Session byId(String id) {
    SessionId key = SessionId.parse(id);
    return key == null ? null : byId(key.hi(), key.lo());
  }

  private Session byId(long hi, long lo) {
    int h = SessionId.hash(lo);
    for (;;) {
      Object[] t = byId.table();
      int mask = t.length - 1;
      Session found = null;
      for (int i = SessionIndex.start(t, h); ; i = (i + 1) & mask) {
        Object o = SessionIndex.at(t, i);
        if (o == null) break;
        if (o != SessionIndex.TOMBSTONE && ((Session) o).idLo == lo && ((Session) o).idHi == hi) {
          found = (Session) o;
          break;
        }
      }
      if (!byId.changed(t)) return found;
    }
  }

  /**
   * Live sessions of a subject, oldest first (ended ones are filtered out by the caller under their
   * locks); weakly consistent, as {@link #forEachLive}.
   */
  List<Session> bySubject(String subject) {
    int h = subject.hashCode();
    for (;;) {
      Object[] t = bySubject.table();
      int mask = t.length - 1;
      List<Session> found = null;
      for (int i = SessionIndex.start(t, h); ; i = (i + 1) & mask) {
        Object o = SessionIndex.at(t, i);
        if (o == null) break;
        // The string's cached hash first: a session of another subject on the chain costs its own
        // cache line, not also its subject's characters.
        if (o != SessionIndex.TOMBSTONE && ((Session) o).subject.hashCode() == h && ((Session) o).subject.equals(subject)) {
          if (found == null) found = new ArrayList<>(2);
          found.add((Session) o);
        }
      }
      if (bySubject.changed(t)) continue;
      if (found == null) return List.of();
      // Fixed before the session entered the index: safe to read without its lock.
      if (found.size() > 1) found.sort(OLDEST_FIRST);
      return found;
    }
  }

  private static final java.util.Comparator<Session> OLDEST_FIRST = (a, b) -> a.createdAtMs != b.createdAtMs
      ? Long.compare(a.createdAtMs, b.createdAtMs) : Session.openedBefore(a, b);

  int liveCount() {
    return live.get();
  }

  /**
   * Calls {@code visitor} with every session in the subject index (the live ones) whose subject
   * {@code subjects} accepts. Weakly consistent: a session opened or ended meanwhile may or may not
   * be seen, and one seen may have ended since; callers decide under the session's lock.
   */
  void forEachLive(java.util.function.Predicate<String> subjects, java.util.function.Consumer<Session> visitor) {
    bySubject.forEach(s -> {
      if (subjects.test(s.subject)) visitor.accept(s);
    });
  }

  int size() {
    return byId.size();
  }

  /** Every session the table holds, live and ended; weakly consistent. */
  List<Session> all() {
    List<Session> out = new ArrayList<>();
    byId.forEach(out::add);
    return out;
  }

  /** Adds {@code s}, whose token is set ({@link Session#setToken}); its id must be new. */
  void insert(Session s) {
    if (!s.hasToken()) throw new IllegalArgumentException(s.id() + " has no token");
    sawPolicy(s.policy);
    synchronized (byId) {
      if (byId(s.idHi, s.idLo) != null) {
        throw new IllegalStateException("duplicate session id " + s.id());
      }
      byId.add(s);
    }
    byToken.add(s);
    if (s.previous != null) {
      byPreviousToken.put(s.previous.hash, s);
    }
    if (!s.ended()) {
      bySubject.add(s);
      live.incrementAndGet();
    } else {
      rememberIfResumable(s);
    }
  }

  /** Notes that a session of the table runs under {@code p} (at its opening, or as a policy change narrows it). */
  void sawPolicy(Policy p) {
    if (p.resumeWithin() != null && !resumeWithinSeen) resumeWithinSeen = true;
  }

  /** False while no session of the table ever ran under a policy with {@code resume_within} ({@link #sawPolicy}). */
  boolean mayResume() {
    return resumeWithinSeen;
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
    if (s.endReason != EndReason.IDLE_TIMEOUT || s.resumedBy() != null || s.policy.resumeWithin() == null) return;
    resumable.merge(s.subject, List.of(s), (old, added) -> {
      List<Session> grown = new ArrayList<>(old.size() + 1);
      for (Session o : old) {
        if (o.idleExpiresAtMs + o.policy.resumeWithinMs() > s.idleExpiresAtMs) grown.add(o);
      }
      grown.addAll(added);
      return List.copyOf(grown);
    });
  }

  /**
   * Under the session's lock: {@code s} gets the token hashed {@code next}; its current one becomes
   * its previous one ({@code rotatedOut}, whose hash is the current token's), and the one before
   * that is forgotten.
   */
  void rotate(Session s, TokenHash next, Session.PreviousToken rotatedOut) {
    Session.PreviousToken dropped = s.previous;
    byPreviousToken.put(rotatedOut.hash, s);
    s.previous = rotatedOut;
    byToken.replace(s, tokenSlotHash(s.tokA), () -> s.setToken(next));
    if (dropped != null) {
      byPreviousToken.remove(dropped.hash, s);
    }
  }

  /** The session ended: it leaves the subject index and the live count, and stays findable. */
  void ended(Session s) {
    bySubject.remove(s, s.subject.hashCode());
    live.decrementAndGet();
    rememberIfResumable(s);
  }

  /** Forgets an ended session entirely. */
  void purge(Session s) {
    notResumable(s);
    byId.remove(s, s.idHash());
    byToken.remove(s, tokenSlotHash(s.tokA));
    if (s.previous != null) {
      byPreviousToken.remove(s.previous.hash, s);
    }
  }
}

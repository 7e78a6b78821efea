package dev.curfew.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * Pages through the live sessions of a store, as an administrator looks for one: all of them,
 * those whose subject contains a text (ignoring case), or the one with a given session id; each
 * optionally only under one policy ({@link Query}). Pages are in the order subject, opening time,
 * session id, and a {@link Cursor} names where the next one starts, so that paging stays stable
 * while sessions open and end. Every {@link SessionStore} answers {@link SessionStore#search} with
 * these rules; below is the embedded engine's pass.
 *
 * <p>The engine keeps no sorted index (it would cost every open and every ending), so a page is
 * one pass over the subject index that keeps the {@code limit} smallest sessions after the cursor
 * in a bounded heap: O(live sessions × log limit) time, O(limit) memory, no session lock taken
 * during the pass. A million live sessions take tens of milliseconds; callers run it off any
 * event loop.
 */
public final class SessionSearch {
  /** Largest page. */
  public static final int MAX_LIMIT = 1000;
  /** Longest search text. */
  public static final int MAX_QUERY_LENGTH = SessionRules.MAX_SUBJECT_LENGTH;

  private SessionSearch() {}

  /** Where a page starts: after the session with this subject, opening time and id. */
  public record Cursor(String subject, long createdAtMs, String sessionId) {
    public Cursor {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(sessionId, "sessionId");
    }
  }

  /**
   * What to look for.
   *
   * @param text all live sessions when empty or null; the one whose id it is when it is a session
   *     id; else those whose subject contains it, ignoring case (leading and trailing spaces dropped)
   * @param policy only sessions of this policy (any version); null: any policy
   * @param after where the page starts (null: the first page)
   * @param limit 1 to {@link #MAX_LIMIT}
   * @throws IllegalArgumentException for a limit out of range or a text longer than {@link #MAX_QUERY_LENGTH}
   */
  public record Query(String text, String policy, Cursor after, int limit) {
    public Query {
      if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit not in 1.." + MAX_LIMIT + ": " + limit);
      text = text == null ? "" : text.strip();
      if (text.length() > MAX_QUERY_LENGTH) {
        throw new IllegalArgumentException("search text longer than " + MAX_QUERY_LENGTH + " characters");
      }
      if (policy != null && policy.isBlank()) policy = null;
    }

    /** The first page of every live session, {@code limit} at a time. */
    public static Query all(int limit) {
      return new Query(null, null, null, limit);
    }

    /** The session id this query names, or null when its text is not one. */
    public String sessionId() {
      return SessionId.parse(text) == null ? null : text;
    }

    /**
     * Whether a live session of this subject and policy is found by the text and the policy, before
     * the cursor is applied. (A text that is the id of a live session finds that session only; a
     * store looks it up first, and matches subjects only when there is none.)
     */
    public boolean matches(String subject, String policyName) {
      if (policy != null && !policy.equals(policyName)) return false;
      return text.isEmpty() || containsIgnoreCase(subject, text);
    }

    /** Whether a session with these fields comes after the cursor (always, without one). */
    public boolean afterCursor(String subject, long createdAtMs, String sessionId) {
      return after == null || compare(subject, createdAtMs, sessionId, after) > 0;
    }
  }

  /**
   * One page.
   *
   * @param sessions live sessions in order, their status at one instant each
   * @param matched how many live sessions matched in all (before and after this page)
   * @param next where the next page starts; null when this page reached the end
   */
  public record Page(List<SessionStatus> sessions, long matched, Cursor next) {
    public Page {
      sessions = List.copyOf(sessions);
    }
  }

  private static final Comparator<Session> ORDER = Comparator.<Session, String>comparing(s -> s.subject)
      .thenComparingLong(s -> s.createdAtMs)
      .thenComparing(Session::id);

  /** Reads the page under each session's lock; sessions ended since the pass are left out. */
  static Page search(SessionTable table, Clock clock, Query query) {
    String q = query.text();
    String id = query.sessionId();
    // A session id that is also a substring of a subject: the id wins, as an operator pasting one means it.
    Session byId = id == null ? null : table.byId(id);
    Predicate<String> subjects = byId != null ? byId.subject::equals : q.isEmpty() ? s -> true : s -> containsIgnoreCase(s, q);
    int limit = query.limit();
    // A max-heap of the limit + 1 smallest after the cursor: the extra one says whether a next page exists.
    PriorityQueue<Session> smallest = new PriorityQueue<>(limit + 1, ORDER.reversed());
    long[] matched = {0};
    table.forEachLive(subjects, s -> {
      if (byId != null && s != byId) return;
      if (query.policy() != null && !query.policy().equals(s.policy.name())) return;
      matched[0]++;
      if (!query.afterCursor(s.subject, s.createdAtMs, s.id())) return;
      if (smallest.size() <= limit) {
        smallest.add(s);
      } else if (ORDER.compare(s, smallest.peek()) < 0) {
        smallest.poll();
        smallest.add(s);
      }
    });
    List<Session> ordered = new ArrayList<>(smallest);
    ordered.sort(ORDER);
    boolean more = ordered.size() > limit;
    if (more) ordered = ordered.subList(0, limit);
    List<SessionStatus> out = new ArrayList<>(ordered.size());
    for (Session s : ordered) {
      synchronized (s) {
        long now = clock.millis();
        if (!s.ended() && now < s.expiresAtMs()) out.add(s.status(now));
      }
    }
    Cursor next = null;
    if (more) {
      Session last = ordered.get(ordered.size() - 1);
      next = new Cursor(last.subject, last.createdAtMs, last.id());
    }
    return new Page(out, matched[0], next);
  }

  /** The order of pages: a session's place against a cursor (negative: before it). */
  public static int compare(String subject, long createdAtMs, String sessionId, Cursor c) {
    int bySubject = subject.compareTo(c.subject());
    if (bySubject != 0) return bySubject;
    int byCreated = Long.compare(createdAtMs, c.createdAtMs());
    return byCreated != 0 ? byCreated : sessionId.compareTo(c.sessionId());
  }

  /** {@code text} contains {@code part}, comparing characters without regard to case. */
  static boolean containsIgnoreCase(String text, String part) {
    int last = text.length() - part.length();
    for (int i = 0; i <= last; i++) {
      if (text.regionMatches(true, i, part, 0, part.length())) return true;
    }
    return false;
  }
}

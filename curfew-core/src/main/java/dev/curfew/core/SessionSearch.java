package dev.curfew.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * Pages through the live sessions of an engine, as an administrator looks for one: all of them,
 * those whose subject contains a text (ignoring case), or the one with a given session id. Pages
 * are in the order subject, opening time, session id, and a {@link Cursor} names where the next
 * one starts, so that paging stays stable while sessions open and end.
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
  public static final int MAX_QUERY_LENGTH = SessionEngine.MAX_SUBJECT_LENGTH;

  private SessionSearch() {}

  /** Where a page starts: after the session with this subject, opening time and id. */
  public record Cursor(String subject, long createdAtMs, String sessionId) {
    public Cursor {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(sessionId, "sessionId");
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
  static Page search(SessionTable table, Clock clock, String query, Cursor after, int limit) {
    if (limit < 1 || limit > MAX_LIMIT) throw new IllegalArgumentException("limit not in 1.." + MAX_LIMIT + ": " + limit);
    String q = query == null ? "" : query.strip();
    if (q.length() > MAX_QUERY_LENGTH) {
      throw new IllegalArgumentException("search text longer than " + MAX_QUERY_LENGTH + " characters");
    }
    Session byId = SessionId.parse(q) == null ? null : table.byId(q);
    Predicate<String> subjects = byId != null ? byId.subject::equals : q.isEmpty() ? s -> true : s -> containsIgnoreCase(s, q);
    // A max-heap of the limit + 1 smallest after the cursor: the extra one says whether a next page exists.
    PriorityQueue<Session> smallest = new PriorityQueue<>(limit + 1, ORDER.reversed());
    long[] matched = {0};
    table.forEachLive(subjects, s -> {
      if (byId != null && s != byId) return;
      matched[0]++;
      if (after != null && compare(s, after) <= 0) return;
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

  private static int compare(Session s, Cursor c) {
    int bySubject = s.subject.compareTo(c.subject());
    if (bySubject != 0) return bySubject;
    int byCreated = Long.compare(s.createdAtMs, c.createdAtMs());
    return byCreated != 0 ? byCreated : s.id().compareTo(c.sessionId());
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

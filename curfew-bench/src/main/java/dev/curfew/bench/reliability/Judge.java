package dev.curfew.bench.reliability;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Holds every answer of the server about a tracked session against what the harness knows: an
 * acknowledged change is never lost, nothing ended is ever valid again, no session outlives its
 * deadline. Thread-safe; each violation is kept (the first 100 in full) and counted.
 */
final class Judge {
  /** Slack for the offset between the harness's and the server's readings of the same wall clock. */
  static final long MARGIN_MS = 250;

  private final AtomicLong violations = new AtomicLong();
  private final List<String> first = new ArrayList<>();
  private final long endedRetentionMs;

  /** A judge for a server that remembers ended sessions for as long as the harness runs (the default 24 h). */
  Judge() {
    this(Long.MAX_VALUE);
  }

  /** A judge for a server configured with {@code ended_retention}: later, an ended session is unknown. */
  Judge(long endedRetentionMs) {
    this.endedRetentionMs = endedRetentionMs;
  }

  static boolean isTimeout(String reason) {
    return "idle_timeout".equals(reason) || "absolute_timeout".equals(reason);
  }

  /**
   * One answer about {@code t} at {@code nowMs}: {@code live} (a 200) or ended with {@code reason}.
   * Updates what the harness has observed.
   */
  void answer(Tracked t, boolean live, String reason, long nowMs, String context) {
    if (live) {
      if (t.acknowledgedEnd != null) {
        violation("revived", t, context + ": valid after an acknowledged " + t.acknowledgedEnd);
      } else if (t.observedEnd != null) {
        violation("revived", t, context + ": valid after the server said " + t.observedEnd);
      } else if (nowMs > t.upperDeadlineMs() + MARGIN_MS) {
        violation("outlived", t, context + ": valid " + (nowMs - t.upperDeadlineMs()) + " ms after its latest possible deadline");
      }
      return;
    }
    if ("unknown".equals(reason) && forgottenAfterRetention(t, nowMs)) {
      return; // ended, and its retention is over: the server forgot it, as configured
    }
    if (reason == null || reason.equals("unknown")) {
      violation("lost", t, context + ": an acknowledged session is unknown (" + reason + ")");
    } else if (t.acknowledgedEnd != null) {
      if (!reason.equals(t.acknowledgedEnd)) {
        violation("wrong reason", t, context + ": ended as " + reason + " after an acknowledged " + t.acknowledgedEnd);
      }
    } else if (t.observedEnd != null) {
      boolean same = reason.equals(t.observedEnd) || (isTimeout(reason) && isTimeout(t.observedEnd));
      if (!same) violation("wrong reason", t, context + ": ended as " + reason + ", earlier as " + t.observedEnd);
    } else if (reason.equals(t.possibleEnd)) {
      // a logout or revocation whose answer was lost in the crash was carried out: allowed
    } else if (!isTimeout(reason)) {
      violation("lost", t, context + ": ended as " + reason + ", which nobody asked for");
    } else if (nowMs + MARGIN_MS < t.lowerDeadlineMs()) {
      violation("lost", t, context + ": ended as " + reason + " " + (t.lowerDeadlineMs() - nowMs)
          + " ms before its earliest possible deadline (an acknowledged create or extension was lost)");
    }
    if (t.observedEnd == null) t.observedEnd = reason;
  }

  /**
   * An ended session (known, or past its latest deadline) that the server may have forgotten: it
   * ended no earlier than it was created, so after creation + retention "unknown" is no loss (and
   * not a revival either: it is still refused).
   */
  private boolean forgottenAfterRetention(Tracked t, long nowMs) {
    if (endedRetentionMs == Long.MAX_VALUE) return false;
    boolean ended = t.endKnownOrPossible() || nowMs > t.upperDeadlineMs() + MARGIN_MS;
    return ended && nowMs > t.createdSentMs + endedRetentionMs;
  }

  void violation(String kind, Tracked t, String detail) {
    violations.incrementAndGet();
    synchronized (first) {
      if (first.size() < 100) first.add(kind + ": " + detail + (t == null ? "" : " — " + t));
    }
  }

  long count() {
    return violations.get();
  }

  List<String> first() {
    synchronized (first) {
      return List.copyOf(first);
    }
  }
}

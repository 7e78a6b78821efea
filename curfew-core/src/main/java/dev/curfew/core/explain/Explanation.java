package dev.curfew.core.explain;

import dev.curfew.core.Durations;
import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.List;

/**
 * The timeline of one session under a policy for an activity trace, as the engine lived it on a
 * virtual clock. Offsets are milliseconds from the session's opening.
 *
 * @param policy the policy explained
 * @param trace the trace given (offsets and kinds)
 * @param events what happened, in order
 * @param endOffsetMs when the session ended (or the end of the explained span if it did not)
 * @param endReason the end reason's wire name, or null if still live at the end of the trace
 */
public record Explanation(Policy policy, List<TraceStep> trace, List<Event> events, long endOffsetMs, String endReason) {

  /** One step of the activity trace: at {@code offsetMs}, the user does {@code kind}. */
  public record TraceStep(long offsetMs, Kind kind) {
    /** What the user does. */
    public enum Kind { ACTIVITY, EXTEND, ACKNOWLEDGE, LOGOUT }
  }

  /**
   * One thing that happened. {@code type} is the audit record type ({@code session.created},
   * {@code session.warning_sent}, ...) or {@code activity} for a touch (activity is not audited).
   */
  public record Event(long offsetMs, String type, String text, long expiresAtOffsetMs, long idleDeadlineOffsetMs,
      long absoluteDeadlineOffsetMs, int extensionsLeft) {}

  /** Parses {@code 0s,5m,9m,14m:extend,20m:logout}; kinds: activity (default), extend, ack, logout. */
  public static List<TraceStep> parseTrace(String text) {
    if (text == null || text.isBlank()) return List.of();
    java.util.List<TraceStep> out = new java.util.ArrayList<>();
    long previous = -1;
    for (String part : text.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) continue;
      TraceStep.Kind kind = TraceStep.Kind.ACTIVITY;
      int colon = p.indexOf(':');
      if (colon >= 0) {
        String k = p.substring(colon + 1).trim().toLowerCase(java.util.Locale.ROOT);
        p = p.substring(0, colon).trim();
        switch (k) {
          case "activity": kind = TraceStep.Kind.ACTIVITY; break;
          case "extend": kind = TraceStep.Kind.EXTEND; break;
          case "ack": kind = TraceStep.Kind.ACKNOWLEDGE; break;
          case "logout": kind = TraceStep.Kind.LOGOUT; break;
          default: throw new IllegalArgumentException("unknown trace step kind \"" + k + "\" (activity, extend, ack, logout)");
        }
      }
      long ms = Durations.parse(p).toMillis();
      if (ms < previous) {
        throw new IllegalArgumentException("trace must be in time order: " + p + " comes after " + Durations.format(Duration.ofMillis(previous)));
      }
      previous = ms;
      out.add(new TraceStep(ms, kind));
    }
    return out;
  }
}

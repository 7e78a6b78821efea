package dev.curfew.core.explain;

import dev.curfew.core.Decision;
import dev.curfew.core.Durations;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Explains a policy by living it: one session runs in a real {@link SessionEngine} on a {@link
 * ManualClock}, the trace is played against it, and timers fire at their exact instants. The
 * timeline is read back from the audit records the engine wrote, so the explanation cannot drift
 * from enforcement.
 */
public final class Explainer {
  /** The virtual instant a session opens at; offsets are reported relative to it. */
  static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private Explainer() {}

  public static Explanation explain(Policy policy, List<Explanation.TraceStep> trace) {
    ManualClock clock = new ManualClock(EPOCH);
    MemoryAuditSink sink = new MemoryAuditSink();
    SessionEngine engine = new SessionEngine(clock, "explain", new Policies(List.of(policy), policy.name()), sink,
        null, EngineMetrics.NONE, SessionEngine.Limits.defaults());
    long t0 = clock.millis();
    Decision opened = engine.open("explained-user", policy.name(), Map.of());
    String token = opened.token();
    List<Explanation.Event> events = new ArrayList<>();
    int recordsSeen = 0;
    recordsSeen = collect(sink, recordsSeen, t0, events, opened.status());
    for (Explanation.TraceStep step : trace) {
      runTimersUntil(engine, clock, t0 + step.offsetMs());
      recordsSeen = collect(sink, recordsSeen, t0, events, null);
      if (lastEnded(events)) break;
      clock.setMillis(t0 + step.offsetMs());
      Decision d;
      switch (step.kind()) {
        case EXTEND: d = engine.extend(token); break;
        case ACKNOWLEDGE: d = engine.acknowledgeWarning(token); break;
        case LOGOUT: d = engine.logout(token); break;
        default:
          d = engine.check(token, true);
          if (d.allowed()) {
            events.add(event(t0, step.offsetMs(), "activity",
                "activity: idle deadline moves to " + offset(d.status().idleExpiresAtMs() - t0), d.status()));
          }
      }
      recordsSeen = collect(sink, recordsSeen, t0, events, d.status());
    }
    if (!lastEnded(events)) {
      runTimersUntil(engine, clock, Long.MAX_VALUE);
      collect(sink, recordsSeen, t0, events, null);
    }
    Explanation.Event last = events.get(events.size() - 1);
    String reason = null;
    for (Explanation.Event e : events) {
      if (isEnding(e.type())) reason = e.text().split(":")[0];
    }
    return new Explanation(policy, trace, events, last.offsetMs(), reason);
  }

  /** Steps the clock from timer instant to timer instant up to {@code untilMs}, or until no session is live. */
  private static void runTimersUntil(SessionEngine engine, ManualClock clock, long untilMs) {
    while (engine.liveSessions() > 0) {
      long next = engine.nextTimerMs();
      if (next > untilMs || next == Long.MAX_VALUE) return;
      clock.setMillis(Math.max(next, clock.millis()));
      if (engine.advanceTimers() == 0 && next <= clock.millis()) {
        clock.advanceMillis(1); // the wheel's hint was early: make progress
      }
    }
  }

  private static int collect(MemoryAuditSink sink, int seen, long t0, List<Explanation.Event> out, SessionStatus status) {
    List<AuditRecord> records = sink.records();
    for (int i = seen; i < records.size(); i++) {
      AuditRecord r = records.get(i);
      out.add(describe(r, t0, status));
    }
    return records.size();
  }

  private static Explanation.Event describe(AuditRecord r, long t0, SessionStatus status) {
    Map<String, Object> d = r.data();
    long at = r.timeMs() - t0;
    String text;
    switch (r.type()) {
      case RecordTypes.SESSION_CREATED:
        text = "opened: idle deadline " + offset(time(d, "idle_expires_at") - t0) + ", absolute deadline "
            + offset(time(d, "absolute_expires_at") - t0);
        break;
      case RecordTypes.WARNING_SENT: {
        long expires = time(d, "expires_at") - t0;
        return new Explanation.Event(at, r.type(), "warning: the session ends at " + offset(expires)
            + " (" + Durations.format(Duration.ofMillis(((Number) d.get("lead_ms")).longValue())) + " from now)", expires, -1, -1, -1);
      }
      case RecordTypes.WARNING_ACKNOWLEDGED:
        text = "warning acknowledged";
        break;
      case RecordTypes.EXTENDED:
        text = "extended: ends at " + offset(time(d, "expires_at") - t0) + " instead of "
            + offset(time(d, "previous_expires_at") - t0) + " (" + d.get("extensions_used") + " used)";
        break;
      case RecordTypes.EXTENSION_REFUSED:
        text = "extension refused: " + d.get("why");
        break;
      case RecordTypes.EXPIRED:
        text = d.get("reason") + ": ended at its deadline " + offset(time(d, "deadline") - t0)
            + " (last activity " + offset(time(d, "last_activity_at") - t0) + ")";
        break;
      case RecordTypes.LOGGED_OUT:
        text = "logged_out: the user signed out";
        break;
      default:
        text = r.type();
    }
    return event(t0, at, r.type(), text, status);
  }

  private static Explanation.Event event(long t0, long at, String type, String text, SessionStatus s) {
    if (s == null) {
      return new Explanation.Event(at, type, text, -1, -1, -1, -1);
    }
    return new Explanation.Event(at, type, text, s.expiresAtMs() - t0, s.idleExpiresAtMs() - t0,
        s.absoluteExpiresAtMs() - t0, s.extensionsLeft());
  }

  static boolean isEnding(String type) {
    return type.equals(RecordTypes.EXPIRED) || type.equals(RecordTypes.LOGGED_OUT) || type.equals(RecordTypes.REVOKED);
  }

  private static boolean lastEnded(List<Explanation.Event> events) {
    return !events.isEmpty() && isEnding(events.get(events.size() - 1).type());
  }

  private static long time(Map<String, Object> data, String key) {
    return Times.parse((String) data.get(key));
  }

  /** {@code +13m}, {@code +1h2m3s}, {@code +0s}. */
  public static String offset(long ms) {
    if (ms < 0) return "-" + offset(-ms).substring(1);
    StringBuilder b = new StringBuilder("+");
    long h = ms / 3_600_000, m = ms / 60_000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
    if (h > 0) b.append(h).append('h');
    if (m > 0) b.append(m).append('m');
    if (s > 0 || rest > 0 || b.length() == 1) {
      b.append(s);
      if (rest > 0) b.append('.').append(String.format("%03d", rest));
      b.append('s');
    }
    return b.toString();
  }

  /** The text timeline for people. */
  public static String text(Explanation e) {
    Policy p = e.policy();
    StringBuilder b = new StringBuilder();
    b.append("Policy ").append(p.name()).append(" v").append(p.version()).append(": idle timeout ")
        .append(Durations.format(p.idleTimeout())).append(", absolute timeout ").append(Durations.format(p.absoluteTimeout()))
        .append(", warning ").append(p.warnBeforeMs() == 0 ? "none" : Durations.format(p.warnBefore()) + " before the end")
        .append(", up to ").append(p.maxExtensions()).append(" extension").append(p.maxExtensions() == 1 ? "" : "s");
    if (p.concurrency().limited()) {
      b.append(", concurrent sessions: ").append(p.concurrency().describe());
    }
    b.append('\n');
    b.append("Trace: ");
    if (e.trace().isEmpty()) b.append("none (no activity after opening)");
    for (int i = 0; i < e.trace().size(); i++) {
      Explanation.TraceStep s = e.trace().get(i);
      if (i > 0) b.append(", ");
      b.append(Durations.format(Duration.ofMillis(s.offsetMs())));
      if (s.kind() != Explanation.TraceStep.Kind.ACTIVITY) b.append(':').append(s.kind().name().toLowerCase(java.util.Locale.ROOT));
    }
    b.append("\n\n");
    for (Explanation.Event ev : e.events()) {
      b.append(String.format("  %-12s %s%n", offset(ev.offsetMs()), ev.text()));
      if (ev.type().equals(RecordTypes.WARNING_SENT)) {
        b.append(String.format("  %-12s %s%n", "", extensionHint(e, ev)));
      }
    }
    b.append('\n').append(e.endReason() == null ? "The session is still live at the end of the trace."
        : "The session ends at " + offset(e.endOffsetMs()) + " (" + e.endReason() + ").").append('\n');
    return b.toString();
  }

  private static String extensionHint(Explanation e, Explanation.Event warning) {
    int used = 0;
    for (Explanation.Event ev : e.events()) {
      if (ev.offsetMs() > warning.offsetMs()) break;
      if (ev.type().equals(RecordTypes.EXTENDED)) used++;
    }
    int left = e.policy().maxExtensions() - used;
    if (warning.expiresAtOffsetMs() >= e.policy().absoluteTimeoutMs()) {
      return "no extension can help: this is the absolute deadline";
    }
    return left > 0 ? "an extension is possible now (" + left + " left)"
        : "no extension is possible (" + (e.policy().maxExtensions() == 0 ? "the policy allows none" : "all used") + ")";
  }
}

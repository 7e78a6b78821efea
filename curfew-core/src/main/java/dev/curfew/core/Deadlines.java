package dev.curfew.core;

/**
 * The deadline rules of a live session, written once: when it expires, why, when its warning is
 * due, and the next instant a scheduler must look at it. {@link Session} (the embedded store) calls
 * these; the Redis store's scripts run {@link #lua()}, the same rules in Lua, put in front of every
 * script when it is loaded, so that no script keeps a copy of its own.
 *
 * <p>All times are epoch milliseconds on the deciding clock (the node's, or Redis's).
 */
public final class Deadlines {
  private Deadlines() {}

  /** When a session expires: the earlier of its idle and its absolute deadline. */
  public static long expiresAt(long idleExpiresAtMs, long absoluteExpiresAtMs) {
    return Math.min(idleExpiresAtMs, absoluteExpiresAtMs);
  }

  /** Why a session ends at {@link #expiresAt}; a tie goes to the absolute deadline. */
  public static EndReason timeoutReason(long idleExpiresAtMs, long absoluteExpiresAtMs) {
    return absoluteExpiresAtMs <= idleExpiresAtMs ? EndReason.ABSOLUTE_TIMEOUT : EndReason.IDLE_TIMEOUT;
  }

  /** When the warning of a session expiring at {@code expiresAtMs} is due. */
  public static long warningAt(long expiresAtMs, long warnBeforeMs) {
    return expiresAtMs - warnBeforeMs;
  }

  /**
   * Whether a warning is still to be sent: the policy warns, and no warning was sent for the
   * current expiry ({@code warnedForMs}: the expiry the last warning was sent for, any other value
   * when none was).
   */
  public static boolean warningDue(long expiresAtMs, long warnBeforeMs, long warnedForMs) {
    return warnBeforeMs > 0 && warnedForMs != expiresAtMs;
  }

  /** The next instant a scheduler must look at a live session: its warning when one is due, else its expiry. */
  public static long nextEventAt(long idleExpiresAtMs, long absoluteExpiresAtMs, long warnBeforeMs, long warnedForMs) {
    long expires = expiresAt(idleExpiresAtMs, absoluteExpiresAtMs);
    return warningDue(expires, warnBeforeMs, warnedForMs) ? Math.min(warningAt(expires, warnBeforeMs), expires) : expires;
  }

  /**
   * Whether a scheduler must be told of a live session's new next event after activity moved its
   * expiry from {@code previousExpiresAtMs}: a scheduler waits for the earliest next event, and
   * activity only moves the expiry later, so it may wait on, except when the warning for the
   * previous expiry was sent already (the scheduler then waits for that expiry) and the warning for
   * the new one comes before it.
   */
  public static boolean rearmAfterActivity(long previousExpiresAtMs, long warnedForMs, long nextEventAtMs) {
    return warnedForMs == previousExpiresAtMs && nextEventAtMs < previousExpiresAtMs;
  }

  /**
   * These rules as Lua functions of numbers ({@code wf}: nil when no warning was sent), for the
   * Redis store's scripts; {@code timeout_reason} answers the reason's wire name. A test of the
   * Redis store runs them against the methods above.
   */
  public static String lua() {
    return """
        -- dev.curfew.core.Deadlines, put in front of every script when it is loaded.
        local function expires_at(ie, ae) return math.min(ie, ae) end
        local function timeout_reason_of(ie, ae)
          if ae <= ie then return '%s' end
          return '%s'
        end
        local function warning_at(e, warn) return e - warn end
        local function warning_due_at(e, warn, wf) return warn > 0 and wf ~= e end
        local function next_event_at(ie, ae, warn, wf)
          local e = expires_at(ie, ae)
          if warning_due_at(e, warn, wf) then return math.min(warning_at(e, warn), e) end
          return e
        end
        local function rearm_after_activity(previous, wf, nxt) return wf == previous and nxt < previous end
        """.formatted(EndReason.ABSOLUTE_TIMEOUT.wire(), EndReason.IDLE_TIMEOUT.wire());
  }
}

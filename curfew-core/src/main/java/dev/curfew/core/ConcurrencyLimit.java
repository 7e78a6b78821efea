package dev.curfew.core;

import java.util.Map;
import java.util.Objects;

/**
 * How many sessions one subject may hold at once, and what opening one more does: NIST SP 800-53
 * AC-10 "Concurrent Session Control" (limit the number of concurrent sessions for each account).
 *
 * <p>Counted are the subject's live sessions (not ended, deadline not passed) across every policy,
 * gateway and protocol; with {@link Scope#AUDIENCE} only those whose audience is the new session's
 * audience. The limit belongs to the policy a session is opened under, and is applied at that
 * instant, atomically with the opening, in every store.
 *
 * @param maxSessionsPerSubject the most live sessions; 0: no limit
 * @param whenExceeded what an opening that would go over the limit does
 * @param scope which of the subject's sessions count
 */
public record ConcurrencyLimit(int maxSessionsPerSubject, WhenExceeded whenExceeded, Scope scope) {
  /** The highest limit accepted: a larger number limits nothing that matters and costs a scan per opening. */
  public static final int MAX_LIMIT = 1_000;

  /** No limit: any number of sessions per subject. */
  public static final ConcurrencyLimit NONE = new ConcurrencyLimit(0, WhenExceeded.REFUSE_NEW, Scope.SUBJECT);

  /** What an opening beyond the limit does. */
  public enum WhenExceeded {
    /** The opening is refused (HTTP 409, {@code concurrency-limit}) and recorded as {@code session.refused}. */
    REFUSE_NEW("refuse_new"),
    /** The subject's oldest live sessions end with reason {@code concurrency_limit}, displaced by the new one. */
    END_OLDEST("end_oldest");

    private final String wire;

    WhenExceeded(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    public static WhenExceeded fromWire(String s) {
      for (WhenExceeded w : values()) {
        if (w.wire.equals(s)) return w;
      }
      throw new PolicyException("when_exceeded", "must be refuse_new or end_oldest, not \"" + s + "\"");
    }
  }

  /** Which of the subject's sessions count toward the limit. */
  public enum Scope {
    /** Every live session of the subject, wherever it may be used. */
    SUBJECT("subject"),
    /** Only the subject's live sessions with the same audience as the new one. */
    AUDIENCE("audience");

    private final String wire;

    Scope(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    public static Scope fromWire(String s) {
      for (Scope x : values()) {
        if (x.wire.equals(s)) return x;
      }
      throw new PolicyException("limit_scope", "must be subject or audience, not \"" + s + "\"");
    }
  }

  public ConcurrencyLimit {
    Objects.requireNonNull(whenExceeded, "when_exceeded");
    Objects.requireNonNull(scope, "limit_scope");
    if (maxSessionsPerSubject < 0 || maxSessionsPerSubject > MAX_LIMIT) {
      throw new PolicyException("max_sessions_per_subject",
          "must be 1.." + MAX_LIMIT + ", not " + maxSessionsPerSubject);
    }
  }

  /**
   * A limit of {@code max} sessions ({@code null}: none). {@code whenExceeded} and {@code scope}
   * (null: the defaults {@code refuse_new} and {@code subject}) mean nothing without a limit, so
   * giving one without {@code max} is an error rather than silently ignored.
   */
  public static ConcurrencyLimit of(Integer max, String whenExceeded, String scope) {
    if (max == null) {
      if (whenExceeded != null) {
        throw new PolicyException("when_exceeded", "needs max_sessions_per_subject");
      }
      if (scope != null) throw new PolicyException("limit_scope", "needs max_sessions_per_subject");
      return NONE;
    }
    if (max < 1) {
      throw new PolicyException("max_sessions_per_subject",
          "must be 1.." + MAX_LIMIT + ", not " + max + " (leave it out for no limit)");
    }
    return new ConcurrencyLimit(max,
        whenExceeded == null ? WhenExceeded.REFUSE_NEW : WhenExceeded.fromWire(whenExceeded),
        scope == null ? Scope.SUBJECT : Scope.fromWire(scope));
  }

  public boolean limited() {
    return maxSessionsPerSubject > 0;
  }

  /** Whether a live session with audience {@code other} counts toward a new session's limit. */
  public boolean counts(Audience newSession, Audience other) {
    return scope == Scope.SUBJECT || newSession.equals(other);
  }

  /** The policy fields (YAML and JSON names alike), or nothing when there is no limit. */
  public void putFields(Map<String, Object> into) {
    if (!limited()) return;
    into.put("max_sessions_per_subject", (long) maxSessionsPerSubject);
    into.put("when_exceeded", whenExceeded.wire());
    into.put("limit_scope", scope.wire());
  }

  /** The inverse of {@link #putFields}: a limit from a map holding those fields (absent: none). */
  public static ConcurrencyLimit fromFields(Map<String, Object> m) {
    Object max = m.get("max_sessions_per_subject");
    if (max == null) return NONE;
    return of(((Number) max).intValue(), (String) m.get("when_exceeded"), (String) m.get("limit_scope"));
  }

  /** The {@code detail} of a refused opening (the same in every store). */
  public static String refusal(String subject, int live, String policyName, ConcurrencyLimit limit) {
    return "\"" + subject + "\" already has " + live + " live session" + (live == 1 ? "" : "s")
        + (limit.scope == Scope.AUDIENCE ? " with this audience" : "") + ", the most that policy \"" + policyName
        + "\" allows (max_sessions_per_subject: " + limit.maxSessionsPerSubject + ", when_exceeded: "
        + limit.whenExceeded.wire() + (limit.whenExceeded == WhenExceeded.END_OLDEST
            ? "; a session opened from another never ends that one" : "") + ")";
  }

  /** The {@code reason_text} of a session ended to make room for a newer one (the same in every store). */
  public static String displacement(ConcurrencyLimit limit) {
    return "a newer session of the subject went over max_sessions_per_subject (" + limit.maxSessionsPerSubject
        + ", when_exceeded: end_oldest)";
  }

  /** For people: {@code 3 per subject, end_oldest}, or {@code none}. */
  public String describe() {
    if (!limited()) return "none";
    return maxSessionsPerSubject + " per " + scope.wire() + ", " + whenExceeded.wire();
  }
}

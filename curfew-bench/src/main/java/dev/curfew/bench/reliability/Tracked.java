package dev.curfew.bench.reliability;

/**
 * What the harness knows of one session it opened: only what the server acknowledged, and bounds
 * on what it may have done with requests whose answer was lost. Touched by one worker at a time.
 *
 * <p>Deadline bounds, in the harness's clock (the same wall clock the server read at start):
 * the server's deadline instants lie between {@link #lowerDeadlineMs()} (built from durable
 * changes only, timed when their request was sent: a crash may forget a touch, never a created
 * session or an extension) and {@link #upperDeadlineMs()} (built from the end of the last request
 * that may count as activity, answered or not; passive reads, warning acknowledgements and ends do not).
 */
final class Tracked {
  final String sessionId;
  final String token;
  final String policy;
  final long idleMs;
  final long absoluteMs;
  final long createdSentMs;
  final long createdAnsweredMs;
  /** When the request of the last acknowledged durable change (create, extend) was sent. */
  long durableActivitySentMs;
  /** When the last request that may count as activity (touch, extend) ended (answer, error or timeout). */
  long lastContactMs;
  /** {@code logged_out} or {@code revoked}: the server acknowledged it (204). */
  String acknowledgedEnd;
  /** A logout or revocation was sent but its answer was lost: the session may have ended so. */
  String possibleEnd;
  /** The end reason the server reported for this session, once it reported one. */
  String observedEnd;
  int extensionsAcknowledged;

  Tracked(String sessionId, String token, String policy, long idleMs, long absoluteMs, long sentMs, long answeredMs) {
    this.sessionId = sessionId;
    this.token = token;
    this.policy = policy;
    this.idleMs = idleMs;
    this.absoluteMs = absoluteMs;
    this.createdSentMs = sentMs;
    this.createdAnsweredMs = answeredMs;
    this.durableActivitySentMs = sentMs;
    this.lastContactMs = answeredMs;
  }

  long lowerDeadlineMs() {
    return Math.min(durableActivitySentMs + idleMs, createdSentMs + absoluteMs);
  }

  long upperDeadlineMs() {
    return Math.min(lastContactMs + idleMs, createdAnsweredMs + absoluteMs);
  }

  /** The harness knows it ended (or asked for its end and may have been obeyed). */
  boolean endKnownOrPossible() {
    return acknowledgedEnd != null || observedEnd != null || possibleEnd != null;
  }

  @Override
  public String toString() {
    return sessionId + " (" + policy + ", acknowledged end " + acknowledgedEnd + ", observed end " + observedEnd
        + ", possible end " + possibleEnd + ", deadline between " + lowerDeadlineMs() + " and " + upperDeadlineMs() + ")";
  }
}

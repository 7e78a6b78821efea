package dev.curfew.gateway.db;

import dev.curfew.core.EndReason;
import dev.curfew.core.SessionStatus;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The words every database gateway says to a person at the console: the warning before the end
 * and the end itself (spec/protocol-gateways.md: "in words a person reads", "message beginning
 * {@code curfew: session ended (REASON)}"). Each protocol carries them in its own message.
 */
public final class SessionNotices {
  private static final DateTimeFormatter CLOCK_TIME = DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private SessionNotices() {}

  /**
   * {@code curfew: this session ends at 14:32:05Z (idle timeout) in 60 s; run a statement to stay
   * connected}; for the absolute deadline the advice is to save and reconnect, since no statement helps.
   */
  public static String warning(SessionStatus status, long expiresAtMs, long secondsLeft) {
    boolean absolute = status != null && expiresAtMs >= status.absoluteExpiresAtMs();
    return "curfew: this session ends at " + CLOCK_TIME.format(Instant.ofEpochMilli(expiresAtMs))
        + (absolute ? " (absolute timeout) in " : " (idle timeout) in ") + secondsLeft + " s; "
        + (absolute ? "save your work and reconnect with a new session" : "run a statement to stay connected");
  }

  /** {@code curfew: session ended (idle_timeout)}. */
  public static String ended(EndReason reason) {
    return "curfew: session ended (" + reason.wire() + ")";
  }

  /**
   * {@code curfew: session token refused (wrong_policy): this database takes sessions of policy
   * "dba", not "web"}.
   */
  public static String policyRefused(String targetPolicy, String sessionPolicy) {
    return tokenRefused(SessionAccess.WRONG_POLICY) + ": this database takes sessions of policy \"" + targetPolicy
        + "\", not \"" + sessionPolicy + "\"";
  }

  /** {@code curfew: session token refused (idle_timeout)}. */
  public static String tokenRefused(String why) {
    return "curfew: session token refused (" + why + ")";
  }

  /**
   * {@code curfew: too many unknown session tokens from this address (failed_checks_per_address); retry in 20 s}:
   * the login was refused before its token was looked at ({@link LoginGuard}).
   */
  public static String rateLimited(LoginGuard.Refusal r) {
    return "curfew: too many unknown session tokens from this address (" + r.limit() + "); retry in "
        + r.retryAfterSeconds() + " s";
  }

  /** What a {@code connection.refused} record of a {@link LoginGuard} refusal adds: the limit and the retry time. */
  public static java.util.Map<String, Object> rateLimitedRecord(LoginGuard.Refusal r) {
    return java.util.Map.of("limit", r.limit(), "retry_after_s", r.retryAfterSeconds());
  }
}

package dev.curfew.client;

import static dev.curfew.client.JsonValues.instant;
import static dev.curfew.client.JsonValues.longValue;
import static dev.curfew.client.JsonValues.string;
import static dev.curfew.client.JsonValues.strings;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The status body of a session (docs/api.md, "The status body"). {@code expiresAt} is the earlier
 * of the idle and absolute deadlines; {@code serverTime} lets a caller correct its own clock.
 * {@code rotatedToken} is the token to use from now on when the policy rotates tokens.
 */
public record SessionStatus(
    String sessionId,
    String subject,
    String policy,
    long policyVersion,
    Instant createdAt,
    Instant lastActivityAt,
    Instant idleExpiresAt,
    Instant absoluteExpiresAt,
    Instant expiresAt,
    Instant warningAt,
    int extensionsUsed,
    int extensionsLeft,
    Instant serverTime,
    List<String> audience,
    Optional<String> rotatedToken) {

  @Override
  public String toString() { // a token never goes to a log
    return "SessionStatus[sessionId=" + sessionId + ", subject=" + subject + ", policy=" + policy + "/" + policyVersion
        + ", lastActivityAt=" + lastActivityAt + ", expiresAt=" + expiresAt + ", warningAt=" + warningAt
        + ", extensionsUsed=" + extensionsUsed + ", extensionsLeft=" + extensionsLeft
        + rotatedToken.map(t -> ", rotatedToken=(hidden)").orElse("") + "]";
  }

  static SessionStatus from(Map<String, Object> m) {
    return new SessionStatus(string(m, "session_id"), string(m, "subject"), string(m, "policy"),
        longValue(m, "policy_version", 0), instant(m, "created_at"), instant(m, "last_activity_at"),
        instant(m, "idle_expires_at"), instant(m, "absolute_expires_at"), instant(m, "expires_at"),
        instant(m, "warning_at"), (int) longValue(m, "extensions_used", 0), (int) longValue(m, "extensions_left", 0),
        instant(m, "server_time"), strings(m, "audience"), Optional.ofNullable(string(m, "token")));
  }
}

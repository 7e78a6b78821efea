package dev.curfew.gateway.db;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionStore;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * What the gateway asks of the session store, in one place: checking a token (with or without
 * counting activity) and appending its audit records. The gateway never knows which store answers.
 */
public final class SessionAccess {
  private final SessionStore store;
  private final DatabaseTarget target;
  private final Audience audience;

  public SessionAccess(SessionStore store, DatabaseTarget target) {
    this.store = Objects.requireNonNull(store, "store");
    this.target = Objects.requireNonNull(target, "target");
    this.audience = Audience.of(target.audience());
  }

  /**
   * The one store call that decides whether a connection may go on. A database connection's
   * audience is {@link DatabaseTarget#audience()}.
   */
  public CompletableFuture<Decision> check(String token, boolean touch) {
    try {
      // The database's own place: a session opened for the web, another database or the console does not pass.
      return store.check(token, touch, audience);
    } catch (IllegalArgumentException malformed) {
      // A password that is no token at all is refused like an unknown token.
      return CompletableFuture.completedFuture(new Decision(Decision.Verdict.ENDED, null, EndReason.UNKNOWN,
          malformed.getMessage(), null, CompletableFuture.completedFuture(null)));
    }
  }

  /** Appends a connection.* or statement.executed record; completes when it is durable. */
  public CompletableFuture<Void> record(String sessionId, String type, Map<String, Object> data) {
    return store.recordGatewayEvent(sessionId, type, data);
  }

  public DatabaseTarget target() {
    return target;
  }
}

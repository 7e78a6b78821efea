package dev.curfew.core;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where sessions live, as the edges (API, gateway, notifier, console) see it: every operation of
 * {@link SessionEngine}, answered asynchronously so that a store across the network (Redis) never
 * blocks an event loop. The embedded store answers at once ({@link #of(SessionEngine)}).
 *
 * <p>Arguments are validated before any I/O: a bad subject, an unknown policy or too many
 * attributes throw {@link IllegalArgumentException} from the call itself, never through the future.
 * A store that cannot be reached answers {@link Decision.Verdict#UNAVAILABLE} (fail closed); the
 * future fails only on a defect.
 */
public interface SessionStore {
  /** The policies sessions are opened under (versions included). */
  Policies policies();

  /** Live sessions, for the gauge; a distributed store may answer a recent count. */
  long liveSessions();

  /**
   * Opens a session (see {@link SessionEngine#open(String, String, Map, Audience, String)}): an
   * attribute in the reserved namespace, an empty audience or a missing actor throw.
   */
  CompletableFuture<Decision> open(String subject, String policyName, Map<String, Object> attributes,
      Audience audience, String actor);

  /** As {@link SessionEngine#open(String, String, Map)}: a session the embedding program opens itself. */
  default CompletableFuture<Decision> open(String subject, String policyName, Map<String, Object> attributes) {
    return open(subject, policyName, attributes, Audience.app(SessionEngine.LOCAL_ACTOR), SessionEngine.LOCAL_ACTOR);
  }

  /**
   * Checks a token at this instant for the session's own holder endpoints (not a place: any
   * audience passes); with {@code touch}, records activity.
   */
  default CompletableFuture<Decision> check(String token, boolean touch) {
    return check(token, touch, null);
  }

  /**
   * Checks a token at an enforcement point that speaks for {@code usedAt}, in the same atomic step
   * as the deadlines: outside the session's audience it is {@link Decision.Verdict#WRONG_AUDIENCE},
   * untouched. Null {@code usedAt}: the holder's own endpoints.
   */
  CompletableFuture<Decision> check(String token, boolean touch, Audience usedAt);

  CompletableFuture<Decision> extend(String token);

  CompletableFuture<Decision> acknowledgeWarning(String token);

  CompletableFuture<Decision> logout(String token);

  /** A session's status by id, passive. */
  CompletableFuture<Decision> get(String sessionId);

  CompletableFuture<Decision> revoke(String sessionId, String actor, String reasonText);

  CompletableFuture<SessionEngine.Revocation> revokeSubject(String subject, String actor, String reasonText);

  /** The live sessions of a subject, oldest first, passive. */
  CompletableFuture<List<SessionStatus>> sessionsOf(String subject);

  CompletableFuture<SessionEngine.PolicyChange> changePolicy(Policy values, boolean applyToLive, String actor);

  /** Records one delivery attempt of a session's end to an app (see SessionEngine#recordNotification). */
  CompletableFuture<Void> recordNotification(String sessionId, Map<String, Object> data);

  /**
   * Appends one record a protocol gateway made ({@link dev.curfew.core.audit.RecordTypes#GATEWAY_EVENTS}:
   * connections and statements), under the session when {@code sessionId} names a known one, else
   * without session fields (a refused connection whose token is unknown). Changes no session.
   * Completes when the record is durable.
   *
   * @throws IllegalArgumentException for any other record type
   */
  CompletableFuture<Void> recordGatewayEvent(String sessionId, String type, Map<String, Object> data);

  /** The embedded store: the engine itself, each answer already complete. */
  static SessionStore of(SessionEngine engine) {
    return new EngineStore(engine);
  }
}

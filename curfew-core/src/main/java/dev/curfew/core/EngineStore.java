package dev.curfew.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/** {@link SessionStore} over the in-memory {@link SessionEngine}: every answer but a search is complete on return. */
final class EngineStore implements SessionStore {
  private final SessionEngine engine;

  EngineStore(SessionEngine engine) {
    this.engine = Objects.requireNonNull(engine, "engine");
  }

  SessionEngine engine() { return engine; }

  @Override public Policies policies() { return engine.policies(); }

  @Override public long liveSessions() { return engine.liveSessions(); }

  @Override
  public CompletableFuture<Decision> open(OpenRequest request) {
    return CompletableFuture.completedFuture(engine.open(request));
  }

  @Override
  public CompletableFuture<Decision> check(String token, boolean touch, Audience usedAt) {
    return CompletableFuture.completedFuture(engine.check(token, touch, usedAt));
  }

  @Override
  public CompletableFuture<Decision> extend(String token) {
    return CompletableFuture.completedFuture(engine.extend(token));
  }

  @Override
  public CompletableFuture<Decision> acknowledgeWarning(String token) {
    return CompletableFuture.completedFuture(engine.acknowledgeWarning(token));
  }

  @Override
  public CompletableFuture<Decision> logout(String token) {
    return CompletableFuture.completedFuture(engine.logout(token));
  }

  @Override
  public CompletableFuture<Decision> get(String sessionId) {
    return CompletableFuture.completedFuture(engine.get(sessionId));
  }

  @Override
  public CompletableFuture<Decision> revoke(String sessionId, String actor, String reasonText, EndReason reason) {
    return CompletableFuture.completedFuture(engine.revoke(sessionId, actor, reasonText, reason));
  }

  @Override
  public CompletableFuture<Revocation> revokeSubject(String subject, String actor, String reasonText) {
    return CompletableFuture.completedFuture(engine.revokeSubject(subject, actor, reasonText));
  }

  @Override
  public CompletableFuture<List<SessionStatus>> sessionsOf(String subject) {
    return CompletableFuture.completedFuture(engine.sessionsOf(subject));
  }

  /** One pass over every live session: run on the common pool, never on the caller's thread (an event loop). */
  @Override
  public CompletableFuture<SessionSearch.Page> search(SessionSearch.Query query) {
    Objects.requireNonNull(query, "query");
    return CompletableFuture.supplyAsync(() -> engine.search(query));
  }

  @Override
  public CompletableFuture<PolicyChange> changePolicy(Policy values, boolean applyToLive, String actor) {
    return CompletableFuture.completedFuture(engine.changePolicy(values, applyToLive, actor));
  }

  @Override
  public CompletableFuture<Void> recordNotification(String sessionId, Map<String, Object> data) {
    return engine.recordNotification(sessionId, data);
  }

  @Override
  public CompletableFuture<Revocation> endIdpSessions(IdpLogout logout) {
    return CompletableFuture.completedFuture(engine.endIdpSessions(logout));
  }

  @Override
  public CompletableFuture<Void> recordAuditRead(Map<String, Object> data) {
    return engine.recordAuditRead(data);
  }

  @Override
  public CompletableFuture<Void> recordIdpLogoutRefused(Map<String, Object> data) {
    return engine.recordIdpLogoutRefused(data);
  }

  @Override
  public CompletableFuture<Void> recordGatewayEvent(String sessionId, String type, Map<String, Object> data) {
    return engine.recordGatewayEvent(sessionId, type, data);
  }
}

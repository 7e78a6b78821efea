package dev.curfew.server.tracing;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.IdpLogout;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.PolicyChange;
import dev.curfew.core.Revocation;
import dev.curfew.core.SessionSearch;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SessionStore;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A session store whose every call is a span {@code curfew.store OPERATION}, a child of the request
 * that made it, ending when the store has answered. A call that decides on a session names the
 * outcome ({@code curfew.session.outcome}: allowed, ended, not_found, refused, wrong_audience,
 * unavailable; and {@code curfew.session.reason} when the session ended) on its span and on the
 * request's. Tokens, subjects and attributes are never recorded.
 */
public final class TracedSessionStore implements SessionStore {
  public static final AttributeKey<String> OPERATION = AttributeKey.stringKey("curfew.store.operation");
  public static final AttributeKey<String> STORE = AttributeKey.stringKey("curfew.store");
  public static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("curfew.session.outcome");
  public static final AttributeKey<String> REASON = AttributeKey.stringKey("curfew.session.reason");

  private final SessionStore store;
  private final Tracing tracing;
  private final String kind;

  private TracedSessionStore(SessionStore store, Tracing tracing, String kind) {
    this.store = Objects.requireNonNull(store, "store");
    this.tracing = Objects.requireNonNull(tracing, "tracing");
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  /** {@code store} itself when tracing is off; else every call traced. {@code kind}: embedded or redis. */
  public static SessionStore of(SessionStore store, Tracing tracing, String kind) {
    return tracing.enabled() ? new TracedSessionStore(store, tracing, kind) : store;
  }

  private <T> CompletableFuture<T> traced(String operation, Supplier<CompletableFuture<T>> call,
      Function<T, Decision> decision) {
    Span request = Span.current();
    Span span = tracing.tracer().spanBuilder("curfew.store " + operation).setSpanKind(SpanKind.INTERNAL)
        .setAttribute(OPERATION, operation).setAttribute(STORE, kind).startSpan();
    CompletableFuture<T> answer;
    try {
      answer = call.get();
    } catch (RuntimeException e) {
      span.recordException(e);
      span.setStatus(StatusCode.ERROR);
      span.end();
      throw e;
    }
    return answer.whenComplete((value, failure) -> {
      if (failure != null) {
        span.recordException(failure);
        span.setStatus(StatusCode.ERROR);
      } else if (decision != null && value != null) {
        Decision d = decision.apply(value);
        if (d != null) {
          outcome(span, d);
          outcome(request, d);
        }
      }
      span.end();
    });
  }

  private static void outcome(Span span, Decision d) {
    span.setAttribute(OUTCOME, d.verdict().name().toLowerCase(Locale.ROOT));
    if (d.reason() != null) span.setAttribute(REASON, d.reason().wire());
  }

  private CompletableFuture<Decision> decided(String operation, Supplier<CompletableFuture<Decision>> call) {
    return traced(operation, call, d -> d);
  }

  private <T> CompletableFuture<T> plain(String operation, Supplier<CompletableFuture<T>> call) {
    return traced(operation, call, null);
  }

  @Override
  public Policies policies() {
    return store.policies();
  }

  @Override
  public long liveSessions() {
    return store.liveSessions();
  }

  @Override
  public CompletableFuture<Decision> open(dev.curfew.core.OpenRequest request) {
    return decided("open", () -> store.open(request));
  }

  @Override
  public CompletableFuture<Decision> check(String token, boolean touch, Audience usedAt) {
    return decided(touch ? "check" : "check_passive", () -> store.check(token, touch, usedAt));
  }

  @Override
  public CompletableFuture<Decision> extend(String token) {
    return decided("extend", () -> store.extend(token));
  }

  @Override
  public CompletableFuture<Decision> acknowledgeWarning(String token) {
    return decided("acknowledge_warning", () -> store.acknowledgeWarning(token));
  }

  @Override
  public CompletableFuture<Decision> logout(String token) {
    return decided("logout", () -> store.logout(token));
  }

  @Override
  public CompletableFuture<Decision> get(String sessionId) {
    return decided("get", () -> store.get(sessionId));
  }

  @Override
  public CompletableFuture<Decision> revoke(String sessionId, String actor, String reasonText,
      dev.curfew.core.EndReason reason) {
    return decided("revoke", () -> store.revoke(sessionId, actor, reasonText, reason));
  }

  @Override
  public CompletableFuture<Revocation> revokeSubject(String subject, String actor, String reasonText) {
    return plain("revoke_subject", () -> store.revokeSubject(subject, actor, reasonText));
  }

  @Override
  public CompletableFuture<List<SessionStatus>> sessionsOf(String subject) {
    return plain("sessions_of", () -> store.sessionsOf(subject));
  }

  @Override
  public CompletableFuture<SessionSearch.Page> search(SessionSearch.Query query) {
    return plain("search", () -> store.search(query));
  }

  @Override
  public CompletableFuture<PolicyChange> changePolicy(Policy values, boolean applyToLive, String actor) {
    return plain("change_policy", () -> store.changePolicy(values, applyToLive, actor));
  }

  @Override
  public CompletableFuture<Void> recordNotification(String sessionId, Map<String, Object> data) {
    return plain("record_notification", () -> store.recordNotification(sessionId, data));
  }

  @Override
  public CompletableFuture<Revocation> endIdpSessions(IdpLogout logout) {
    return plain("end_idp_sessions", () -> store.endIdpSessions(logout));
  }

  @Override
  public CompletableFuture<Void> recordIdpLogoutRefused(Map<String, Object> data) {
    return plain("record_idp_logout_refused", () -> store.recordIdpLogoutRefused(data));
  }

  @Override
  public CompletableFuture<Void> recordGatewayEvent(String sessionId, String type, Map<String, Object> data) {
    return plain("record_gateway_event", () -> store.recordGatewayEvent(sessionId, type, data));
  }

  @Override
  public CompletableFuture<OthersEnded> endOthers(String token) {
    return traced("end_others", () -> store.endOthers(token), OthersEnded::holder);
  }

  @Override
  public CompletableFuture<Void> recordAuditRead(Map<String, Object> data) {
    return plain("record_audit_read", () -> store.recordAuditRead(data));
  }
}

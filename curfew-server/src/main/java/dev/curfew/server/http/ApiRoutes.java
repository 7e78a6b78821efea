package dev.curfew.server.http;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * What an extension of the API (the admin console, {@code dev.curfew.server.console}) mounts its
 * routes with. Its routes are counted in the metrics by template and answered with problems, like
 * the API's own, and it reuses the API's handlers behind its own guard instead of an API key: the
 * extension can do nothing that the API cannot, and it is audited the same way. A guard that lets a
 * request through names the actor with {@link #actAs} first.
 *
 * <p>The reused handlers read the same path parameters as their API routes ({@code :session_id},
 * {@code :subject}, {@code :name}) and the same query parameters.
 */
public final class ApiRoutes {
  /** Adds a route: the route's template labels its metrics; {@code guard} (may be null) runs first. */
  @FunctionalInterface
  interface RouteAdder {
    void add(String path, Handler<RoutingContext> guard, Handler<RoutingContext> handler, HttpMethod... methods);
  }

  private final Router router;
  private final RouteAdder adder;
  private final BackendRoutes backend;
  private final AuditQuery audit;
  private final AuditProofRoutes proofs;
  private final PolicyRoutes policies;
  private final Throttle throttle;
  private final AuditReads reads;

  ApiRoutes(Router router, RouteAdder adder, BackendRoutes backend, AuditQuery audit, AuditProofRoutes proofs,
      PolicyRoutes policies, Throttle throttle, AuditReads reads) {
    this.throttle = throttle;
    this.reads = reads;
    this.router = router;
    this.adder = adder;
    this.backend = backend;
    this.audit = audit;
    this.proofs = proofs;
    this.policies = policies;
  }

  /** The API's rate limits, for routes that open, extend or check sessions. */
  public Throttle throttle() {
    return throttle;
  }

  /** The router itself, for handlers that need no template label (a guard on a path prefix). */
  public Router router() {
    return router;
  }

  public void route(String path, Handler<RoutingContext> guard, Handler<RoutingContext> handler, HttpMethod... methods) {
    adder.add(Objects.requireNonNull(path, "path"), guard, Objects.requireNonNull(handler, "handler"), methods);
  }

  /** Marks the request as made on behalf of the API key {@code keyName}: the audit records' {@code actor}. */
  public static void actAs(RoutingContext ctx, String keyName) {
    ctx.put(BackendRoutes.ACTOR, Objects.requireNonNull(keyName, "keyName"));
  }

  /** A JSON answer ({@code Content-Type: application/json; charset=utf-8}). */
  public static void json(RoutingContext ctx, int status, Object body) {
    Reply.json(ctx, status, body);
  }

  /** {@code GET /v1/sessions/{session_id}}. */
  public Handler<RoutingContext> session() {
    return backend::get;
  }

  /** {@code DELETE /v1/sessions/{session_id}}, body {@code {"reason_text"}}. */
  public Handler<RoutingContext> revokeSession() {
    return backend::revoke;
  }

  /** {@code POST /v1/subjects/{subject}/revoke}, body {@code {"reason_text"}}. */
  public Handler<RoutingContext> revokeSubject() {
    return backend::revokeSubject;
  }

  /** {@code GET /v1/audit}, recorded as a read of the trail ({@code audit.read}). */
  public Handler<RoutingContext> auditQuery() {
    return reads.recorded("records", audit::handle);
  }

  /**
   * The records {@code GET /v1/audit}'s filters select, as one CSV file ({@link AuditCsv}), recorded
   * as a read of the trail ({@code what}: {@code records_csv}).
   */
  public Handler<RoutingContext> auditCsv() {
    AuditCsv csv = new AuditCsv(audit);
    return reads.recorded("records_csv", csv::handle);
  }

  /** {@code GET /v1/audit/checkpoint}, recorded as a read of the trail. */
  public Handler<RoutingContext> checkpoint() {
    return reads.recorded("checkpoint", proofs::checkpoint);
  }

  /** {@code GET /v1/audit/evidence?session_id=}, recorded as a read of the trail. */
  public Handler<RoutingContext> evidence() {
    return reads.recorded("evidence", proofs::evidence);
  }

  /**
   * {@code handler}, a read of the trail of the extension's own (a session's records, a
   * verification), recorded as {@code audit.read} with {@code what} before it is answered.
   */
  public Handler<RoutingContext> recordedRead(String what, Handler<RoutingContext> handler) {
    return reads.recorded(what, handler);
  }

  /** {@code GET /v1/policies}. */
  public Handler<RoutingContext> policies() {
    return policies::list;
  }

  /** {@code GET /v1/policies/{name}}. */
  public Handler<RoutingContext> policy() {
    return policies::get;
  }

  /** {@code PUT /v1/policies/{name}}. */
  public Handler<RoutingContext> putPolicy() {
    return policies::put;
  }

  /** {@code POST /v1/policies/check}. */
  public Handler<RoutingContext> checkPolicy() {
    return policies::check;
  }

  /** {@code POST /v1/policies/explain}. */
  public Handler<RoutingContext> explainPolicy() {
    return policies::explain;
  }
}

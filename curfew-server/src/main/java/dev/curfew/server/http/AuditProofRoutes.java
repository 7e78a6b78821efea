package dev.curfew.server.http;

import dev.curfew.core.AuditProofs;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * GET /v1/audit/checkpoint: the latest signed checkpoint, verbatim (a C2SP signed note, what
 * {@code curfew audit verify --trusted-checkpoint} takes), {@code text/plain; charset=utf-8}; 503
 * before the first checkpoint. GET /v1/audit/evidence?session_id=: the evidence bundle of one
 * session (spec/audit.md), {@code application/json}; 404 for a session the log does not know, 400
 * without {@code session_id}. Evidence and consistency proofs read files or the database and may
 * sign a checkpoint, so they run off the event loop.
 */
final class AuditProofRoutes {
  static final String TEXT = "text/plain; charset=utf-8";
  private static final int MAX_SESSION_ID_CHARS = 1024;

  private final AuditProofs proofs;

  AuditProofRoutes(AuditProofs proofs) {
    this.proofs = proofs;
  }

  void checkpoint(RoutingContext ctx) {
    if (proofs == null) {
      Reply.problem(ctx, Problem.unavailable("this node keeps no signed checkpoints"));
      return;
    }
    Optional<String> note = proofs.latestCheckpoint();
    if (note.isEmpty()) {
      Reply.problem(ctx, Problem.unavailable("no checkpoint has been signed yet"));
      return;
    }
    ctx.response().setStatusCode(200).putHeader("Content-Type", TEXT).end(note.get());
  }

  /** GET /v1/audit/consistency?from=N&to=M: {"from_size", "to_size", "proof": [base64 ...]}. */
  void consistency(RoutingContext ctx) {
    long from = size(ctx, "from");
    long to = size(ctx, "to");
    if (from < 1 || to < from) {
      Reply.problem(ctx, Problem.badRequest("give tree sizes from and to with 1 <= from <= to"));
      return;
    }
    if (proofs == null) {
      Reply.problem(ctx, Problem.unavailable("this node keeps no audit proofs"));
      return;
    }
    // AuditProofs may block on I/O (the PostgreSQL tree is read from the database): off the event loop
    ctx.vertx().executeBlocking(() -> proofs.consistencyProof(from, to), false).onComplete(ar -> {
      if (ar.failed()) {
        Reply.problem(ctx, Problem.unavailable("the consistency proof could not be computed: " + ar.cause().getMessage()));
      } else if (ar.result().isEmpty()) {
        Reply.problem(ctx, Problem.of(404, "not-found", "Not found", "the tree is smaller than " + to));
      } else {
        List<String> hashes = new java.util.ArrayList<>();
        for (byte[] h : ar.result().get()) hashes.add(java.util.Base64.getEncoder().encodeToString(h));
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("from_size", from);
        body.put("to_size", to);
        body.put("proof", hashes);
        Reply.json(ctx, 200, body);
      }
    });
  }

  private static long size(RoutingContext ctx, String name) {
    List<String> v = ctx.queryParams().getAll(name);
    if (v.size() != 1 || !v.get(0).matches("[0-9]{1,18}")) return -1;
    return Long.parseLong(v.get(0));
  }

  void evidence(RoutingContext ctx) {
    List<String> ids = ctx.queryParams().getAll("session_id");
    if (ids.size() != 1 || ids.get(0).isEmpty() || ids.get(0).length() > MAX_SESSION_ID_CHARS) {
      Reply.problem(ctx, Problem.badRequest("give one non-empty session_id query parameter (at most "
          + MAX_SESSION_ID_CHARS + " characters)"));
      return;
    }
    if (proofs == null) {
      Reply.problem(ctx, Problem.unavailable("this node keeps no audit proofs"));
      return;
    }
    String id = ids.get(0);
    ctx.vertx().executeBlocking(() -> proofs.evidence(id), false).onComplete(ar -> {
      if (ar.failed()) {
        Reply.problem(ctx, Problem.unavailable("the evidence could not be built: " + ar.cause().getMessage()));
      } else if (ar.result().isEmpty()) {
        Reply.problem(ctx, Problem.of(404, "not-found", "Not found", "the audit log holds no record of session " + id));
      } else {
        ctx.response().setStatusCode(200).putHeader("Content-Type", Reply.JSON).end(Buffer.buffer(ar.result().get()));
      }
    });
  }
}

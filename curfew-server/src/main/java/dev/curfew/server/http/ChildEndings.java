package dev.curfew.server.http;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.Revocation;
import dev.curfew.core.SessionStore;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * Ends the children of a session that was logged out or revoked ({@link EndReason#endsChildren}):
 * the database, shell and agent sessions minted from it at {@code POST /_curfew/connect} end with
 * reason {@code parent_ended}; its expiry ends none (each session keeps its own clock). Told of the
 * endings decided on this node only, so that with several nodes one of them acts. A store that
 * cannot be reached is asked again, {@link #ATTEMPTS} times in all, a second apart and then longer.
 */
public final class ChildEndings implements SessionEventFanOut.EndingListener {
  private static final System.Logger LOG = System.getLogger(ChildEndings.class.getName());
  static final int ATTEMPTS = 6;

  private final Vertx vertx;
  private final SessionStore store;

  public ChildEndings(Vertx vertx, SessionStore store) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.store = Objects.requireNonNull(store, "store");
  }

  @Override
  public void sessionEnded(String sessionId, String event, Map<String, Object> data) {
    EndReason reason;
    try {
      reason = EndReason.fromWire(String.valueOf(data.get("reason")));
    } catch (IllegalArgumentException e) {
      return;
    }
    if (!reason.endsChildren()) return;
    // Called under the session's lock: act on an event loop.
    vertx.runOnContext(v -> attempt(sessionId, reason, 1));
  }

  private void attempt(String sessionId, EndReason reason, int n) {
    endChildren(sessionId, reason).whenComplete((ended, err) -> {
      if (err == null && ended >= 0) return;
      if (n >= ATTEMPTS) {
        LOG.log(System.Logger.Level.ERROR, "the sessions opened from " + sessionId + " could not be ended: "
            + (err == null ? "the store is unavailable" : err.toString()));
        return;
      }
      vertx.setTimer(1000L << (n - 1), t -> attempt(sessionId, reason, n + 1));
    });
  }

  /** How many children ended; -1: the store could not say. */
  private CompletableFuture<Integer> endChildren(String sessionId, EndReason reason) {
    return store.get(sessionId).thenCompose(d -> {
      if (d.verdict() == Decision.Verdict.UNAVAILABLE) return CompletableFuture.completedFuture(-1);
      if (d.status() == null) return CompletableFuture.completedFuture(0); // forgotten: no child can be found
      return store.endChildren(d.status().subject(), sessionId, reason).thenCompose((Revocation r) ->
          r.revoked() < 0 ? CompletableFuture.completedFuture(-1) : r.durable().thenApply(x -> r.revoked()));
    });
  }
}

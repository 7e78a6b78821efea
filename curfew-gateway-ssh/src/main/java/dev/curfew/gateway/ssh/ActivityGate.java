package dev.curfew.gateway.ssh;

import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import dev.curfew.core.SessionStore;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The one place the SSH gateway asks the store about its session ({@link SessionStore#check}): every
 * keystroke batch, exec request and busy tick of a connection goes through here, so that activity is
 * decided against the deadline at that moment (exact enforcement, even before a timer fires).
 *
 * <p>Coalescing: at most one store call per connection is in flight. Batches that arrive meanwhile
 * share the next call, which starts when the current one answers; so the store is called once per
 * batch at a person's typing speed, and a burst (a paste, several channels) costs one call per round
 * trip, never one per byte, while no batch is let through on an answer given before it arrived.
 *
 * <p>Every call names the target's place ({@link SshTarget#audience()}): the store refuses a session
 * opened for anywhere else ({@link Decision.Verdict#WRONG_AUDIENCE}) in the same atomic step,
 * without touching it.
 */
final class ActivityGate {
  private final SessionStore sessions;
  private final String token;
  private final Audience usedAt;
  private boolean busy;
  private CompletableFuture<Decision> next;
  private boolean nextTouches;

  ActivityGate(SessionStore sessions, String token, Audience usedAt) {
    this.sessions = sessions;
    this.token = token;
    this.usedAt = Objects.requireNonNull(usedAt, "usedAt");
  }

  /** Asks whether the session is still valid; with {@code touch}, records activity. */
  CompletableFuture<Decision> check(boolean touch) {
    synchronized (this) {
      if (busy) {
        if (next == null) next = new CompletableFuture<>();
        nextTouches |= touch;
        return next;
      }
      busy = true;
    }
    return start(touch);
  }

  private CompletableFuture<Decision> start(boolean touch) {
    CompletableFuture<Decision> f;
    try {
      f = sessions.check(token, touch, usedAt);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    f.whenComplete((d, e) -> settled());
    return f;
  }

  private void settled() {
    CompletableFuture<Decision> waiting;
    boolean touch;
    synchronized (this) {
      waiting = next;
      touch = nextTouches;
      next = null;
      nextTouches = false;
      if (waiting == null) {
        busy = false;
        return;
      }
    }
    start(touch).whenComplete((d, e) -> {
      if (e != null) {
        waiting.completeExceptionally(e);
      } else {
        waiting.complete(d);
      }
    });
  }
}

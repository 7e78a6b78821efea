package dev.curfew.server.http;

import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Server-Sent Events stream of every session's changes, for a list of sessions that must follow
 * them without polling (the admin console's live sessions). It says which session changed and how
 * (the event names of {@link EventHub}, plus {@code status} when a session opens), never a token:
 * the page asks for what it shows again.
 *
 * <p>Changes are sent in batches at most every {@link #BATCH_MS} (a busy server opens and ends
 * sessions by the thousand; one page refresh per batch is enough), at most {@link #MAX_BATCH}
 * changes a batch ({@code "more": true} says that some were left out). The stream starts with a
 * {@code ready} event (a client that reconnects asks for the list again then) and ends when the
 * session of whoever follows it ends.
 */
public final class SessionChanges {
  static final long BATCH_MS = 250;
  static final int MAX_BATCH = 100;

  private SessionChanges() {}

  /**
   * The handler of the stream's route. {@code follower} gives the id of the session on whose
   * behalf the request follows (its ending closes the stream).
   */
  public static Handler<RoutingContext> handler(EventHub hub, java.util.function.Function<RoutingContext, String> follower,
      long heartbeatMs) {
    Objects.requireNonNull(hub, "hub");
    Objects.requireNonNull(follower, "follower");
    return ctx -> {
      Watcher w = new Watcher(hub, follower.apply(ctx), ctx.vertx().getOrCreateContext(), ctx.response());
      if (!hub.watch(w)) {
        Reply.problem(ctx, Problem.of(429, "too-many-streams", "Too many event streams",
            "at most " + EventHub.MAX_WATCHERS + " streams may follow every session's changes"));
        return;
      }
      w.start(heartbeatMs);
    };
  }

  /** One stream: changes are queued from any thread and written in batches on the stream's context. */
  static final class Watcher {
    private final String followerSessionId;
    private final SseResponse sse;
    private final ConcurrentLinkedQueue<Map<String, Object>> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    private final AtomicBoolean more = new AtomicBoolean();
    private final AtomicBoolean scheduled = new AtomicBoolean();

    Watcher(EventHub hub, String followerSessionId, Context context, HttpServerResponse response) {
      this.followerSessionId = followerSessionId;
      this.sse = new SseResponse(context, response, () -> hub.unwatch(this));
    }

    void start(long heartbeatMs) {
      sse.start(EventStream.frame("ready", Map.of()), heartbeatMs);
    }

    /** From any thread, under a session's lock: queues the change and returns at once. */
    void offer(String sessionId, String event) {
      if (sse.closed()) return;
      if (sessionId.equals(followerSessionId) && EventHub.ENDING_EVENTS.contains(event)) {
        sse.closeLater();
        return;
      }
      if (pendingCount.incrementAndGet() > MAX_BATCH) {
        pendingCount.decrementAndGet();
        more.set(true);
      } else {
        Map<String, Object> change = new LinkedHashMap<>();
        change.put("session_id", sessionId);
        change.put("event", event);
        pending.add(change);
      }
      if (scheduled.compareAndSet(false, true)) {
        sse.context().runOnContext(v -> sse.context().owner().setTimer(BATCH_MS, id -> flush()));
      }
    }

    private void flush() {
      scheduled.set(false);
      List<Object> changes = new ArrayList<>();
      for (Map<String, Object> c; (c = pending.poll()) != null; ) {
        pendingCount.decrementAndGet();
        changes.add(c);
      }
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("changes", changes);
      data.put("more", more.getAndSet(false));
      sse.write(EventStream.frame("changed", data));
    }

    void closeLater() {
      sse.closeLater();
    }
  }
}

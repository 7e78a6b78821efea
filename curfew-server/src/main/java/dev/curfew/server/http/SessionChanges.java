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
    private final EventHub hub;
    private final String followerSessionId;
    private final Context context;
    private final HttpServerResponse response;
    private final ConcurrentLinkedQueue<Map<String, Object>> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    private final AtomicBoolean more = new AtomicBoolean();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private long heartbeatTimer = -1;
    private volatile boolean closed;

    Watcher(EventHub hub, String followerSessionId, Context context, HttpServerResponse response) {
      this.hub = hub;
      this.followerSessionId = followerSessionId;
      this.context = context;
      this.response = response;
    }

    void start(long heartbeatMs) {
      if (response.closed()) {
        close();
        return;
      }
      response.setStatusCode(200)
          .setChunked(true)
          .putHeader("Content-Type", "text/event-stream; charset=utf-8")
          .putHeader("Cache-Control", "no-store")
          .putHeader("X-Accel-Buffering", "no");
      response.closeHandler(v -> close());
      response.exceptionHandler(e -> close());
      response.write(EventStream.frame("ready", Map.of()));
      heartbeatTimer = context.owner().setPeriodic(heartbeatMs, id -> write(":\n\n"));
    }

    /** From any thread, under a session's lock: queues the change and returns at once. */
    void offer(String sessionId, String event) {
      if (closed) return;
      if (sessionId.equals(followerSessionId) && EventHub.ENDING_EVENTS.contains(event)) {
        context.runOnContext(v -> close());
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
        context.runOnContext(v -> context.owner().setTimer(BATCH_MS, id -> flush()));
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
      write(EventStream.frame("changed", data));
    }

    private void write(String frame) {
      if (closed) return;
      if (response.writeQueueFull()) {
        close(); // a client that does not read: it reconnects, and asks for the list again
        return;
      }
      response.write(frame);
    }

    void closeLater() {
      context.runOnContext(v -> close());
    }

    private void close() {
      if (closed) return;
      closed = true;
      if (heartbeatTimer >= 0) context.owner().cancelTimer(heartbeatTimer);
      hub.unwatch(this);
      if (!response.ended() && !response.closed()) response.end();
    }
  }
}

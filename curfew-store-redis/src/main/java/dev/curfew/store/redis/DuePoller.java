package dev.curfew.store.redis;

import dev.curfew.core.SessionEvents;
import io.vertx.redis.client.Response;
import java.util.List;

/**
 * Claims due warnings and expiries, shard by shard ({@code due.lua}). Each call answers Redis's time
 * and the shard's earliest remaining deadline, so the next call is timed on Redis's clock, whatever
 * this node's clock says; a session opened elsewhere with an earlier deadline is announced on the
 * due channel ({@link #hint}). Every node polls every shard: the claim is atomic, so an event goes to
 * exactly one of them, and a node that dies takes nothing with it.
 */
final class DuePoller {
  private static final System.Logger LOG = System.getLogger(DuePoller.class.getName());
  private static final long RETRY_MS = 100;

  private final RedisSessionStore store;
  private final long[] timers = new long[RedisKeys.SHARDS];
  private final long[] nextAtRedisMs = new long[RedisKeys.SHARDS];
  private final boolean[] inFlight = new boolean[RedisKeys.SHARDS];
  private final boolean[] again = new boolean[RedisKeys.SHARDS];
  private long lastRedisMs;
  private long lastLocalNanos;
  private boolean running;

  DuePoller(RedisSessionStore store) {
    this.store = store;
    java.util.Arrays.fill(timers, -1);
  }

  synchronized void start() {
    running = true;
    for (int i = 0; i < RedisKeys.SHARDS; i++) poll(i);
  }

  synchronized void stop() {
    running = false;
    for (int i = 0; i < RedisKeys.SHARDS; i++) {
      if (timers[i] >= 0) store.vertx.cancelTimer(timers[i]);
      timers[i] = -1;
    }
  }

  /** Redis's time now, estimated from the last answer and this node's monotonic clock. */
  private long redisNowMs() {
    return lastRedisMs + (System.nanoTime() - lastLocalNanos) / 1_000_000;
  }

  /** A shard has a new earliest deadline {@code atMs} (Redis time): look then, if that is sooner. */
  synchronized void hint(int shard, long atMs) {
    if (!running || shard < 0 || shard >= RedisKeys.SHARDS || inFlight[shard]) {
      if (running && shard >= 0 && shard < RedisKeys.SHARDS) again[shard] = true;
      return;
    }
    if (atMs < nextAtRedisMs[shard]) schedule(shard, atMs - redisNowMs());
  }

  private synchronized void poll(int shard) {
    timers[shard] = -1;
    if (!running) return;
    if (inFlight[shard]) {
      again[shard] = true;
      return;
    }
    if (!store.sink.writable()) {
      // Nothing is claimed while it could not be recorded: it stays due, and is claimed on return.
      schedule(shard, RETRY_MS);
      return;
    }
    inFlight[shard] = true;
    again[shard] = false;
    RedisSessionStore.Settings s = store.settings;
    store.run(store.scripts.due, List.of(store.keys.due(shard)), List.of(store.keys.shard(shard),
        Integer.toString(s.claimBatch()), Long.toString(s.endedRetention().toMillis()), Long.toString(s.lease().toMillis())))
        .onComplete(ar -> {
          synchronized (this) {
            inFlight[shard] = false;
            if (ar.failed()) {
              LOG.log(System.Logger.Level.DEBUG, "deadline claim failed: " + ar.cause());
              schedule(shard, RETRY_MS);
              return;
            }
            Response r = ar.result();
            long now = r.get(0).toLong();
            lastRedisMs = now;
            store.sawRedisTime(now);
            lastLocalNanos = System.nanoTime();
            String earliest = r.get(1).toString();
            int n = r.size() - 2;
            long delay = store.settings.maxPollInterval().toMillis();
            if (n >= s.claimBatch() || again[shard]) {
              delay = 0;
            } else if (!earliest.isEmpty()) {
              delay = Math.min(delay, Math.max(0, Long.parseLong(earliest) - now));
            }
            schedule(shard, delay);
            for (int i = 2; i < r.size(); i++) {
              try {
                claimed(shard, now, r.get(i));
              } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "could not handle a claimed deadline", e);
              }
            }
          }
        });
  }

  private void schedule(int shard, long delayMs) {
    if (!running) return;
    if (timers[shard] >= 0) store.vertx.cancelTimer(timers[shard]);
    long d = Math.max(1, delayMs);
    nextAtRedisMs[shard] = redisNowMs() + d;
    timers[shard] = store.vertx.setTimer(d, id -> poll(shard));
  }

  /** One claimed event: {kind, session id, extra, row...}. */
  private void claimed(int shard, long now, Response e) {
    String kind = e.get(0).toString();
    String id = e.get(1).toString();
    String extra = e.get(2).toString();
    Row row = e.size() > 3 ? Row.of(id, e, 3) : null;
    switch (kind) {
      case "expired" -> store.endedHere(row);
      case "warning" -> warn(shard, now, row, extra);
      case "redeliver" -> redeliver(shard, row, extra);
      default -> LOG.log(System.Logger.Level.ERROR, "unknown claim " + kind);
    }
  }

  private void warn(int shard, long now, Row s, String member) {
    long expiresAt = s.expiresAt();
    int delivered = store.publish(s.id(), "warning", SessionEvents.warningData(expiresAt, now));
    store.recordChange(member, s, delivered);
  }

  /**
   * A claim whose node did not confirm it within the lease (it died, or its audit log failed): the
   * ending is recorded here from the session's fields, a warning or a change a request made from its
   * entry ({@link Claims}); either way the record is the one the first node would have written.
   */
  private void redeliver(int shard, Row s, String member) {
    if (s == null) {
      store.confirm(shard, member); // forgotten meanwhile: nothing left to record
      return;
    }
    if (member.startsWith("e|")) {
      if (s.ended()) {
        store.takeOver(member, Claims.claim(member), () -> store.endedHere(s));
      } else {
        store.confirm(shard, member);
      }
      return;
    }
    store.takeOver(member, Claims.claim(member), () -> store.recordChange(member, s, 0));
  }
}

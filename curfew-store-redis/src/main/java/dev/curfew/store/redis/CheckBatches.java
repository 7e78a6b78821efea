package dev.curfew.store.redis;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Response;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Coalesces concurrent checks into one {@code check.lua} call. Checks go into a lane; a lane with
 * fewer than {@link #maxInFlight} calls under way sends at once what it holds (so a lone check is
 * sent the moment it arrives: no timer, no added latency at low load), and the checks that arrive
 * while its calls are under way wait and go together, at most {@link #maxBatch} a call, as soon as
 * one of them answers. Each check still gets its own answer from the script, decided in Redis on
 * Redis's clock.
 *
 * <p>Lanes: on a Redis Cluster every key of one script call must be in one slot, so there is one
 * lane per shard ({@link RedisKeys#SHARDS}; a shard's keys share a hash tag). On a single Redis
 * ({@code acrossShards}) there is one lane for all shards, so that the checks in flight gather in
 * fewer, larger calls.
 */
final class CheckBatches {
  /** One check waiting for its call: its token's key, its four arguments, and where its answer goes. */
  record Pending(String tokenKey, String shardPrefix, String hashHex, String touch, String places,
      Promise<Response> answer) {
  }

  /** Calls run by {@link #send}: the script with these keys and arguments, bounded by the timeout. */
  interface Caller {
    Future<Response> call(List<String> keys, List<String> args);
  }

  private static final class Lane {
    final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    int inFlight;
  }

  private final Caller caller;
  private final Lane[] lanes;
  private final int maxBatch;
  private final int maxInFlight;

  CheckBatches(Caller caller, boolean acrossShards, int maxBatch, int maxInFlight) {
    if (maxBatch < 1 || maxInFlight < 1) throw new IllegalArgumentException("maxBatch and maxInFlight must be >= 1");
    this.caller = caller;
    this.lanes = new Lane[acrossShards ? 1 : RedisKeys.SHARDS];
    for (int i = 0; i < lanes.length; i++) lanes[i] = new Lane();
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
  }

  /** The script's answer for one check of a token of shard {@code shard}. */
  Future<Response> check(int shard, String tokenKey, String shardPrefix, String hashHex, String touch, String places) {
    Promise<Response> answer = Promise.promise();
    Lane lane = lanes[lanes.length == 1 ? 0 : shard];
    List<Pending> batch = null;
    synchronized (lane) {
      lane.waiting.add(new Pending(tokenKey, shardPrefix, hashHex, touch, places, answer));
      if (lane.inFlight < maxInFlight) batch = take(lane);
    }
    if (batch != null) send(lane, batch);
    return answer.future();
  }

  /** Takes up to {@link #maxBatch} waiting checks and counts their call as under way; under the lane's lock. */
  private List<Pending> take(Lane lane) {
    List<Pending> batch = new ArrayList<>(Math.min(lane.waiting.size(), maxBatch));
    while (batch.size() < maxBatch && !lane.waiting.isEmpty()) batch.add(lane.waiting.poll());
    lane.inFlight++;
    return batch;
  }

  private void send(Lane lane, List<Pending> batch) {
    List<String> keys = new ArrayList<>(batch.size());
    List<String> args = new ArrayList<>(batch.size() * 4);
    for (Pending p : batch) {
      keys.add(p.tokenKey());
      args.add(p.shardPrefix());
      args.add(p.hashHex());
      args.add(p.touch());
      args.add(p.places());
    }
    caller.call(keys, args).onComplete(ar -> {
      List<Pending> next = null;
      synchronized (lane) {
        lane.inFlight--;
        if (!lane.waiting.isEmpty()) next = take(lane);
      }
      if (next != null) send(lane, next);
      for (int i = 0; i < batch.size(); i++) {
        Promise<Response> answer = batch.get(i).answer();
        if (ar.failed()) {
          answer.fail(ar.cause());
        } else if (ar.result() == null || ar.result().size() <= i) {
          answer.fail(new IllegalStateException("check.lua answered " + batch.size() + " checks with "
              + (ar.result() == null ? 0 : ar.result().size()) + " answers"));
        } else {
          answer.complete(ar.result().get(i));
        }
      }
    });
  }
}

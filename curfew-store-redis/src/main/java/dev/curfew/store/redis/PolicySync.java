package dev.curfew.store.redis;

import dev.curfew.core.Decision;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.PolicyChange;
import dev.curfew.core.SessionRecords;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Policy versions shared by all nodes, in one Redis hash ({@code policy.lua} numbers them), and
 * applied to live sessions when a change says so. A session carries the values of the version it
 * runs under, so no check ever needs this table.
 */
final class PolicySync {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final RedisSessionStore store;
  private final Policies policies;

  PolicySync(RedisSessionStore store, Policies policies) {
    this.store = store;
    this.policies = policies;
  }

  /** Every version of every policy, from Redis into {@link Policies}. */
  Future<Void> load() {
    return store.redis.send(Request.cmd(Command.HGETALL).arg(store.keys.policies())).map(r -> {
      if (r != null) install(toMap(r));
      return null;
    });
  }

  /** One policy's versions again (another node changed it). */
  void reload(String name) {
    load();
  }

  private static Map<String, String> toMap(Response r) {
    Map<String, String> m = new java.util.HashMap<>();
    for (String k : r.getKeys()) m.put(k, r.get(k).toString());
    return m;
  }

  private synchronized void install(Map<String, String> fields) {
    for (Map.Entry<String, String> e : fields.entrySet()) {
      if (e.getKey().contains("#")) continue;
      String name = e.getKey();
      int latest = Integer.parseInt(e.getValue());
      for (int v = 1; v <= latest; v++) {
        String json = fields.get(name + "#" + v);
        if (json != null) policies.restore(fromJson(json).withVersion(v));
      }
    }
  }

  static String valuesJson(Policy p) {
    Map<String, Object> m = SessionRecords.policyData(p);
    m.remove("version");
    return CanonicalJson.write(m);
  }

  @SuppressWarnings("unchecked")
  static Policy fromJson(String json) {
    Map<String, Object> m = Json.parseObject(json);
    Object renew = m.get("renew_every_ms");
    List<String> comply = new ArrayList<>();
    for (Object o : (List<Object>) m.getOrDefault("comply_with", List.of())) comply.add((String) o);
    return new Policy((String) m.get("name"), 1, Duration.ofMillis(((Number) m.get("idle_timeout_ms")).longValue()),
        Duration.ofMillis(((Number) m.get("absolute_timeout_ms")).longValue()),
        Duration.ofMillis(((Number) m.get("warn_before_ms")).longValue()),
        ((Number) m.get("max_extensions")).intValue(),
        renew == null ? null : Duration.ofMillis(((Number) renew).longValue()), comply,
        dev.curfew.core.ConcurrencyLimit.fromFields(m));
  }

  /**
   * A new version of {@code values}' policy ({@code force}: even with the latest's values). With
   * {@code applyToLive}, every live session of the policy moves to it, narrowed field by field
   * against the session's own values ({@link Policy#narrowedBy}, common.lua's {@code narrow}).
   */
  Future<PolicyChange> change(Policy values, boolean applyToLive, String actor, boolean force) {
    Policy current = policies.current(values.name()).orElse(null);
    if (applyToLive && current != null) current.requireNotLoosenedBy(values);
    if (!store.sink.writable()) return Future.succeededFuture(new PolicyChange(null, 0, DONE));
    String json = valuesJson(values);
    return store.run(store.scripts.policy, List.of(store.keys.policies(), store.keys.policiesPending()),
        List.of(values.name(), json, store.keys.policiesChannel(), force ? "1" : "0",
            Long.toString(store.settings.lease().toMillis()), actor == null ? "" : actor))
        .compose(r -> {
          int version = r.get(0).toInteger();
          boolean added = r.get(1).toInteger() == 1;
          String member = r.get(3).toString();
          Policy stored = values.withVersion(version);
          return load().map(v -> {
            synchronized (this) {
              policies.restore(stored);
            }
            return stored;
          }).compose(p -> {
            List<CompletableFuture<Void>> durables = new ArrayList<>();
            if (added) durables.add(recordChange(member, json));
            Future<Integer> applied = applyToLive ? applyAll(p, durables) : Future.succeededFuture(0);
            return applied.map(n -> new PolicyChange(p, n,
                CompletableFuture.allOf(durables.toArray(new CompletableFuture<?>[0]))));
          });
        });
  }

  /**
   * Records a version added ({@code policy.changed}) from its pending entry ({@code
   * c|<name>|<version>|<at>|<actor>}) and the values stored with it, then clears the entry once the
   * record is durable: the node that added it and a node that takes the entry over after its lease
   * build the same record, claim {@code policy:<name>:<version>}.
   */
  CompletableFuture<Void> recordChange(String member, String valuesJson) {
    String[] p = member.split("\\|", 5);
    String claim = "policy:" + p[1] + ":" + p[2];
    Policy stored = fromJson(valuesJson).withVersion(Integer.parseInt(p[2]));
    String actor = p[4].isEmpty() ? null : p[4];
    CompletableFuture<Void> durable = store.sink.append(List.of(store.records.policyChanged(Long.parseLong(p[3]), stored,
        actor).with("claim", claim)), List.of());
    durable.thenRun(() -> confirm(member));
    return durable;
  }

  private void confirm(String member) {
    store.redis.send(Request.cmd(Command.ZREM).arg(store.keys.policiesPending()).arg(member));
  }

  /** Takes over the policy versions whose node did not record them within the lease ({@code policyclaims.lua}). */
  Future<Void> takeOver() {
    return store.run(store.scripts.policyClaims, List.of(store.keys.policiesPending(), store.keys.policies()),
        List.of(Long.toString(store.settings.lease().toMillis()), Integer.toString(store.settings.claimBatch())))
        .map(r -> {
          for (Response e : r) {
            String member = e.get(0).toString();
            String json = e.get(1).toString();
            if (json.isEmpty()) {
              confirm(member); // the version is gone (the hash was removed): nothing to record
            } else {
              String[] p = member.split("\\|", 5);
              store.takeOver(member, "policy:" + p[1] + ":" + p[2], () -> recordChange(member, json));
            }
          }
          return null;
        });
  }

  /** Moves every live session of {@code p}'s policy to {@code p}, shard by shard. */
  private Future<Integer> applyAll(Policy p, List<CompletableFuture<Void>> durables) {
    Future<Integer> chain = Future.succeededFuture(0);
    for (int shard = 0; shard < RedisKeys.SHARDS; shard++) {
      int s = shard;
      chain = chain.compose(n -> scan(p, s, "0", durables).map(m -> n + m));
    }
    return chain;
  }

  private Future<Integer> scan(Policy p, int shard, String cursor, List<CompletableFuture<Void>> durables) {
    return store.redis.send(Request.cmd(Command.ZSCAN).arg(store.keys.due(shard)).arg(cursor).arg("COUNT").arg(500))
        .compose(r -> {
          String next = r.get(0).toString();
          Response items = r.get(1);
          List<Future<Boolean>> each = new ArrayList<>();
          for (int i = 0; i < items.size(); i += 2) each.add(apply(p, items.get(i).toString(), durables));
          return Future.all(each).compose(all -> {
            int n = 0;
            for (int i = 0; i < all.size(); i++) if (Boolean.TRUE.equals(all.resultAt(i))) n++;
            int count = n;
            return next.equals("0") ? Future.succeededFuture(count) : scan(p, shard, next, durables).map(m -> count + m);
          });
        });
  }

  private Future<Boolean> apply(Policy p, String id, List<CompletableFuture<Void>> durables) {
    List<String> args = List.of(p.name(), Integer.toString(p.version()), Long.toString(p.idleTimeoutMs()),
        Long.toString(p.absoluteTimeoutMs()), Long.toString(p.warnBeforeMs()), Integer.toString(p.maxExtensions()),
        Long.toString(p.renewEvery() == null ? 0 : p.renewEvery().toMillis()));
    return store.run(store.scripts.session, List.of(store.keys.session(id)), store.sessionArgsForId("apply", id, args))
        .map(r -> {
          RedisSessionStore.Outcome o = RedisSessionStore.Outcome.of(r);
          if (o.row() == null) return false;
          if (o.verdict().equals("ENDED")) {
            Decision d = store.endedOutcome(o);
            durables.add(d.durable());
            return false;
          }
          if (!o.flag().startsWith("applied")) return false;
          Row s = o.row();
          synchronized (durables) {
            durables.add(store.recordChange(o.extra(), s, 0));
            if (o.flag().equals("applied_ended")) {
              durables.add(store.endedHere(s));
            } else {
              store.publish(s.id(), "status", s.status(o.now()).toMap());
            }
          }
          return true;
        });
  }
}

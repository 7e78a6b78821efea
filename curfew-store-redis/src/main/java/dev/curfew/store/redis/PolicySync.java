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
  private static final System.Logger LOG = System.getLogger(PolicySync.class.getName());
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

  private final RedisSessionStore store;
  private final Policies policies;
  /**
   * The highest version of each policy this node has seen stored in Redis (loaded, or added by
   * itself), guarded by {@code this}. A configured version not yet adopted is not in it. It is the
   * floor of the next version's number ({@code policy.lua}) and what {@link #putBack} restores: a
   * Redis that lost its data must not give a number again, since a version's claim names one change.
   */
  private final Map<String, Integer> stored = new java.util.HashMap<>();

  PolicySync(RedisSessionStore store, Policies policies) {
    this.store = store;
    this.policies = policies;
  }

  /**
   * Every version of every policy, from Redis into {@link Policies}; then the versions this node has
   * seen stored and Redis no longer holds are put back ({@link #putBack}).
   */
  Future<Void> load() {
    return store.redis.send(Request.cmd(Command.HGETALL).arg(store.keys.policies())).compose(r -> {
      Map<String, String> fields = r == null ? Map.of() : toMap(r);
      install(fields);
      return putBack(fields);
    });
  }

  /**
   * Puts back, in Redis, the versions this node has seen stored there and Redis no longer holds (it
   * restarted without its data, or was flushed), from {@link Policies}: each version under its own
   * number and values, without a new {@code policy.changed} (its record was written when it was
   * added), and without replacing a version another node added meanwhile ({@code
   * policyrestore.lua}). A node that starts on the emptied Redis then finds the policies as they
   * were. Never fails: a version not put back now is put back at the next load.
   */
  private Future<Void> putBack(Map<String, String> fields) {
    Map<String, Integer> known;
    synchronized (this) {
      known = new java.util.TreeMap<>(stored);
    }
    List<Future<Response>> each = new ArrayList<>();
    for (Map.Entry<String, Integer> e : known.entrySet()) {
      String name = e.getKey();
      List<String> args = new ArrayList<>(List.of(name, store.keys.policiesChannel()));
      boolean missing = false;
      // Versions 1 to n as this node holds them (a version it has not loaded yet stops the walk).
      int n = 0;
      for (int v = 1; v <= e.getValue(); v++) {
        Policy p = policies.version(name, v).orElse(null);
        if (p == null) break;
        missing |= !fields.containsKey(name + "#" + v);
        args.add(valuesJson(p));
        n = v;
      }
      missing |= Integer.parseInt(fields.getOrDefault(name, "0")) < n;
      if (!missing) continue;
      LOG.log(System.Logger.Level.WARNING, "Redis lacks versions of policy \"" + name + "\" this node has seen"
          + " (did it restart without its data?): putting back versions 1 to " + n);
      each.add(store.run(store.scripts.policyRestore, List.of(store.keys.policies()), args));
    }
    return Future.join(each).<Void>mapEmpty().recover(e -> {
      LOG.log(System.Logger.Level.DEBUG, "policies not put back yet: " + e);
      return Future.succeededFuture();
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
      stored.merge(name, latest, Math::max);
      for (int v = 1; v <= latest; v++) {
        String json = fields.get(name + "#" + v);
        if (json == null) continue; // lost with Redis's data: put back by a node that knows it
        try {
          policies.restore(fromJson(json).withVersion(v));
        } catch (IllegalStateException gap) {
          // A version after ones this node never saw (Redis lost them): it waits until they are put back.
          LOG.log(System.Logger.Level.DEBUG, gap.getMessage());
          break;
        }
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
    int floor;
    synchronized (this) {
      floor = stored.getOrDefault(values.name(), 0);
    }
    return store.run(store.scripts.policy, List.of(store.keys.policies(), store.keys.policiesPending()),
        List.of(values.name(), json, store.keys.policiesChannel(), force ? "1" : "0",
            Long.toString(store.settings.lease().toMillis()), actor == null ? "" : actor, Integer.toString(floor)))
        .compose(r -> {
          int version = r.get(0).toInteger();
          boolean added = r.get(1).toInteger() == 1;
          String member = r.get(3).toString();
          Policy numbered = values.withVersion(version);
          synchronized (this) {
            stored.merge(values.name(), version, Math::max);
          }
          return load().map(v -> {
            synchronized (this) {
              policies.restore(numbered);
            }
            return numbered;
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

package dev.curfew.bench.peers;

import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.store.redis.RedisSessionStore;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.concurrent.TimeUnit;

/**
 * Curfew's Redis store as {@code curfew serve} builds it with {@code store: redis} (same settings,
 * pool and scripts), for {@code --store redis}. Its audit sink is in memory: a check-and-touch without
 * a token rotation writes no audit record, so the sink does not take part in what is measured (the
 * sessions' {@code session.created} records go to it while they are opened). Curfew's keys carry the
 * hash tag first ({@code {prefix:n}:...}), so they are removed here rather than by the harness's
 * prefix scan.
 */
public final class RedisStoreFactory implements StoreFactory {
  private Vertx vertx;
  private RedisSessionStore store;
  private String curfewPrefix;
  private RedisTarget target;

  @Override
  public String label() {
    return "curfew-redis";
  }

  @Override
  public boolean throughRedis() {
    return true;
  }

  @Override
  public SessionStore open(RedisTarget redis, String keyPrefix, Policies policies) {
    this.target = redis;
    this.curfewPrefix = keyPrefix.replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("-+$", "");
    this.vertx = Vertx.vertx();
    Redis client = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString("redis://" + redis.host() + ":" + redis.port())
        .setMaxPoolSize(16).setMaxPoolWaiting(100_000));
    try {
      store = RedisSessionStore.start(vertx, client, "bench", new SystemClock(), policies, new MemoryAuditSink(),
          null, null, null, RedisSessionStore.Settings.defaults().withPrefix(curfewPrefix)
              .withChecksAcrossShards(true))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot start the Redis store: " + e, e);
    }
    return store;
  }

  @Override
  public void close() {
    try {
      if (store != null) store.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (curfewPrefix != null) {
        Redis cleaner = Redis.createClient(vertx, "redis://" + target.host() + ":" + target.port());
        String cursor = "0";
        long deleted = 0;
        do {
          Response page = cleaner.send(Request.cmd(Command.SCAN).arg(cursor).arg("MATCH").arg("{" + curfewPrefix + "*")
              .arg("COUNT").arg(1000)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
          cursor = page.get(0).toString();
          for (Response k : page.get(1)) {
            cleaner.send(Request.cmd(Command.UNLINK).arg(k.toString())).toCompletionStage().toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
            deleted++;
          }
        } while (!cursor.equals("0"));
        System.out.printf("deleted %,d Curfew keys under {%s*%n", deleted, curfewPrefix);
        cleaner.close();
      }
    } catch (Exception e) {
      System.out.println("could not clean up the Curfew store: " + e);
    } finally {
      if (vertx != null) vertx.close();
    }
  }
}

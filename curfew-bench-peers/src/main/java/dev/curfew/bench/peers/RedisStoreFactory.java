package dev.curfew.bench.peers;

import dev.curfew.core.Policies;
import dev.curfew.core.SessionStore;

/**
 * THE ONE PLACE WHERE CURFEW'S REDIS STORE IS CONSTRUCTED FOR THIS BENCHMARK ({@code --store redis}).
 *
 * <p>Until the module {@code curfew-store-redis} exists, {@link #open} throws
 * {@link UnsupportedOperationException}; {@link CurfewCheck} then reports the Curfew row as not run
 * (exit status 3) and {@code run.sh} prints it as "to be filled by the same script". To plug it in:
 *
 * <ol>
 *   <li>in {@code curfew-bench-peers/pom.xml}, add the dependency {@code dev.curfew:curfew-store-redis}
 *       (version {@code ${project.version}}) where the comment says so;
 *   <li>in {@link #open}, replace the {@code throw} with the construction of
 *       {@code dev.curfew.store.redis.RedisSessionStore} on {@code redis.host()}/{@code redis.port()},
 *       with every key under {@code keyPrefix}, and the configuration {@code curfew serve} would use in
 *       production (its audit sink included: say which in {@link #label} if it is not the production
 *       one); keep what must be closed in a field and close it in {@link #close}.
 * </ol>
 */
public final class RedisStoreFactory implements StoreFactory {
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
    // PLUG IN HERE: return new dev.curfew.store.redis.RedisSessionStore(...);
    throw new UnsupportedOperationException(
        "curfew-store-redis is not built yet: construct RedisSessionStore in RedisStoreFactory.open");
  }

  @Override
  public void close() {
    // PLUG IN HERE: close the store's Redis client (and anything else open() started).
  }
}

package dev.curfew.bench.peers;

import dev.curfew.core.Policies;
import dev.curfew.core.SessionStore;

/**
 * Builds the Curfew {@link SessionStore} that {@link CurfewCheck} drives. {@code --store} names one:
 * {@code redis} ({@link RedisStoreFactory}), {@code embedded} ({@link EmbeddedStoreFactory}, a smoke
 * test with no Redis), or the class name of any implementation with a public no-argument
 * constructor on the class path.
 */
public interface StoreFactory extends AutoCloseable {
  /** What is measured, for the results: {@code curfew-redis}, {@code curfew-embedded}, ... */
  String label();

  /**
   * Whether each check goes through Redis. Only such a store's figures are compared with Spring
   * Session and redis-benchmark; the others are smoke tests of the driver.
   */
  boolean throughRedis();

  /**
   * Builds the store.
   *
   * @param redis the server to use (the one Spring Session and redis-benchmark use in the same run)
   * @param keyPrefix every key the store writes must start with this; the driver deletes them all
   *     afterwards
   * @param policies the sessions are opened under {@code policies.defaultName()}
   */
  SessionStore open(RedisTarget redis, String keyPrefix, Policies policies) throws Exception;

  /** Releases connections and threads; called after the run (keys are deleted by the driver). */
  @Override
  default void close() throws Exception {}
}

package dev.curfew.server.oidc;

import dev.curfew.core.Clock;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The logout tokens already acted on, by provider and {@code jti}, each remembered until it could
 * no longer pass the {@code iat} window anyway: a replayed token is refused (OpenID Connect
 * Back-Channel Logout 1.0 §2.6, the {@code jti} step). {@link #inMemory} is one node's memory,
 * {@link #inFile} one node's that survives a restart; with the Redis store,
 * {@code RedisSeenLogoutTokens} remembers cluster-wide.
 */
public interface SeenLogoutTokens {
  /** True the first time {@code key} is offered before {@code forgetAtMs}; false for a replay. */
  CompletableFuture<Boolean> firstSighting(String key, long forgetAtMs);

  /** Forgets {@code key}: its logout could not be carried out, so the provider may send it again. */
  CompletableFuture<Void> forget(String key);

  /**
   * The memory could not be written: the token is not acted on (a 503, so that the provider sends
   * it again), since acting on it unremembered would let it be replayed after a restart.
   */
  final class Unavailable extends RuntimeException {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Most tokens one node remembers; beyond it the oldest-expiring are dropped first. */
  int MAX_REMEMBERED = 100_000;

  /** One node's memory, kept in {@code file} (in the data directory) across restarts. */
  static SeenLogoutTokens inFile(java.nio.file.Path file, Clock clock) {
    return new FileSeenLogoutTokens(file, clock);
  }

  static SeenLogoutTokens inMemory(Clock clock) {
    Map<String, Long> seen = new ConcurrentHashMap<>();
    return new SeenLogoutTokens() {
      @Override
      public CompletableFuture<Boolean> firstSighting(String key, long forgetAtMs) {
        long now = clock.millis();
        if (seen.size() >= MAX_REMEMBERED) seen.values().removeIf(t -> t <= now);
        if (seen.size() >= MAX_REMEMBERED) {
          // Every entry is still inside its window: drop the one that leaves it first.
          Iterator<Map.Entry<String, Long>> it = seen.entrySet().stream()
              .sorted(Map.Entry.comparingByValue()).limit(1).iterator();
          it.forEachRemaining(e -> seen.remove(e.getKey()));
        }
        Long[] previous = new Long[1];
        seen.compute(key, (k, old) -> {
          previous[0] = old;
          return old != null && old > now ? old : forgetAtMs;
        });
        return CompletableFuture.completedFuture(previous[0] == null || previous[0] <= now);
      }

      @Override
      public CompletableFuture<Void> forget(String key) {
        seen.remove(key);
        return CompletableFuture.completedFuture(null);
      }
    };
  }
}

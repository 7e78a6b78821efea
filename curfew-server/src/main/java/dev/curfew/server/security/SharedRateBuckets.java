package dev.curfew.server.security;

import dev.curfew.server.security.RateLimiter.Rate;
import java.util.concurrent.CompletableFuture;

/**
 * Token buckets that every node of a deployment shares (with {@code store: redis}, in Redis), so
 * that a limit holds for the cluster, not per node. The same bucket as {@link RateLimiter}, decided
 * on the shared store's clock. A future that fails means the store could not be asked; the caller
 * then falls back to its node's own buckets.
 */
public interface SharedRateBuckets {
  /** Takes a token from {@code limit}'s bucket for {@code key}: 0 when taken, else the milliseconds until one will be (nothing taken). */
  CompletableFuture<Long> take(String limit, String key, Rate rate);

  /**
   * Counts something that already happened (a failed check) against {@code limit}'s bucket for
   * {@code key}, even when it is empty: the milliseconds from now until the bucket will have a token
   * again (0 while tokens are left).
   */
  CompletableFuture<Long> charge(String limit, String key, Rate rate);
}

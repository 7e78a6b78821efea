package dev.curfew.gateway.db.testing;

import dev.curfew.gateway.db.LoginGuard;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link LoginGuard} for the gateways' tests: each address may fail {@code limit} times, after
 * which it is refused (retry in {@code retryAfterMs}); no refill. The server's own guard, over its
 * token buckets, is tested in curfew-server.
 */
public final class CountingLoginGuard implements LoginGuard {
  private final int limit;
  private final long retryAfterMs;
  private final ConcurrentHashMap<String, Integer> failures = new ConcurrentHashMap<>();
  /** Every failure told, by address, in order. */
  public final List<String> told = new CopyOnWriteArrayList<>();

  public CountingLoginGuard(int limit, long retryAfterMs) {
    this.limit = limit;
    this.retryAfterMs = retryAfterMs;
  }

  @Override
  public CompletableFuture<Refusal> admit(String clientAddress) {
    boolean over = failures.getOrDefault(clientAddress, 0) >= limit;
    return CompletableFuture.completedFuture(over ? new Refusal("failed_checks_per_address", retryAfterMs,
        "unknown session tokens came from this address faster than " + limit + " in all") : null);
  }

  @Override
  public void failed(String clientAddress) {
    told.add(clientAddress);
    failures.merge(clientAddress, 1, Integer::sum);
  }
}

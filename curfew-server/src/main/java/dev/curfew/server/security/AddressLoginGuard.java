package dev.curfew.server.security;

import dev.curfew.gateway.db.LoginGuard;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * The protocol gateways' {@link LoginGuard} over {@link RateLimits}: the bucket {@code
 * failed_checks_per_address} of the client's address, the same one the HTTP API and gateway charge
 * for unknown session tokens and wrong API keys (and, with Redis, the one bucket of the whole
 * deployment). A gateway's client is the peer of its connection: the protocols carry no
 * {@code X-Forwarded-For}, so no proxy is trusted to name another.
 */
public final class AddressLoginGuard implements LoginGuard {
  private final RateLimits limits;

  public AddressLoginGuard(RateLimits limits) {
    this.limits = Objects.requireNonNull(limits, "limits");
  }

  @Override
  public CompletableFuture<Refusal> admit(String clientAddress) {
    RateLimits.Refusal r = limits.failedChecksFrom(key(clientAddress));
    return CompletableFuture.completedFuture(r == null ? null : new Refusal(r.limit(), r.retryAfterMs(), r.detail()));
  }

  @Override
  public void failed(String clientAddress) {
    limits.failedCheckFrom(key(clientAddress));
  }

  /** The key the HTTP side counts the same peer under. */
  private String key(String clientAddress) {
    return limits.clientKey(clientAddress, List.of());
  }
}

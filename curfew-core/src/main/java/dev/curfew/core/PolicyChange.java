package dev.curfew.core;

import java.util.concurrent.CompletableFuture;

/**
 * The result of a new policy version ({@link SessionStore#changePolicy}), the same from every store.
 *
 * @param policy the new version; null: the audit log or the store cannot be written, nothing changed
 * @param appliedToLive how many live sessions moved to it
 * @param durable completes when every record of it is durable
 */
public record PolicyChange(Policy policy, int appliedToLive, CompletableFuture<Void> durable) {
  /** The answer of a store that cannot take a new version now (fail closed). */
  public static PolicyChange unavailable() {
    return new PolicyChange(null, 0, Decision.DONE);
  }
}

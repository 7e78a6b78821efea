package dev.curfew.core;

import java.util.concurrent.CompletableFuture;

/**
 * The result of ending several sessions at once (a subject's sessions, or those an identity
 * provider's logout names), the same from every {@link SessionStore}.
 *
 * @param revoked how many sessions ended; -1: the store or the audit log is unavailable
 * @param durable completes when every record of it is durable
 */
public record Revocation(int revoked, CompletableFuture<Void> durable) {
  /** The answer of a store that cannot end anything now (fail closed). */
  public static Revocation unavailable() {
    return new Revocation(-1, Decision.DONE);
  }
}

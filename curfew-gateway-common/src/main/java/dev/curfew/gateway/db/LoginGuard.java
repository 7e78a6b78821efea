package dev.curfew.gateway.db;

import dev.curfew.core.EndReason;
import java.util.concurrent.CompletableFuture;

/**
 * The bound on guessing tokens at a protocol gateway: asked before a login's token is looked at
 * ({@link #admit}), told after a login presented a token that is a guess ({@link #failed}). The
 * server answers both from the rate limit {@code failed_checks_per_address}, the same bucket per
 * client address as its HTTP API and gateway (docs/security.md, "Rate limits"); embedders and tests
 * that want no limit use {@link #NONE}.
 *
 * <p>What counts as a guess follows the HTTP side: a token that is no session here (unknown,
 * forgotten or malformed), and a live token presented under another user name than its subject. A
 * token of a session that has ended, of another place or under another policy is no guess: it was
 * issued, and the answer tells a guesser nothing.
 */
public interface LoginGuard {
  /** The {@code why} of {@code connection.refused} when the address's failures are used up. */
  String RATE_LIMITED = "rate_limited";

  /**
   * A login turned away before its token is looked at.
   *
   * @param limit the rate limit's name ({@code failed_checks_per_address})
   * @param retryAfterMs when the address may try again
   * @param detail the sentence the client is told
   */
  record Refusal(String limit, long retryAfterMs, String detail) {
    /** Whole seconds, rounded up, at least 1 (as {@code Retry-After}). */
    public long retryAfterSeconds() {
      return Math.max(1, (retryAfterMs + 999) / 1000);
    }
  }

  /**
   * May {@code clientAddress} present a credential now? Completes with null when it may, else with
   * the refusal (even a right token is then not looked at).
   */
  CompletableFuture<Refusal> admit(String clientAddress);

  /** {@code clientAddress} presented a token that is a guess (see the class comment). */
  void failed(String clientAddress);

  /** No limit. */
  LoginGuard NONE = new LoginGuard() {
    @Override
    public CompletableFuture<Refusal> admit(String clientAddress) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void failed(String clientAddress) {
      // nothing is counted
    }
  };

  /**
   * Asks {@code guard} about {@code clientAddress}: its refusal, or null. A guard that throws or fails
   * lets the login through (null): it only slows guessers, and the store still decides.
   */
  static CompletableFuture<Refusal> ask(LoginGuard guard, String clientAddress) {
    CompletableFuture<Refusal> asked;
    try {
      asked = guard.admit(clientAddress);
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(null);
    }
    return asked.handle((r, e) -> e == null ? r : null);
  }

  /**
   * Whether a login refused with {@code why} (the {@code why} of {@code connection.refused}) is a
   * guess: an unknown or malformed token, or a live token under another user name.
   */
  static boolean isGuess(String why) {
    return EndReason.UNKNOWN.wire().equals(why) || SessionAccess.WRONG_SUBJECT.equals(why);
  }
}

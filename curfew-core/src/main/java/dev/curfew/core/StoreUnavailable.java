package dev.curfew.core;

/**
 * A session store that cannot answer a question whose answer is not a {@link Decision} (a list of a
 * subject's sessions, a search page): the failure that {@link Decision.Verdict#UNAVAILABLE} is for
 * the others. The edge answers it as it answers that verdict (HTTP 503, {@code unavailable}), with
 * the message as its detail, which therefore says what failed and never carries a secret.
 */
public final class StoreUnavailable extends RuntimeException {
  public StoreUnavailable(String detail, Throwable cause) {
    super(java.util.Objects.requireNonNull(detail, "detail"), cause);
  }

  /** {@code e} or what it wraps ({@code CompletionException}, {@code ExecutionException}), if it is one. */
  public static StoreUnavailable in(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StoreUnavailable u) return u;
      if (t.getCause() == t) break;
    }
    return null;
  }
}

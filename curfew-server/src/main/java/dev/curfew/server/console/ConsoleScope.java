package dev.curfew.server.console;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What an API key may do in the console: {@link #ADMIN} everything, {@link #AUDITOR} look, verify
 * and download evidence, but change nothing (no revocation, no new policy version).
 */
public enum ConsoleScope {
  ADMIN,
  AUDITOR;

  /** The name in JSON and in the page: {@code admin}, {@code auditor}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether this scope allows what {@code needed} allows. */
  public boolean allows(ConsoleScope needed) {
    return this == ADMIN || needed == AUDITOR;
  }

  /**
   * The scope of an API key, by the key's name; empty: the key may not use the console (or no
   * longer exists). Asked on every console request, so a change of scope applies at once.
   */
  @FunctionalInterface
  public interface Resolver {
    Optional<ConsoleScope> scopeOf(String keyName);
  }

  /**
   * Until API keys carry scopes of their own: every configured key is an admin of the console.
   * A key removed from the configuration loses the console with it.
   */
  public static Resolver everyKeyAdmin(Collection<String> keyNames) {
    Set<String> names = Set.copyOf(keyNames);
    return name -> names.contains(name) ? Optional.of(ADMIN) : Optional.empty();
  }
}

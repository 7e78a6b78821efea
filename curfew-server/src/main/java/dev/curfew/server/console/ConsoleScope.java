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
   * The console scope of each API key from the key's own scopes: {@code admin} keys administer,
   * {@code auditor} keys look, verify and download; {@code app} and {@code gateway} keys may not
   * sign in. A key removed from the configuration loses the console with it.
   */
  public static Resolver fromKeys(Collection<dev.curfew.server.http.ApiKey> keys) {
    java.util.Map<String, ConsoleScope> byName = new java.util.HashMap<>();
    for (dev.curfew.server.http.ApiKey k : keys) {
      if (k.scopes().contains(dev.curfew.server.http.Scope.ADMIN)) {
        byName.put(k.name(), ADMIN);
      } else if (k.scopes().contains(dev.curfew.server.http.Scope.AUDITOR)) {
        byName.put(k.name(), AUDITOR);
      }
    }
    return name -> Optional.ofNullable(byName.get(name));
  }

  /**
   * Every configured key an admin of the console (tests and embedders without key scopes).
   * A key removed from the configuration loses the console with it.
   */
  public static Resolver everyKeyAdmin(Collection<String> keyNames) {
    Set<String> names = Set.copyOf(keyNames);
    return name -> names.contains(name) ? Optional.of(ADMIN) : Optional.empty();
  }
}

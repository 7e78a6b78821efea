package dev.curfew.server.console;

import dev.curfew.core.Policy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The policy of the console's own sessions, built in: 15 minutes idle, 8 hours at most, a warning
 * 2 minutes before the end, up to 10 extensions. It meets the presets it declares (PCI DSS 8.2.8,
 * NIST SP 800-63B AAL3, OWASP ASVS L3, WCAG 2.2 SC 2.2.1), as an administrator's session should;
 * WCAG warns that the 8h absolute limit, which cannot be extended, relies on the Essential Exception.
 * A configuration that defines a policy of the same name replaces it (and is held to the presets
 * it declares, like any configured policy).
 */
public final class ConsolePolicy {
  /** The policy's name, which the console's sessions are opened under. */
  public static final String NAME = "curfew-console";

  private ConsolePolicy() {}

  public static Policy builtIn() {
    return Policy.builder(NAME)
        .idleTimeout(Duration.ofMinutes(15))
        .absoluteTimeout(Duration.ofHours(8))
        .warnBefore(Duration.ofMinutes(2))
        .maxExtensions(10)
        .complyWith(List.of("pci-dss-4.0", "nist-800-63b-aal3", "owasp-asvs-4-l3", "wcag-2.2"))
        .build();
  }

  /** {@code configured} plus the built-in console policy, unless the configuration defines its own. */
  public static List<Policy> withConsole(Collection<Policy> configured) {
    List<Policy> all = new ArrayList<>(configured);
    if (all.stream().noneMatch(p -> p.name().equals(NAME))) all.add(builtIn());
    return all;
  }
}

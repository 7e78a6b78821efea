package dev.curfew.gateway.db;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The statements that do not count as activity ({@code passive_statements}): compared trimmed,
 * case-insensitive, without a trailing ';' (spec/protocol-gateways.md, "Configuration"). A pool's
 * or a monitor's {@code SELECT 1} thus never keeps a forgotten console alive.
 */
public final class PassiveStatements {
  public static final PassiveStatements NONE = new PassiveStatements(List.of());

  private final Set<String> normalized;

  private PassiveStatements(List<String> statements) {
    this.normalized = statements.stream().map(PassiveStatements::normalize).collect(Collectors.toUnmodifiableSet());
  }

  public static PassiveStatements of(List<String> statements) {
    for (String s : statements) {
      if (normalize(s).isEmpty()) throw new IllegalArgumentException("a passive statement must not be empty");
    }
    return new PassiveStatements(statements);
  }

  /** Whether {@code statement} is one of the passive statements. */
  public boolean contains(String statement) {
    return statement != null && !normalized.isEmpty() && normalized.contains(normalize(statement));
  }

  static String normalize(String s) {
    String t = s.strip();
    while (t.endsWith(";")) t = t.substring(0, t.length() - 1).strip();
    return t.toLowerCase(Locale.ROOT);
  }
}

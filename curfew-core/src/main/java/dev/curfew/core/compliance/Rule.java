package dev.curfew.core.compliance;

import dev.curfew.core.Policy;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One requirement of a preset, as read from one line of {@code presets.txt}.
 *
 * @param presetId the preset the rule belongs to ({@code pci-dss-4.0})
 * @param strength MUST, SHOULD or NOTE
 * @param field the policy field tested; null for a note about no single field
 * @param op how the field is compared with the limit
 * @param limit the limit as written ({@code 15m}, {@code 10}); for a note, free text or {@code -}
 * @param citation where the requirement is written ({@code PCI DSS v4.0.1 req. 8.2.8})
 * @param text the requirement in one line
 * @param unless the exception (an UNLESS line) under which the rule passes even where not met;
 *     null for none
 */
public record Rule(
    String presetId,
    Strength strength,
    PolicyField field,
    Op op,
    String limit,
    String citation,
    String text,
    Rule unless) {

  /** A rule without an exception. */
  public Rule(String presetId, Strength strength, PolicyField field, Op op, String limit, String citation,
      String text) {
    this(presetId, strength, field, op, limit, citation, text, null);
  }

  /** A comparison of a policy field; all are inclusive except {@link #OVER}. */
  public enum Op {
    AT_MOST("<="),
    AT_LEAST(">="),
    /** Strictly greater, as in "longer than 20 hours" (WCAG 2.2's 20 Hour Exception). */
    OVER(">"),
    /** The field has a value. */
    SET("set"),
    /** No comparison: a note. */
    NONE("-");

    private final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }

    /** True for {@code <=}, {@code >=} and {@code >}. */
    public boolean isComparison() {
      return this == AT_MOST || this == AT_LEAST || this == OVER;
    }

    static Op fromSymbol(String s) {
      for (Op op : values()) {
        if (op.symbol.equals(s)) {
          return op;
        }
      }
      throw new IllegalArgumentException("unknown op \"" + s + "\" (expected <=, >=, >, set or -)");
    }
  }

  public Rule {
    Objects.requireNonNull(presetId, "presetId");
    Objects.requireNonNull(strength, "strength");
    Objects.requireNonNull(op, "op");
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(citation, "citation");
    Objects.requireNonNull(text, "text");
    if (citation.isBlank()) {
      throw new IllegalArgumentException("rule of " + presetId + " has no citation");
    }
    if (op == Op.NONE && strength != Strength.NOTE) {
      throw new IllegalArgumentException(strength + " rule needs an op (<=, >=, set): only a NOTE has none");
    }
    if (op != Op.NONE && field == null) {
      throw new IllegalArgumentException("op " + op.symbol + " needs a field");
    }
    if (op == Op.SET && !limit.equals("-")) {
      throw new IllegalArgumentException("op set takes no limit (write -): " + limit);
    }
    if (op.isComparison()) { // not this.isComparison(): fields are unassigned in a compact constructor
      field.parseLimit(limit); // fails here, at load time, rather than during a check
    }
    if (unless != null) {
      if (strength == Strength.NOTE) {
        throw new IllegalArgumentException("a NOTE cannot have an exception: it never fails");
      }
      if (!unless.presetId.equals(presetId)) {
        throw new IllegalArgumentException("exception of " + unless.presetId + " on a rule of " + presetId);
      }
      requireException(unless);
    }
  }

  /** An exception is a NOTE with a comparison, without an exception of its own. */
  static void requireException(Rule e) {
    if (e.strength() != Strength.NOTE || !e.op().isComparison() || e.unless() != null) {
      throw new IllegalArgumentException("an exception (UNLESS) needs a comparison (<=, >= or >): "
          + e.op().symbol() + " " + e.limit());
    }
  }

  /** This rule with {@code exception} as its exception. */
  Rule unless(Rule exception) {
    return new Rule(presetId, strength, field, op, limit, citation, text, exception);
  }

  /** Whether the rule passes for {@code p}: it holds, or its exception does. */
  public boolean passesFor(Policy p) {
    return holdsFor(p) || excusedFor(p);
  }

  /** Whether the rule's exception holds for {@code p} (false without an exception). */
  public boolean excusedFor(Policy p) {
    return unless != null && unless.holdsFor(p);
  }

  /** True for {@code <=}, {@code >=} and {@code >}: the rule has a numeric limit. */
  public boolean isComparison() {
    return op.isComparison();
  }

  /** The limit in milliseconds (or as a count). Only for a comparison. */
  public long limitValue() {
    if (!isComparison()) {
      throw new IllegalStateException("rule \"" + name() + "\" has no numeric limit");
    }
    return field.parseLimit(limit);
  }

  /** The rule as a short statement: {@code idle_timeout <= 15m}, {@code idle_timeout set}, {@code note}. */
  public String name() {
    if (isComparison()) {
      return field.key() + " " + op.symbol + " " + limit;
    }
    if (op == Op.SET) {
      return field.key() + " set";
    }
    return field == null ? "note" : field.key();
  }

  /** Whether {@code p} meets the rule. A note holds for every policy. */
  public boolean holdsFor(Policy p) {
    if (op == Op.NONE) {
      return true;
    }
    OptionalLong value = field.read(p);
    if (op == Op.SET || value.isEmpty()) {
      return value.isPresent();
    }
    long v = value.getAsLong();
    long lim = limitValue();
    switch (op) {
      case AT_MOST: return v <= lim;
      case AT_LEAST: return v >= lim;
      default: return v > lim;
    }
  }
}

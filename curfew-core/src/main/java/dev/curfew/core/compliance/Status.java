package dev.curfew.core.compliance;

/** The outcome of a rule, a preset or a whole report. {@link #label()} is the wire form. */
public enum Status {
  PASS, WARN, FAIL, NOTE;

  /** {@code pass}, {@code warn}, {@code fail}, {@code note}: the form used in text and JSON. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The worse of two outcomes for a summary: fail over warn over pass; a note counts as pass. */
  static Status worse(Status a, Status b) {
    return a.severity() >= b.severity() ? a : b;
  }

  private int severity() {
    switch (this) {
      case FAIL: return 2;
      case WARN: return 1;
      default: return 0;
    }
  }
}

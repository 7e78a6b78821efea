package dev.curfew.core.compliance;

/** How binding a rule is: what a failure of it does to the check. */
public enum Strength {
  /** A failure fails the check. */
  MUST,
  /** A failure is a warning: the check passes unless strict. */
  SHOULD,
  /** Informational: a requirement no numeric check captures. Never fails. */
  NOTE
}

package dev.curfew.server.cli;

/**
 * A start that cannot go on, for a reason the operator can act on: the data directory is held by
 * another process, a port is taken, the audit log is damaged. {@link Main} prints the one-line
 * message (no stack trace) and exits with {@link #EXIT_REFUSED}.
 */
final class StartRefused extends RuntimeException {
  /** Exit status of a refused start (2 stays bad input: usage, configuration). */
  static final int EXIT_REFUSED = 1;

  StartRefused(String message, Throwable cause) {
    super(message, cause);
  }
}

package dev.curfew.core;

/**
 * The one authoritative clock of a deployment, in milliseconds since the epoch. Deadlines are
 * computed and compared with it and nothing else, so that tests run on virtual time ({@link
 * ManualClock}) and production on {@link SystemClock}.
 */
@FunctionalInterface
public interface Clock {
  /** The current instant, in milliseconds since 1970-01-01T00:00:00Z. Never decreases. */
  long millis();
}

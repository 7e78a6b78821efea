package dev.curfew.core;

/** What the engine reports for metrics; the server binds it to Micrometer. All calls must be cheap. */
public interface EngineMetrics {
  /** One token check with its outcome ({@code valid} or an end reason's wire name). */
  default void checked(String outcome) {}

  /** A session ended by timeout; lateness = detection instant minus deadline, in ms. */
  default void expired(String detectedBy, long latenessMs) {}

  EngineMetrics NONE = new EngineMetrics() {};
}

package dev.curfew.core;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;

/**
 * A step of the wall clock that {@link SystemClock} noticed: the wall clock moved by {@code stepMs}
 * (positive: forward, negative: backward) relative to the node's clock, which did not follow it.
 *
 * @param stepMs how far the wall clock moved against the node's clock
 * @param wallMs the wall clock's reading when the step was noticed
 * @param clockMs the node's clock at that moment
 * @param skewMs the wall clock minus the node's clock after the step (what later steps are measured from)
 */
public record ClockStep(long stepMs, long wallMs, long clockMs, long skewMs) {
  public ClockStep {
    if (stepMs == 0) throw new IllegalArgumentException("stepMs == 0: not a step");
  }

  public String direction() {
    return stepMs > 0 ? "forward" : "backward";
  }

  /**
   * The {@code clock.stepped} audit record of this step (see docs/contract-changes.md).
   *
   * @param detectedBy {@code watch} (seen while running) or {@code start} (the wall clock at start
   *     was behind the last record of the log)
   */
  public AuditRecord record(String node, String detectedBy) {
    return AuditRecord.builder(RecordTypes.CLOCK_STEPPED, clockMs, node)
        .put("direction", direction())
        .put("step_ms", Math.abs(stepMs))
        .putTime("wall_time", wallMs)
        .putTime("clock_time", clockMs)
        .put("skew_ms", skewMs)
        .put("detected_by", detectedBy)
        .build();
  }

  @Override
  public String toString() {
    return "wall clock stepped " + direction() + " by " + Math.abs(stepMs) + " ms (wall " + Times.format(wallMs)
        + ", node clock " + Times.format(clockMs) + ")";
  }
}

package dev.curfew.core.schedule;

/** Placeholder, replaced by the timing wheel branch. */
public abstract class Timer {
  long deadlineMs = Long.MIN_VALUE;
  boolean scheduled;

  public final long deadlineMs() {
    return deadlineMs;
  }

  public final boolean isScheduled() {
    return scheduled;
  }
}

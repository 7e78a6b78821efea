package dev.curfew.core.schedule;

/**
 * A node of a {@link TimerWheel}, meant to be subclassed by the object that has a deadline (a
 * session), so that scheduling allocates nothing. It holds only the deadline and the two links of
 * the wheel's doubly linked bucket list.
 *
 * <p>A timer belongs to at most one wheel at a time; the wheel does not check which wheel a timer
 * is linked into, so scheduling it in a second wheel while it is in a first corrupts both.
 */
public abstract class Timer {
  /** The deadline this timer was last scheduled at, in epoch milliseconds. */
  long deadlineMs;
  /** Neighbours in the bucket's circular list; both null iff not scheduled. */
  Timer prev;
  Timer next;

  protected Timer() {}

  /** The deadline this timer was last scheduled at; meaningful while {@link #isScheduled()}. */
  public final long deadlineMs() {
    return deadlineMs;
  }

  /** Whether this timer sits in a wheel (including due and not yet fired). */
  public final boolean isScheduled() {
    return next != null;
  }
}

package dev.curfew.core;

import java.util.Objects;
import java.util.Optional;

/**
 * The node's clock: the wall clock as read once at start, advanced from then on by the monotonic
 * clock only.
 *
 * <p>Vocabulary. The <em>wall clock</em> ({@link System#currentTimeMillis()}) says what time it is
 * and can be stepped: by NTP, by an operator, by a virtual machine resumed from a snapshot. The
 * <em>monotonic clock</em> ({@link System#nanoTime()}) says how much time has passed and is never
 * stepped. This clock is {@code start wall reading + monotonic time elapsed since}: every duration
 * Curfew measures (idle and absolute timeouts, warnings, lateness) is therefore real elapsed time,
 * and a wall-clock step, backwards or forwards, neither lengthens nor shortens a session.
 *
 * <p>The difference between the wall clock and this clock (the <em>skew</em>) is constant while
 * nobody steps the wall clock (on Linux, NTP slews both clocks alike; only steps differ). {@link
 * #detectStep()} compares them and reports each change of the skew of at least the step threshold
 * once, so that the step can be recorded ({@code clock.stepped}); this clock never follows it.
 *
 * <p>Across a restart the monotonic clock is lost: {@link #startNoEarlierThan(long)} lets the
 * store move the new timeline forward to the last instant the log recorded, so that a wall clock
 * that went backwards while the node ran (or was down) cannot hand sessions back time.
 */
public final class SystemClock implements Clock {
  /** A change of the skew smaller than this is reading noise, not a step (NTP steps only at 128 ms or more). */
  public static final long DEFAULT_STEP_THRESHOLD_MS = 100;
  /** A skew sample whose two monotonic readings are further apart than this was interrupted, and is taken again. */
  private static final long MAX_SAMPLE_NANOS = 1_000_000L;

  /** Where the two readings come from: the JVM's clocks, or a test's simulated ones. */
  public interface Source {
    long wallMillis();

    long monotonicNanos();

    Source SYSTEM = new Source() {
      @Override
      public long wallMillis() {
        return System.currentTimeMillis();
      }

      @Override
      public long monotonicNanos() {
        return System.nanoTime();
      }
    };
  }

  private final Source source;
  private final long stepThresholdMs;
  private final long baseNanos;
  /** This clock's reading at {@link #baseNanos}; moves only forward, only in {@link #startNoEarlierThan}. */
  private volatile long baseMs;
  /** The skew as of the last reported step (0 at construction): what the next step is measured from. */
  private long knownSkewMs; // guarded by this

  public SystemClock() {
    this(Source.SYSTEM, DEFAULT_STEP_THRESHOLD_MS);
  }

  public SystemClock(Source source, long stepThresholdMs) {
    this.source = Objects.requireNonNull(source, "source");
    if (stepThresholdMs < 1) throw new IllegalArgumentException("stepThresholdMs < 1: " + stepThresholdMs);
    this.stepThresholdMs = stepThresholdMs;
    this.baseNanos = source.monotonicNanos();
    this.baseMs = source.wallMillis();
  }

  @Override
  public long millis() {
    return at(source.monotonicNanos());
  }

  private long at(long monotonicNanos) {
    return baseMs + Math.floorDiv(monotonicNanos - baseNanos, 1_000_000L);
  }

  public long stepThresholdMs() {
    return stepThresholdMs;
  }

  /** The wall clock minus this clock, in ms (positive: the wall clock is ahead). */
  public long wallSkewMillis() {
    long wall = 0;
    long mid = 0;
    for (int attempt = 0; attempt < 3; attempt++) {
      long before = source.monotonicNanos();
      wall = source.wallMillis();
      long after = source.monotonicNanos();
      mid = before + (after - before) / 2;
      if (after - before <= MAX_SAMPLE_NANOS) break; // not interrupted between the readings
    }
    return wall - at(mid);
  }

  /**
   * Reports a step of the wall clock since the last one reported (or since start), once: empty when
   * the skew moved by less than the step threshold. This clock does not follow the step.
   */
  public synchronized Optional<ClockStep> detectStep() {
    long skew = wallSkewMillis();
    long step = skew - knownSkewMs;
    if (Math.abs(step) < stepThresholdMs) return Optional.empty();
    knownSkewMs = skew;
    long now = millis();
    return Optional.of(new ClockStep(step, now + skew, now, skew));
  }

  /**
   * Moves this clock forward so that it reads no earlier than {@code epochMs} (the time of the last
   * record a previous run wrote); never backwards. Call before anything reads the clock for a
   * deadline. Reports how far the wall clock was behind when it was at least the step threshold.
   */
  public synchronized Optional<ClockStep> startNoEarlierThan(long epochMs) {
    long now = millis();
    if (epochMs <= now) return Optional.empty();
    long behind = epochMs - now;
    baseMs += behind;
    knownSkewMs -= behind;
    if (behind < stepThresholdMs) return Optional.empty();
    return Optional.of(new ClockStep(-behind, source.wallMillis(), epochMs, knownSkewMs));
  }
}

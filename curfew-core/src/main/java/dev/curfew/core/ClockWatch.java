package dev.curfew.core;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Watches the wall clock against the node's {@link SystemClock} and records every step it finds as
 * a {@code clock.stepped} audit record, so that an auditor comparing record times with the world
 * knows when and by how much the two parted. Called often (the {@link DeadlineDriver} calls it every
 * few ticks); a step is recorded once.
 */
public final class ClockWatch {
  private final SystemClock clock;
  private final SessionEngine engine;

  public ClockWatch(SystemClock clock, SessionEngine engine) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.engine = Objects.requireNonNull(engine, "engine");
    if (engine.clock() != clock) {
      throw new IllegalArgumentException("the engine runs on another clock than the one watched");
    }
  }

  /** Looks once; returns the step recorded (and when its record is durable), if there was one. */
  public Optional<Recorded> check() {
    Optional<ClockStep> step = clock.detectStep();
    return step.map(s -> new Recorded(s, engine.recordClockStep(s, "watch")));
  }

  /** A step and the future of its audit record. */
  public record Recorded(ClockStep step, CompletableFuture<Void> durable) {}
}

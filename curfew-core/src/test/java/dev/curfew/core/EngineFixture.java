package dev.curfew.core;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** An engine on a manual clock with an in-memory audit sink and recorded events. */
final class EngineFixture {
  final ManualClock clock;
  final MemoryAuditSink sink = new MemoryAuditSink();
  final List<String> events = new CopyOnWriteArrayList<>();
  final SessionEngine engine;

  EngineFixture(Policy... policies) {
    this(Instant.parse("2026-11-26T22:00:00.000Z"), policies);
  }

  EngineFixture(RotationGrace grace, Policy... policies) {
    this(Instant.parse("2026-11-26T22:00:00.000Z"), grace, policies);
  }

  EngineFixture(Instant start, Policy... policies) {
    this(start, RotationGrace.DEFAULT, policies);
  }

  EngineFixture(Instant start, RotationGrace grace, Policy... policies) {
    clock = new ManualClock(start);
    List<Policy> list = policies.length == 0 ? List.of(standard()) : List.of(policies);
    engine = new SessionEngine(clock, "node-1", new Policies(list, list.get(0).name()), sink,
        (id, event, data) -> {
          events.add(id + " " + event);
          return 1;
        }, EngineMetrics.NONE, SessionEngine.Limits.defaults().withRotationGrace(grace));
  }

  static Policy standard() {
    return Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3);
  }

  /** Moves the clock by {@code ms} one millisecond at a time worth of timer firing (as the server's ticker would). */
  void advance(Duration d) {
    clock.advance(d);
    engine.advanceTimers();
  }

  Decision open(String subject) {
    return engine.open(subject, null, Map.of());
  }

  List<String> types() {
    return sink.records().stream().map(r -> r.type()).toList();
  }
}

package dev.curfew.core;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.contract.SessionStoreContract;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The store contract against the embedded store (the engine on a manual clock, records in memory);
 * the engine's own invariants are checked each time its timers run.
 */
class EngineStoreContractTest extends SessionStoreContract {
  @Override
  protected Harness start(List<Policy> policies) {
    ManualClock clock = new ManualClock(Instant.parse("2026-12-04T03:00:00.000Z"));
    MemoryAuditSink sink = new MemoryAuditSink();
    SessionEngine engine = new SessionEngine(clock, "node-1", new Policies(policies, policies.get(0).name()), sink,
        (id, event, data) -> 0, EngineMetrics.NONE, SessionEngine.Limits.defaults());
    SessionStore store = SessionStore.of(engine);
    return new Harness() {
      @Override public SessionStore store() { return store; }
      @Override public List<AuditRecord> records() { return sink.records(); }
      @Override public void pass(long ms) { clock.advance(Duration.ofMillis(ms)); }
      @Override public void runTimers() {
        engine.advanceTimers();
        engine.checkInvariants(); // among them: no timer later than its session's next event
      }
      @Override public void auditWritable(boolean writable) { sink.setWritable(writable); }
      @Override public void close() { }
    };
  }

  @Provide
  Arbitrary<List<Step>> schedules() {
    return schedules(1, 60);
  }

  @Property(tries = 200, seed = "20261204")
  void schedule_invariantsHold(@ForAll("schedules") List<Step> steps) throws Exception {
    runSchedule(steps);
  }
}

package dev.curfew.store.embedded;

import dev.curfew.core.AuditSink;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStore;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.contract.SessionStoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The store contract against the embedded store as {@code serve} runs it: the engine over the data
 * directory's audit log ({@link FileAuditLog}: an answer is durable once the log has synced it), on
 * a manual clock. The records compared are those the log accepted, in its order.
 */
class EmbeddedStoreContractTest extends SessionStoreContract {
  @Override
  protected Harness start(List<Policy> policies) throws Exception {
    Path dir = Files.createTempDirectory("curfew-contract");
    ManualClock clock = new ManualClock(Instant.parse("2026-12-04T03:00:00.000Z"));
    EmbeddedStore store = EmbeddedStore.open(dir, EmbeddedStore.Options.defaults().withClock(clock)
        .withSnapshotInterval(Duration.ofHours(1)).withVersion("test"), "node-1");
    List<AuditRecord> accepted = new ArrayList<>();
    boolean[] writable = {true};
    AuditSink sink = new AuditSink() {
      @Override
      public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
        synchronized (accepted) {
          accepted.addAll(records);
          return store.log().append(records, bindings);
        }
      }

      @Override
      public boolean writable() {
        return writable[0] && store.log().writable();
      }
    };
    SessionEngine engine = new SessionEngine(clock, "node-1", new Policies(policies, policies.get(0).name()), sink,
        (id, event, data) -> 0, EngineMetrics.NONE, SessionEngine.Limits.defaults());
    store.recover(engine);
    SessionStore sessions = SessionStore.of(engine);
    return new Harness() {
      @Override public SessionStore store() { return sessions; }
      @Override public List<AuditRecord> records() {
        synchronized (accepted) {
          return List.copyOf(accepted);
        }
      }
      @Override public void pass(long ms) { clock.advance(Duration.ofMillis(ms)); }
      @Override public void runTimers() { engine.advanceTimers(); }
      @Override public void auditWritable(boolean w) { writable[0] = w; }
      @Override public void close() throws Exception {
        store.close();
        try (Stream<Path> files = Files.walk(dir)) {
          files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    };
  }

  @Provide
  Arbitrary<List<Step>> schedules() {
    return schedules(1, 40);
  }

  @Property(tries = 30, seed = "20261204")
  void schedule_invariantsHold(@ForAll("schedules") List<Step> steps) throws Exception {
    runSchedule(steps);
  }
}

package dev.curfew.store.redis;

import dev.curfew.core.Policy;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.contract.SessionStoreContract;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The store contract against the Redis store: one node over the machine's Redis (127.0.0.1:6379,
 * or -Dcurfew.test.redis=URI), under a key prefix of its own. Redis decides on its own clock, so
 * time passes for real here, and its deadline scheduler runs by itself.
 */
class RedisStoreContractTest extends SessionStoreContract {
  @Override
  protected Harness start(List<Policy> policies) throws Exception {
    RedisNodes redis = new RedisNodes();
    RedisNodes.Node node = redis.add("node-1", new SystemClock(), policies);
    return new Harness() {
      @Override public SessionStore store() { return node.store; }
      @Override public List<AuditRecord> records() { return node.sink.records(); }
      @Override public void pass(long ms) throws InterruptedException { Thread.sleep(ms); }
      @Override public void runTimers() { }
      @Override public void auditWritable(boolean writable) { node.sink.setWritable(writable); }
      @Override public void close() throws Exception { redis.close(); }
    };
  }

  @Provide
  Arbitrary<List<Step>> schedules() {
    return schedules(10, 25);
  }

  /**
   * Fewer and shorter schedules than the embedded store's, each wait being real time; no edge
   * cases (with so few tries they would be all of them: one-step schedules).
   */
  @Property(tries = 15, seed = "20261204", edgeCases = EdgeCasesMode.NONE)
  void schedule_invariantsHold(@ForAll("schedules") List<Step> steps) throws Exception {
    runSchedule(steps);
  }
}

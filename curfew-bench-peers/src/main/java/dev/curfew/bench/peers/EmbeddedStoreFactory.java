package dev.curfew.bench.peers;

import dev.curfew.core.AuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The in-process engine behind {@link SessionStore#of}, with an audit sink that drops records. A
 * smoke test of the driver only: nothing goes through Redis, so its figures are never Redis figures
 * (the engine's own are in docs/benchmarks.md, "Check and touch (in process)").
 */
public final class EmbeddedStoreFactory implements StoreFactory {
  @Override
  public String label() {
    return "curfew-embedded";
  }

  @Override
  public boolean throughRedis() {
    return false;
  }

  @Override
  public SessionStore open(RedisTarget redis, String keyPrefix, Policies policies) {
    SessionEngine engine = new SessionEngine(new SystemClock(), "bench", policies, new DroppingSink(), null, null,
        SessionEngine.Limits.defaults());
    return SessionStore.of(engine);
  }

  private static final class DroppingSink implements AuditSink {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    @Override
    public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
      return DONE;
    }

    @Override
    public boolean writable() {
      return true;
    }
  }
}

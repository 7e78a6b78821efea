package dev.curfew.bench;

import dev.curfew.core.AuditSink;
import dev.curfew.core.audit.AuditRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/** An audit sink that counts and drops records: isolates the engine's own cost in benchmarks. */
final class DiscardingSink implements AuditSink {
  private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
  final LongAdder records = new LongAdder();

  @Override
  public CompletableFuture<Void> append(List<AuditRecord> batch, List<TokenBinding> bindings) {
    records.add(batch.size());
    return DONE;
  }

  @Override
  public boolean writable() {
    return true;
  }
}

package dev.curfew.core;

import dev.curfew.core.audit.AuditRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An audit sink that keeps records in memory, durable at once: the sink of tests and of {@code
 * policy explain}'s virtual sessions. It assigns {@code seq} and a never-decreasing {@code time}
 * exactly as the durable sinks do.
 */
public final class MemoryAuditSink implements AuditSink {
  private final List<String> lines = new ArrayList<>();
  private final List<AuditRecord> records = new ArrayList<>();
  private final List<TokenBinding> bindings = new ArrayList<>();
  private long lastTimeMs = Long.MIN_VALUE;
  private volatile boolean writable = true;

  @Override
  public synchronized CompletableFuture<Void> append(List<AuditRecord> batch, List<TokenBinding> tokens) {
    if (!writable) {
      return CompletableFuture.failedFuture(new IllegalStateException("audit sink not writable"));
    }
    for (AuditRecord r : batch) {
      lastTimeMs = Math.max(lastTimeMs, r.timeMs());
      lines.add(new String(r.canonicalLine(lines.size(), lastTimeMs), StandardCharsets.UTF_8));
      records.add(r);
    }
    bindings.addAll(tokens);
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public boolean writable() {
    return writable;
  }

  public void setWritable(boolean w) {
    this.writable = w;
  }

  /** The canonical JSON lines written so far, in {@code seq} order. */
  public synchronized List<String> lines() {
    return new ArrayList<>(lines);
  }

  public synchronized List<AuditRecord> records() {
    return new ArrayList<>(records);
  }

  public synchronized List<TokenBinding> bindings() {
    return new ArrayList<>(bindings);
  }
}

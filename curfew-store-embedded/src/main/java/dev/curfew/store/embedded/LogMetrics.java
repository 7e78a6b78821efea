package dev.curfew.store.embedded;

import dev.curfew.core.WriteOutage;

/**
 * What the audit log's writer reports about durability. Called on the writer thread, so
 * implementations must be quick and must not block (record into a histogram, set a gauge).
 */
public interface LogMetrics {
  LogMetrics NONE = (nanos, records) -> {};

  /**
   * One group commit made {@code records} records durable; {@code nanos} is the time spent in
   * {@code FileChannel.force} (audit segment and token journal together).
   */
  void fsynced(long nanos, int records);

  /** Writing failed: the log refuses changes and retries until it can write again. */
  default void outage(WriteOutage outage) {}

  /** Writing works again after {@code outage}, which lasted {@code nanos}. */
  default void recovered(WriteOutage outage, long nanos) {}
}

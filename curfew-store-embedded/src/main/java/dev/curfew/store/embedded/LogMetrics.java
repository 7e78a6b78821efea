package dev.curfew.store.embedded;

/**
 * What the audit log's writer reports about durability. Called on the writer thread after each
 * group commit, so implementations must be quick and must not block (record into a histogram).
 */
public interface LogMetrics {
  LogMetrics NONE = (nanos, records) -> {};

  /**
   * One group commit made {@code records} records durable; {@code nanos} is the time spent in
   * {@code FileChannel.force} (audit segment and token journal together).
   */
  void fsynced(long nanos, int records);
}

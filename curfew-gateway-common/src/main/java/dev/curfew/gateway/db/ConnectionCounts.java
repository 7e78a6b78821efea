package dev.curfew.gateway.db;

import java.util.Map;
import java.util.function.LongSupplier;

/**
 * What one database connection counts for its {@code connection.closed} record: the bytes the
 * client sent and was sent, the active messages, and how long it lasted (on the monotonic clock).
 * Used on the connection's event loop only.
 */
public final class ConnectionCounts {
  private final LongSupplier nanoTime;
  private final long openedNanos;
  private long activeMessages;
  private long bytesIn;
  private long bytesOut;

  public ConnectionCounts(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.openedNanos = nanoTime.getAsLong();
  }

  /** Bytes received from the client. */
  public void in(long bytes) {
    bytesIn += bytes;
  }

  /** Bytes written to the client. */
  public void out(long bytes) {
    bytesOut += bytes;
  }

  /** One message that counts as activity. */
  public void active() {
    activeMessages++;
  }

  /** Milliseconds since {@code startNanos} on the same clock (a statement's {@code duration_ms}). */
  public long millisSince(long startNanos) {
    return (nanoTime.getAsLong() - startNanos) / 1_000_000;
  }

  /** The clock's reading now, for {@link #millisSince}. */
  public long nanos() {
    return nanoTime.getAsLong();
  }

  /** The data of {@code connection.closed}: {@code extra} (may be null) adds what the ending knows. */
  public Map<String, Object> closed(ConnectionRecords records, String why, Map<String, Object> extra) {
    return records.closed(why, extra, activeMessages, bytesIn, bytesOut, millisSince(openedNanos));
  }
}

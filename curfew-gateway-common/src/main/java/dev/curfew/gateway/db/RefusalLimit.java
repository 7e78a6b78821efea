package dev.curfew.gateway.db;

import dev.curfew.core.RecordCoalescing;
import java.util.function.LongSupplier;

/**
 * The bound on the {@code connection.refused} records that clients can cause, one rule for the
 * protocol gateways that refuse before anyone is in (the database gateways, the MCP gateway): the
 * same refusal (the place, the client address, the session when known, {@code why}) is recorded
 * once per {@link #WINDOW_MS}, and the next record counts the ones held back in between
 * ({@code repeats}). A scanner that sends junk or unknown tokens from one address therefore writes
 * one record per window and reason, not one per try; a refusal of another session, or from another
 * address, is still recorded at once.
 */
public final class RefusalLimit {
  /** The same refusal is recorded once per this window. */
  public static final long WINDOW_MS = 60_000;

  private final RecordCoalescing coalescing;

  /** {@code nanoTime}: the monotonic clock the window is measured on. */
  public RefusalLimit(LongSupplier nanoTime) {
    this.coalescing = new RecordCoalescing(WINDOW_MS, nanoTime);
  }

  /**
   * -1: this refusal is not recorded, only counted for the next record of the same refusal; else
   * the record is written with this many {@code repeats}.
   *
   * @param sessionId the session the refusal concerns; null when none (an unknown token, junk)
   */
  public long repeatsBefore(String place, String clientAddress, String sessionId, String why) {
    return coalescing.repeatsBefore(place + "|" + clientAddress + "|" + sessionId + "|" + why);
  }
}

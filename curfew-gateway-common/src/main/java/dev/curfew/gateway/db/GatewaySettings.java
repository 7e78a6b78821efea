package dev.curfew.gateway.db;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Limits and timings of a database gateway, whatever its protocol.
 *
 * @param startupTimeout a client must be logged in within this (PostgreSQL's authentication_timeout
 *     is 1 min, MySQL's connect_timeout 10 s: 30 s sits between)
 * @param maxFrameBytes the largest message (PostgreSQL) or command (MySQL) a client may send
 * @param stalledReaderTimeout how long a client may leave relayed output unread before it is cut
 * @param writeQueueBytes output held for a slow reader before the upstream is paused
 * @param busyTouchMin the shortest interval of the activity touches while a statement runs
 * @param busyTouchMax the longest such interval (a quarter of the idle timeout, within these bounds)
 * @param nanoTime the monotonic clock of durations ({@code duration_ms})
 * @param eventLoops the event loops the listening port is served from, new connections handed out
 *     among them in turn (default: the processor count, as the API's)
 * @param loginGuard the bound on guessing tokens, asked before every login's token is looked at
 *     (default {@link LoginGuard#NONE}; the server hands every gateway its {@code failed_checks_per_address})
 */
public record GatewaySettings(Duration startupTimeout, int maxFrameBytes, Duration stalledReaderTimeout,
    int writeQueueBytes, Duration busyTouchMin, Duration busyTouchMax, LongSupplier nanoTime, int eventLoops, LoginGuard loginGuard) {
  public GatewaySettings {
    Objects.requireNonNull(loginGuard, "loginGuard");
    Objects.requireNonNull(nanoTime, "nanoTime");
    if (eventLoops < 1) throw new IllegalArgumentException("eventLoops < 1: " + eventLoops);
    if (startupTimeout.isNegative() || startupTimeout.isZero()) throw new IllegalArgumentException("startupTimeout <= 0: " + startupTimeout);
    if (stalledReaderTimeout.isNegative() || stalledReaderTimeout.isZero()) {
      throw new IllegalArgumentException("stalledReaderTimeout <= 0: " + stalledReaderTimeout);
    }
    if (maxFrameBytes < 1024) throw new IllegalArgumentException("maxFrameBytes < 1024: " + maxFrameBytes);
    if (writeQueueBytes < 1024) throw new IllegalArgumentException("writeQueueBytes < 1024: " + writeQueueBytes);
    if (busyTouchMin.compareTo(busyTouchMax) > 0) throw new IllegalArgumentException("busyTouchMin > busyTouchMax");
  }

  public static GatewaySettings defaults() {
    return new GatewaySettings(Duration.ofSeconds(30), 64 << 20, Duration.ofSeconds(60), 1 << 20,
        Duration.ofMillis(100), Duration.ofSeconds(30), System::nanoTime, Math.max(1, Runtime.getRuntime().availableProcessors()), LoginGuard.NONE);
  }

  public GatewaySettings withStartupTimeout(Duration d) {
    return new GatewaySettings(d, maxFrameBytes, stalledReaderTimeout, writeQueueBytes, busyTouchMin, busyTouchMax, nanoTime, eventLoops, loginGuard);
  }

  public GatewaySettings withMaxFrameBytes(int n) {
    return new GatewaySettings(startupTimeout, n, stalledReaderTimeout, writeQueueBytes, busyTouchMin, busyTouchMax, nanoTime, eventLoops, loginGuard);
  }

  public GatewaySettings withStalledReaderTimeout(Duration d) {
    return new GatewaySettings(startupTimeout, maxFrameBytes, d, writeQueueBytes, busyTouchMin, busyTouchMax, nanoTime, eventLoops, loginGuard);
  }

  public GatewaySettings withWriteQueueBytes(int n) {
    return new GatewaySettings(startupTimeout, maxFrameBytes, stalledReaderTimeout, n, busyTouchMin, busyTouchMax, nanoTime, eventLoops, loginGuard);
  }

  /** The same settings on another monotonic clock (tests move it by hand). */
  public GatewaySettings withNanoTime(LongSupplier clock) {
    return new GatewaySettings(startupTimeout, maxFrameBytes, stalledReaderTimeout, writeQueueBytes, busyTouchMin, busyTouchMax, clock, eventLoops, loginGuard);
  }

  public GatewaySettings withEventLoops(int n) {
    return new GatewaySettings(startupTimeout, maxFrameBytes, stalledReaderTimeout, writeQueueBytes, busyTouchMin, busyTouchMax, nanoTime, n, loginGuard);
  }

  /** The same settings with another bound on guessing tokens. */
  public GatewaySettings withLoginGuard(LoginGuard guard) {
    return new GatewaySettings(startupTimeout, maxFrameBytes, stalledReaderTimeout, writeQueueBytes, busyTouchMin, busyTouchMax, nanoTime, eventLoops, guard);
  }

  /**
   * How often a running statement touches the session: a quarter of the idle timeout (so that a
   * touch always lands well before the idle deadline), within {@link #busyTouchMin} and
   * {@link #busyTouchMax}. {@code idleTimeoutMs} unknown: the longest interval.
   */
  public long busyTouchPeriodMs(long idleTimeoutMs) {
    return Math.max(busyTouchMin.toMillis(), Math.min(busyTouchMax.toMillis(), idleTimeoutMs / 4));
  }
}

package dev.curfew.gateway.db;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionStatus;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;
import java.util.Objects;

/**
 * The timers of one database connection, whatever its wire protocol, each run on the connection's
 * event loop:
 * <ul>
 *   <li>the <em>startup</em> timer: a client must be logged in within {@link GatewaySettings#startupTimeout()};</li>
 *   <li>the <em>busy ticks</em>: while work the client started runs upstream, the session is touched
 *       every {@link GatewaySettings#busyTouchPeriodMs} (spec/protocol-gateways.md: a running statement
 *       keeps the session active), and an ending found by a tick ends the connection. Each tick is
 *       timed from the answer to the one before, by the idle timeout that answer gives: a policy
 *       shortened under the live session ({@code apply_to_live}) shortens the ticks that follow, so
 *       that a statement still running is not taken for idleness. The ticks stop
 *       at the first one that finds the connection not busy, not when each statement ends: a client
 *       sending statement after statement keeps one timer rather than setting and cancelling one per
 *       statement, and a tick that finds nothing running touches nothing;</li>
 *   <li>the <em>stall</em> timer: when the client leaves relayed output unread, the upstream is paused
 *       until the client drains it, and cut after {@link GatewaySettings#stalledReaderTimeout()}.</li>
 * </ul>
 */
public final class ConnectionTimers {
  /** What the timers ask of, and tell, the connection they serve. */
  public interface Connection {
    /** Whether the connection is relaying (logged in, not closed). */
    boolean relaying();

    /** Whether the client waits for work it started upstream. */
    boolean busy();

    /** The session token the connection logged in with. */
    String token();

    /** A busy tick touched the session: its new status. */
    void touched(SessionStatus status);

    /** A busy tick found the session ended. */
    void ended(EndReason reason);

    /** The client left output unread for the stalled-reader timeout: cancel its work, close with that detail. */
    void stalled();

    /** The login did not finish within the startup timeout. */
    void startupTimedOut();
  }

  private final Vertx vertx;
  private final Context context;
  private final GatewaySettings settings;
  private final SessionAccess access;
  private final Connection connection;
  private long startupTimer = -1;
  /** The next busy tick's timer; -1: none pending (stopped, or a tick's check is being answered). */
  private long busyTimer = -1;
  /** Whether the busy ticks run; each run has its own number, so that a stopped run's late answer arms nothing. */
  private boolean busyTicking;
  private long busyRun;
  private long busyPeriodMs;
  private long stallTimer = -1;

  public ConnectionTimers(Vertx vertx, Context context, GatewaySettings settings, SessionAccess access, Connection connection) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.context = Objects.requireNonNull(context, "context");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.access = Objects.requireNonNull(access, "access");
    this.connection = Objects.requireNonNull(connection, "connection");
  }

  /** Starts the startup timer; {@link Connection#startupTimedOut()} when it fires. */
  public void startStartup() {
    startupTimer = vertx.setTimer(settings.startupTimeout().toMillis(), id -> {
      startupTimer = -1;
      connection.startupTimedOut();
    });
  }

  public void cancelStartup() {
    if (startupTimer >= 0) vertx.cancelTimer(startupTimer);
    startupTimer = -1;
  }

  /**
   * Starts the busy ticks unless they run: the first a quarter of the idle timeout as {@code status}
   * (the last seen) tells it after now, within the configured bounds; each next one as the answer
   * to the touch before tells it.
   */
  public void startBusy(SessionStatus status) {
    if (busyTicking) return;
    busyTicking = true;
    busyRun++;
    busyPeriodMs = periodMs(status);
    armBusy();
  }

  /** A quarter of the idle timeout of {@code status} (null: unknown, the longest period), within the bounds. */
  private long periodMs(SessionStatus status) {
    return settings.busyTouchPeriodMs(status == null ? Long.MAX_VALUE
        : Math.max(1, status.idleExpiresAtMs() - status.lastActivityAtMs()));
  }

  private void armBusy() {
    busyTimer = vertx.setTimer(busyPeriodMs, id -> {
      busyTimer = -1;
      busyTick();
    });
  }

  /**
   * The session's idle timeout is now {@code idleTimeoutMs} (a policy applied to it while it lives).
   * When that shortens the busy ticks, running work touches the session at once, and the ticks go
   * on by the new timeout: the last touch may be nearer the new idle deadline than the next tick.
   */
  public void idleTimeoutChanged(long idleTimeoutMs) {
    if (!busyTicking) return;
    long periodMs = settings.busyTouchPeriodMs(Math.max(1, idleTimeoutMs));
    if (periodMs >= busyPeriodMs) return;
    busyPeriodMs = periodMs;
    if (busyTimer < 0) return; // a touch is being answered: its answer arms the next tick
    vertx.cancelTimer(busyTimer);
    busyTimer = -1;
    busyTick();
  }

  /** Whether the busy ticks run. */
  boolean busyTicking() {
    return busyTicking;
  }

  private void stopBusy() {
    if (busyTimer >= 0) vertx.cancelTimer(busyTimer);
    busyTimer = -1;
    busyTicking = false;
  }

  /**
   * Work the client started is still running: that keeps the session active (spec: busy is
   * activity). The next tick is armed once the touch is answered, a quarter of the idle timeout the
   * answer gives later (the last period when the store did not answer).
   */
  private void busyTick() {
    if (!connection.relaying() || !connection.busy()) {
      stopBusy();
      return;
    }
    long run = busyRun;
    access.check(connection.token(), true).whenComplete((d, e) -> context.runOnContext(v -> {
      if (!busyTicking || run != busyRun) return; // stopped meanwhile
      if (connection.relaying() && d != null && !d.allowed() && d.verdict() == Decision.Verdict.ENDED) {
        stopBusy();
        connection.ended(d.reason());
        return;
      }
      if (d != null && d.allowed()) {
        busyPeriodMs = periodMs(d.status());
        connection.touched(d.status());
      }
      if (busyTicking && run == busyRun && busyTimer < 0) armBusy();
    }));
  }

  /**
   * After relayed output was written to {@code client}: when the client's queue is full, pause
   * {@code upstream} until the client drains it, and start the stall timer.
   */
  public void clientWritten(NetSocket client, NetSocket upstream) {
    if (!client.writeQueueFull()) return;
    upstream.pause();
    client.drainHandler(v -> {
      cancelStall();
      if (connection.relaying()) upstream.resume();
    });
    if (stallTimer < 0) {
      stallTimer = vertx.setTimer(settings.stalledReaderTimeout().toMillis(), id -> {
        stallTimer = -1;
        if (connection.relaying() && client.writeQueueFull()) connection.stalled();
      });
    }
  }

  public void cancelStall() {
    if (stallTimer >= 0) vertx.cancelTimer(stallTimer);
    stallTimer = -1;
  }

  /** The connection closes: no timer fires after this. */
  public void cancelAll() {
    stopBusy();
    cancelStall();
    cancelStartup();
  }
}

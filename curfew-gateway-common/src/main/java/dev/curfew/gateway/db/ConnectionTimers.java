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
 *       keeps the session active), and an ending found by a tick ends the connection. The ticks stop
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
  private long busyTimer = -1;
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
   * Starts the busy ticks unless they run: every quarter of the idle timeout as {@code status}
   * (the last seen) tells it, within the configured bounds.
   */
  public void startBusy(SessionStatus status) {
    if (busyTimer >= 0) return;
    long periodMs = settings.busyTouchPeriodMs(status == null ? Long.MAX_VALUE
        : Math.max(1, status.idleExpiresAtMs() - status.lastActivityAtMs()));
    busyTimer = vertx.setPeriodic(periodMs, periodMs, id -> busyTick());
  }

  /** Whether the busy ticks run. */
  boolean busyTicking() {
    return busyTimer >= 0;
  }

  private void stopBusy() {
    if (busyTimer >= 0) vertx.cancelTimer(busyTimer);
    busyTimer = -1;
  }

  /** Work the client started is still running: that keeps the session active (spec: busy is activity). */
  private void busyTick() {
    if (!connection.relaying() || !connection.busy()) {
      stopBusy();
      return;
    }
    access.check(connection.token(), true).whenComplete((d, e) -> context.runOnContext(v -> {
      if (connection.relaying() && d != null && !d.allowed() && d.verdict() == Decision.Verdict.ENDED) {
        connection.ended(d.reason());
      } else if (d != null && d.allowed()) {
        connection.touched(d.status());
      }
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

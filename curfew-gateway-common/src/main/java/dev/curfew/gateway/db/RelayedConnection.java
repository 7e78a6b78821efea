package dev.curfew.gateway.db;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.audit.RecordTypes;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.net.NetSocket;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What one client connection through a database gateway does whatever its wire protocol, on the
 * event loop that accepted it: the relay of the client's messages in order, each one the idle clock
 * counts checked with the store before it goes upstream (the client paused while the store
 * answers); writes upstream that pause the client while the upstream's queue is full; and the two
 * endings with their records: a refusal before the client is in ({@code connection.refused},
 * durable before the client hears why) and a close after ({@code connection.closed}).
 *
 * <p>A protocol's connection reads its own messages ({@code F}) and says what each one is
 * ({@link #classify}), relays it ({@link #relayFrame}), and writes its own errors.
 *
 * @param <F> a client message as the protocol decodes it
 */
public abstract class RelayedConnection<F> implements GovernedConnection, ConnectionTimers.Connection {
  private static final System.Logger LOG = System.getLogger(RelayedConnection.class.getName());

  /** The {@code statement.executed} outcome of a statement the connection's end cut off before its answer. */
  public static final String CANCELLED = "cancelled";

  protected final GatewayListener listener;
  protected final DatabaseTarget target;
  protected final NetSocket client;
  protected final Context context;
  protected final String connectionId;
  protected final ConnectionRecords records;
  protected final ConnectionCounts counts;
  protected final ConnectionTimers timers;

  /** Set once the store admitted the login. */
  protected String token;
  protected String sessionId;
  /** The session's status as last seen (a check, a touch). */
  protected SessionStatus status;

  private List<F> held = List.of(); // messages of one chunk not yet relayed (a check is pending)
  private int heldIndex;
  private boolean checking;
  private boolean upstreamFull;

  /**
   * @param protocol the records' {@code protocol} ({@code postgres}, {@code mysql})
   * @param idPrefix the connection id's prefix ({@code pg}, {@code my})
   */
  protected RelayedConnection(GatewayListener listener, NetSocket client, String protocol, String idPrefix) {
    this.listener = listener;
    this.target = listener.target();
    this.client = client;
    this.context = listener.vertx().getOrCreateContext();
    byte[] id = new byte[8];
    listener.random().nextBytes(id);
    this.connectionId = idPrefix + "-" + HexFormat.of().formatHex(id);
    String clientAddress = client.remoteAddress() == null ? "unknown" : client.remoteAddress().hostAddress();
    this.records = new ConnectionRecords(target, protocol, clientAddress, connectionId);
    this.counts = new ConnectionCounts(listener.settings().nanoTime());
    this.timers = new ConnectionTimers(listener.vertx(), context, listener.settings(), listener.access(), this);
  }

  // ------------------------------------------------------------------ what the protocol says

  /**
   * What {@code frame} is for the idle clock; the protocol notes here what it must know of it
   * before it is relayed. Null: not checked; true: activity (checked, touching); false: checked
   * without touching. May end the connection (a malformed message): nothing more is relayed then.
   */
  protected abstract Boolean classify(F frame);

  /** Relays one admitted message (or answers it in the gateway's name). */
  protected abstract void relayFrame(F frame);

  /** The store is about to be waited for before {@code frame}: what precedes it may go upstream now. */
  protected void beforeWaiting(F frame) {
  }

  /** Every message of the chunk was relayed. */
  protected void chunkRelayed() {
  }

  /** The store cannot be reached: end the connection with the protocol's error. */
  protected abstract void storeUnavailable();

  /** A check found the session ended: end the connection now with the protocol's error naming {@code reason}. */
  protected abstract void endNow(EndReason reason);

  /** The upstream connection, or null before it is logged in. */
  protected abstract NetSocket upstreamSocket();

  /** The message that tells the upstream the connection ends (Terminate, COM_QUIT). */
  protected abstract Buffer goodbye();

  /** Moves the connection to its closed state; false when it was closed already. */
  protected abstract boolean markClosed();

  /**
   * The connection ends with statements relayed and not yet answered: each gets its {@code
   * statement.executed} record with outcome {@link #CANCELLED} now, before {@code connection.closed}
   * (the upstream connection is cancelled, killed or closed under it: no answer will come).
   */
  protected void unanswered() {
  }

  /** The connection is gone from the gateway's sessions: forget what the protocol keeps of it. */
  protected void forgotten() {
  }

  // ------------------------------------------------------------------ the relay

  /** Relays the messages of one client chunk in order; stops (the client paused) while a store check is pending. */
  protected final void relay(List<F> frames) {
    held = frames;
    heldIndex = 0;
    relayHeld();
  }

  private void relayHeld() {
    while (heldIndex < held.size()) {
      if (!relaying()) return;
      F f = held.get(heldIndex);
      Boolean touch = classify(f);
      if (!relaying()) return;
      if (touch != null) {
        CompletableFuture<Decision> answer = listener.access().check(token, touch);
        if (touch) counts.active();
        if (!answer.isDone()) {
          beforeWaiting(f);
          checking = true;
          client.pause();
          answer.whenComplete((d, e) -> context.runOnContext(v -> {
            checking = false;
            if (admitted(d, e)) {
              relayFrame(f);
              heldIndex++;
              relayHeld();
            }
          }));
          return;
        }
        if (!admitted(answer.join(), null)) return;
      }
      relayFrame(f);
      heldIndex++;
    }
    held = List.of();
    if (!relaying()) return;
    chunkRelayed();
    if (!checking && !upstreamFull && relaying()) client.resume();
  }

  /** Whether the store still allows the session; if not, the connection ends with the reason. */
  private boolean admitted(Decision d, Throwable e) {
    if (!relaying()) return false;
    if (e != null || d == null || d.verdict() == Decision.Verdict.UNAVAILABLE) {
      storeUnavailable();
      return false;
    }
    if (!d.allowed()) {
      endNow(d.reason() == null ? EndReason.UNKNOWN : d.reason());
      return false;
    }
    status = d.status();
    return true;
  }

  /** Writes to the upstream; while its queue is full the client is not read. */
  protected final void toUpstream(Buffer b) {
    NetSocket up = upstreamSocket();
    up.write(b);
    if (up.writeQueueFull() && !upstreamFull) {
      upstreamFull = true;
      client.pause();
      up.drainHandler(v -> {
        upstreamFull = false;
        if (!checking && relaying()) client.resume();
      });
    }
  }

  /** Writes to the client, counted for {@code connection.closed}. */
  protected final void write(Buffer b) {
    counts.out(b.length());
    client.write(b);
  }

  @Override
  public String token() {
    return token;
  }

  @Override
  public void touched(SessionStatus s) {
    status = s;
  }

  @Override
  public void idleTimeoutChanged(long idleTimeoutMs) {
    context.runOnContext(v -> timers.idleTimeoutChanged(idleTimeoutMs));
  }

  // ------------------------------------------------------------------ endings

  /**
   * Turns the client away before it is in with {@code error}: the record is durable before the
   * client hears why. The same refusal from the same address is recorded once per window ({@link
   * RefusalLimit}); the ones in between are only counted, and the client hears why at once.
   */
  protected final void refuse(String why, Buffer error, Map<String, Object> extra) {
    if (!markClosed()) return;
    timers.cancelStartup();
    client.pause();
    forget();
    NetSocket up = upstreamSocket();
    if (up != null) up.close();
    Map<String, Object> data = refusal(why);
    if (data == null) {
      client.write(error).onComplete(x -> client.close());
      return;
    }
    data.putAll(extra);
    listener.access().record(sessionId, RecordTypes.CONNECTION_REFUSED, data)
        .whenComplete((ok, e) -> context.runOnContext(v -> {
          if (e != null) LOG.log(System.Logger.Level.ERROR, connectionId + ": refusal not recorded: " + e);
          client.write(error).onComplete(x -> client.close());
        }));
  }

  /**
   * TLS is starting on the client's connection: a failed handshake is a {@code tls_failed} refusal,
   * decided as the failure is reported, on the connection's event loop, not in a task queued after
   * it. Netty fails the handshake and then closes the connection (or fails it because the
   * connection closed); a decision queued behind the failure came after {@link #refuseQuietly}'s
   * {@code client_closed} for that close, and the record said the client had left.
   */
  protected final void tlsStarting(Future<Void> handshake) {
    handshake.onFailure(e -> {
      if (((ContextInternal) context).nettyEventLoop().inEventLoop()) {
        refuseQuietly("tls_failed", e.getMessage());
      } else {
        context.runOnContext(v -> refuseQuietly("tls_failed", e.getMessage()));
      }
    });
  }

  /** A refusal where the client cannot be told (a failed TLS handshake, a client gone during login). */
  protected final void refuseQuietly(String why, String detail) {
    if (!markClosed()) return;
    timers.cancelStartup();
    forget();
    NetSocket up = upstreamSocket();
    if (up != null) up.close();
    Map<String, Object> data = refusal(why);
    if (data != null) {
      data.put("detail", String.valueOf(detail));
      listener.access().record(sessionId, RecordTypes.CONNECTION_REFUSED, data);
    }
    client.close();
  }

  /** The data of a {@code connection.refused} record with its {@code repeats}; null when this one is only counted. */
  private Map<String, Object> refusal(String why) {
    long repeats = listener.refusalLimit().repeatsBefore(target.name(), records.clientAddress(), sessionId, why);
    if (repeats < 0) return null;
    Map<String, Object> data = records.refused(why);
    data.put("repeats", repeats);
    return data;
  }

  /**
   * Closes both sides (the upstream told {@link #goodbye()}) and records {@code connection.closed},
   * after the records of the statements it cut off ({@link #unanswered}).
   */
  protected final void shut(String why, Map<String, Object> extra) {
    if (!markClosed()) return;
    timers.cancelAll();
    forget();
    NetSocket up = upstreamSocket();
    if (up != null) {
      up.handler(null);
      up.closeHandler(null);
      up.write(goodbye()).onComplete(x -> up.close());
    }
    client.end().onComplete(x -> client.close());
    unanswered();
    listener.access().record(sessionId, RecordTypes.CONNECTION_CLOSED, counts.closed(records, why, extra));
  }

  private void forget() {
    if (sessionId != null) listener.sessionConnections().remove(sessionId, this);
    forgotten();
  }
}

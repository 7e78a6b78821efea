package dev.curfew.gateway.ssh;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.Tokens;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import dev.curfew.gateway.db.LoginGuard;
import dev.curfew.gateway.db.RefusalLimit;
import dev.curfew.gateway.db.SessionNotices;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.server.auth.AsyncAuthException;
import org.apache.sshd.server.session.ServerSession;

/**
 * One client connection to the SSH gateway, from login to close: the Curfew session it runs under,
 * its login to the target, its channels, what it counts for the audit trail, and what it does when
 * the session warns or ends.
 *
 * <p>Login ({@code SUBJECT@TARGET}, the token as password): the token's session must be live and its
 * subject equal SUBJECT, TARGET configured; only then does the gateway log in to the target with its
 * own key and let the client in. A refusal that concerns a known session is audited
 * ({@code connection.refused}) and the client is disconnected with the reason.
 */
final class GatewayConnection implements SessionEvents {
  private static final System.Logger LOG = System.getLogger(GatewayConnection.class.getName());
  /** How long the end waits for a client to take its last line before disconnecting anyway. */
  static final long END_FLUSH_MS = 250;
  /**
   * After the end's disconnect message, how long the gateway waits for the client to close the
   * connection before closing it itself. Closing at once would reset a client still reading a flood of
   * output that was on its way: the reset discards what its socket holds, the last line and the
   * disconnect with it. Nothing is relayed meanwhile.
   */
  static final long END_LINGER_MS = 5_000;
  /** Refused channels and requests recorded per connection; beyond, they are counted only. */
  static final int MAX_REFUSALS_RECORDED = 10;
  /** The longest name (channel type, host, subsystem) a refusal record carries. */
  static final int MAX_NAME_CHARS = 128;

  private final SshGateway gateway;
  private final ServerSession session;
  private final String connectionId;
  private final long openedAtMs;
  private final long openedAtNanos;
  private final AtomicBoolean loginStarted = new AtomicBoolean();
  private final AtomicBoolean ended = new AtomicBoolean();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Set<Relay> relays = ConcurrentHashMap.newKeySet();
  private final Set<BusyTicks> busy = ConcurrentHashMap.newKeySet();
  private final AtomicInteger channelNumbers = new AtomicInteger();
  private final AtomicLong activeMessages = new AtomicLong();
  private final AtomicLong bytesIn = new AtomicLong();
  private final AtomicLong bytesOut = new AtomicLong();
  private final AtomicLong refusedRequests = new AtomicLong();
  /** Each channel's recording (file, sha256) by channel number: the first channel's is the first. */
  private final java.util.TreeMap<Integer, Map<String, Object>> recordings = new java.util.TreeMap<>();
  private volatile SshTarget target;
  private volatile String sessionId;
  private volatile SessionStatus status;
  private volatile ActivityGate gate;
  private volatile ClientSession upstream;
  private volatile Runnable unfollow;
  private volatile String why = "client_closed";
  private volatile String endReason; // the session's reason, when why is session_ended

  GatewayConnection(SshGateway gateway, ServerSession session, String connectionId, long openedAtMs) {
    this.gateway = gateway;
    this.session = session;
    this.connectionId = connectionId;
    this.openedAtMs = openedAtMs;
    this.openedAtNanos = System.nanoTime();
  }

  String connectionId() {
    return connectionId;
  }

  String sessionId() {
    return sessionId;
  }

  ClientSession upstream() {
    return upstream;
  }

  // ---------------------------------------------------------------- login

  /** The password (or keyboard-interactive answer) is the token; decided asynchronously. */
  boolean login(String userName, String token) {
    if (!loginStarted.compareAndSet(false, true)) return false; // one attempt per connection
    TargetLogin login = TargetLogin.parse(userName).orElse(null);
    SshTarget t = login == null ? null : gateway.settings().target(login.target());
    if (t == null) {
      refuse("unknown_target", false, null);
      return false;
    }
    target = t;
    AsyncAuthException answer = new AsyncAuthException();
    String address = clientAddress();
    LoginGuard guard = gateway.guard();
    LoginGuard.ask(guard, address).thenAccept(limited -> {
      if (limited != null) {
        // Too many unknown tokens from this address: refused before this one is looked at.
        rateLimited(limited);
        return;
      }
      if (!Tokens.wellFormed(token)) {
        guard.failed(address);
        refuse(EndReason.UNKNOWN.wire(), false, null);
        return;
      }
      check(t, login, token, address, answer);
    });
    throw answer;
  }

  /** The token's check, once the guard let the address present it. */
  private void check(SshTarget t, TargetLogin login, String token, String address, AsyncAuthException answer) {
    gate = new ActivityGate(gateway.sessions(), token, t.audience());
    gate.check(false).whenComplete((d, e) -> {
      if (e != null || d.verdict() == Decision.Verdict.UNAVAILABLE) {
        refuse("unavailable", false, null);
      } else if (!d.allowed()) {
        // An ended session's token, or a live one opened for another place (wrong_audience, left
        // untouched): the store recorded session.refused with the session; this record says where it
        // was presented. A token never issued concerns no session: not recorded, but a guess.
        String why = d.refusalReason();
        if (LoginGuard.isGuess(why)) gateway.guard().failed(address);
        refuse(why, !why.equals(EndReason.UNKNOWN.wire()), null);
      } else if (!d.status().subject().equals(login.subject())) {
        gateway.guard().failed(address);
        refuse("wrong_subject", true, d.status().sessionId());
      } else if (t.policy() != null && !t.policy().equals(d.status().policy())) {
        // The target's policy governs the sessions opened for it: a session under another policy (a
        // longer idle timeout, say) must not reach this host. Refused untouched, and recorded.
        refuse("wrong_policy", true, d.status().sessionId());
      } else {
        status = d.status();
        sessionId = d.status().sessionId();
        connectUpstream(answer);
      }
    });
  }

  /**
   * Refused by the {@link LoginGuard}: disconnected with the limit and the retry time; recorded as
   * {@code connection.refused} ({@code why: rate_limited}) once per {@link RefusalLimit#WINDOW_MS}
   * per address, the next record counting the ones in between.
   */
  private void rateLimited(LoginGuard.Refusal r) {
    long repeats = gateway.refusalLimit().repeatsBefore(target.name(), clientAddress(), null, LoginGuard.RATE_LIMITED);
    if (repeats >= 0) {
      Map<String, Object> data = refusal(LoginGuard.RATE_LIMITED);
      data.putAll(SessionNotices.rateLimitedRecord(r));
      data.put("repeats", repeats);
      gateway.sessions().recordGatewayEvent(null, RecordTypes.CONNECTION_REFUSED, data);
    }
    disconnect(SshConstants.SSH2_DISCONNECT_TOO_MANY_CONNECTIONS, SessionNotices.rateLimited(r));
  }

  private void connectUpstream(AsyncAuthException answer) {
    gateway.upstreams().connect(target).whenComplete((up, e) -> {
      if (e != null) {
        if (closed.get()) return; // the client left meanwhile: nobody to tell
        LOG.log(System.Logger.Level.WARNING, "ssh gateway: cannot log in to target " + target.name() + " at "
            + target.upstream() + ": " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
        refuse("upstream_error", true, sessionId);
        return;
      }
      synchronized (this) {
        if (closed.get()) {
          // The target answered after the client left or its login timed out: nobody will use this
          // connection, so it is closed here rather than held open on the target.
          up.close(true);
          return;
        }
        upstream = up;
        unfollow = gateway.follow(sessionId, this);
        record(RecordTypes.CONNECTION_OPENED, opened());
      }
      up.addCloseFutureListener(f -> upstreamClosed());
      answer.setAuthed(true);
      // A completed login is the person's act, so it counts as activity; this check also catches
      // an ending between the first check and the subscription, which the events would have missed.
      gate.check(true).thenAccept(this::settle);
    });
  }

  private Map<String, Object> opened() {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("target", target.name());
    data.put("protocol", "ssh");
    data.put("client_address", clientAddress());
    data.put("connection_id", connectionId);
    data.put("ssh_user", target.user());
    return data;
  }

  /** Disconnects with the reason; {@code audited}: with a connection.refused record (of {@code sessionId} when known). */
  private void refuse(String reason, boolean audited, String sessionId) {
    if (audited) gateway.sessions().recordGatewayEvent(sessionId, RecordTypes.CONNECTION_REFUSED, refusal(reason));
    disconnect(SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE, TerminalText.refusedText(reason));
  }

  private Map<String, Object> refusal(String why) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("target", target == null ? "" : target.name());
    data.put("protocol", "ssh");
    data.put("client_address", clientAddress());
    data.put("connection_id", connectionId);
    data.put("why", why);
    return data;
  }

  /**
   * A channel or request of a logged-in client that the gateway refuses (port, agent or X11
   * forwarding, a subsystem, a channel type it does not relay): the refusal stands and the connection
   * goes on. The first {@link #MAX_REFUSALS_RECORDED} of a connection are recorded as
   * {@code connection.refused} naming what was asked ({@code request}, and {@code details}); the rest
   * are only counted, in {@code connection.closed}'s {@code refused_requests}, so a client cannot
   * flood the trail.
   *
   * @param why {@code port_forwarding}, {@code agent_forwarding}, {@code x11_forwarding},
   *     {@code subsystem} or {@code channel_type}
   */
  void refusedRequest(String why, String request, Map<String, Object> details) {
    long n = refusedRequests.incrementAndGet();
    if (sessionId == null || closed.get() || n > MAX_REFUSALS_RECORDED) return;
    Map<String, Object> data = refusal(why);
    data.put("request", clip(request));
    details.forEach((k, v) -> data.put(k, v instanceof String str ? clip(str) : v));
    record(RecordTypes.CONNECTION_REFUSED, data);
  }

  /** What a client named, cut to {@link #MAX_NAME_CHARS} (a channel type may be as long as a packet). */
  static String clip(String s) {
    if (s == null) return "";
    return s.length() <= MAX_NAME_CHARS ? s : s.substring(0, MAX_NAME_CHARS) + "...";
  }

  // ---------------------------------------------------------------- activity

  /**
   * A client's request or keystroke batch of {@code bytes} bytes: checked (and touched) through the
   * gate; answers whether to pass it on. A refusal ends the connection with the session's reason.
   */
  CompletableFuture<Boolean> activity(int bytes) {
    if (ended.get() || gate == null) return CompletableFuture.completedFuture(false);
    return gate.check(true).handle((d, e) -> {
      boolean ok = e == null && settle(d);
      if (ok) {
        activeMessages.incrementAndGet();
        bytesIn.addAndGet(bytes);
      }
      return ok;
    });
  }

  /** Acts on a store answer: keeps the status, or ends the connection; answers whether the session is valid. */
  private boolean settle(Decision d) {
    if (d.allowed()) {
      status = d.status();
      return true;
    }
    if (d.verdict() == Decision.Verdict.UNAVAILABLE) {
      // Fail closed: a keystroke that cannot be checked is not passed on, and the terminal says why.
      endConnection("unavailable", "error");
    } else {
      endConnection(d.refusalReason(), "session_ended");
    }
    return false;
  }

  void output(int bytes) {
    bytesOut.addAndGet(bytes);
  }

  /**
   * Keeps the session active while an {@code exec} command runs (spec/protocol-gateways.md: work the
   * client waits for counts), unless the target says otherwise: a touch every quarter of the
   * session's idle timeout, so a tick always lands well before the deadline. Null when nothing to tick.
   */
  BusyTicks keepBusy() {
    if (!target.busyIsActivity()) return null;
    BusyTicks ticks = new BusyTicks(periodOf(idleTimeoutOf(status)));
    busy.add(ticks);
    ticks.arm();
    return ticks;
  }

  private static long idleTimeoutOf(SessionStatus s) {
    return Math.max(1, s.idleExpiresAtMs() - s.lastActivityAtMs());
  }

  private static long periodOf(long idleTimeoutMs) {
    return Math.max(50, Math.min(60_000, idleTimeoutMs / 4));
  }

  /**
   * The touches of one running command: each one-shot, timed from the answer to the one before by
   * the idle timeout that answer gives, so that a policy shortened under the live session ({@code
   * apply_to_live}) shortens the ticks that follow; when its {@code status} event says so, the
   * command touches the session at once (the last touch may be nearer the new idle deadline than
   * the next tick).
   */
  final class BusyTicks {
    private volatile boolean cancelled;
    private volatile long periodMs;
    private volatile ScheduledFuture<?> next;

    private BusyTicks(long periodMs) {
      this.periodMs = periodMs;
    }

    private void arm() {
      if (!cancelled && !ended.get()) next = gateway.scheduler().schedule(this::tick, periodMs, TimeUnit.MILLISECONDS);
    }

    private void tick() {
      if (cancelled || ended.get()) return;
      gate.check(true).thenAccept(d -> {
        if (settle(d)) {
          periodMs = periodOf(idleTimeoutOf(status));
          arm();
        }
      });
    }

    private void idleTimeoutChanged(long idleTimeoutMs) {
      long p = periodOf(idleTimeoutMs);
      if (p >= periodMs) return;
      periodMs = p;
      ScheduledFuture<?> f = next;
      if (f != null && f.cancel(false)) tick(); // else a touch is being answered: its answer arms the next
    }

    /** The command ended: no more touches. */
    void cancel() {
      cancelled = true;
      busy.remove(this);
      ScheduledFuture<?> f = next;
      if (f != null) f.cancel(false);
    }
  }

  // ---------------------------------------------------------------- session events

  @Override
  public int publish(String id, String event, Map<String, Object> data) {
    switch (event) {
      case "warning" -> {
        warn(data);
        return relays.isEmpty() ? 0 : 1;
      }
      case "status" -> {
        // a policy applied to the live session: running commands keep touching by its idle timeout
        Object idleAt = data.get("idle_expires_at");
        Object lastAt = data.get("last_activity_at");
        if (idleAt == null || lastAt == null || busy.isEmpty()) return 0;
        long idleTimeoutMs = Times.parse(idleAt.toString()) - Times.parse(lastAt.toString());
        for (BusyTicks t : busy) t.idleTimeoutChanged(idleTimeoutMs);
        return 0;
      }
      case "expired", "revoked", "logged_out" -> {
        Object reason = data.get("reason");
        endConnection(reason == null ? EndReason.UNKNOWN.wire() : reason.toString(), "session_ended");
        return 0;
      }
      default -> {
        return 0;
      }
    }
  }

  private void warn(Map<String, Object> data) {
    SessionStatus s = status;
    Object at = data.get("expires_at");
    Object left = data.get("seconds_left");
    if (s == null || at == null || left == null) return;
    long expiresAtMs = Times.parse(at.toString());
    boolean absolute = expiresAtMs >= s.absoluteExpiresAtMs();
    String text = TerminalText.warning(expiresAtMs, ((Number) left).longValue(), absolute);
    for (Relay r : relays) r.say(text);
  }

  /**
   * Ends every channel at once (the last line, exit-signal HUP), then disconnects with the reason's
   * text; a client that does not take its last line within {@link #END_FLUSH_MS} is disconnected
   * anyway, so the end stays within the expiry lateness bound.
   */
  void endConnection(String reason, String closedWhy) {
    if (!ended.compareAndSet(false, true)) return;
    why = closedWhy;
    endReason = reason;
    List<CompletableFuture<Void>> told = new ArrayList<>();
    for (Relay r : relays) told.add(r.end(reason));
    CompletableFuture<Void> all = CompletableFuture.allOf(told.toArray(CompletableFuture[]::new));
    all.completeOnTimeout(null, END_FLUSH_MS, TimeUnit.MILLISECONDS)
        .whenComplete((v, e) -> disconnectLingering(TerminalText.disconnectText(reason)));
  }

  /**
   * Sends the disconnect message (after everything already written, the last lines included), then lets
   * the client close the connection, as a client does on reading it; closes it after
   * {@link #END_LINGER_MS} when the client has not.
   */
  private void disconnectLingering(String text) {
    try {
      org.apache.sshd.common.util.buffer.Buffer b = session.createBuffer(SshConstants.SSH_MSG_DISCONNECT, text.length() + 32);
      b.putInt(SshConstants.SSH2_DISCONNECT_BY_APPLICATION);
      b.putString(text);
      b.putString("");
      session.writePacket(b);
      gateway.scheduler().schedule(() -> session.close(true), END_LINGER_MS, TimeUnit.MILLISECONDS);
    } catch (IOException | RuntimeException e) {
      disconnect(SshConstants.SSH2_DISCONNECT_BY_APPLICATION, text);
    }
  }

  /** The target's connection closed under a client still connected: nothing more can be relayed. */
  private void upstreamClosed() {
    if (closed.get() || !ended.compareAndSet(false, true)) return;
    why = "upstream_closed";
    disconnect(SshConstants.SSH2_DISCONNECT_BY_APPLICATION, "curfew: the target closed the connection");
  }

  private void disconnect(int code, String text) {
    try {
      session.disconnect(code, text);
    } catch (IOException | RuntimeException e) {
      session.close(true);
    }
  }

  // ---------------------------------------------------------------- channels

  boolean relayStarted(Relay r) {
    if (ended.get() || relays.size() >= gateway.settings().maxChannelsPerConnection()) return false;
    relays.add(r);
    return true;
  }

  void relayStopped(Relay r) {
    if (relays.remove(r)) {
      Map<String, Object> rec = r.finishRecording();
      if (rec != null) {
        synchronized (recordings) {
          recordings.put(r.number(), rec);
        }
      }
    }
  }

  int nextChannelNumber() {
    return channelNumbers.incrementAndGet();
  }

  Recording startRecording(Relay r, RelayChannelSession.Pty pty) throws IOException {
    if (!gateway.settings().record()) return null;
    Path file = gateway.settings().recordingsDir().resolve(connectionId + "-" + r.number() + ".cast");
    return Recording.start(file, pty == null ? 80 : pty.columns(), pty == null ? 24 : pty.rows(),
        pty == null ? null : pty.term(), System.currentTimeMillis(), System.nanoTime());
  }

  void recordingFailed(Relay r, IOException e) {
    LOG.log(System.Logger.Level.ERROR, "ssh gateway: recording of " + connectionId + "-" + r.number() + " failed: " + e);
  }

  // ---------------------------------------------------------------- close

  /** The client connection is closed (by whichever side): channels, target, subscription, record. */
  void closed() {
    ClientSession up;
    Runnable u;
    synchronized (this) { // against connectUpstream: a target reached from now on is closed there
      if (!closed.compareAndSet(false, true)) return;
      up = upstream;
      u = unfollow;
    }
    for (Relay r : List.copyOf(relays)) r.stop();
    if (u != null) u.run();
    if (up != null) up.close(true);
    if (up == null || sessionId == null) return; // never opened: a refusal was recorded, if any
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("target", target.name());
    data.put("connection_id", connectionId);
    data.put("why", why);
    if (why.equals("session_ended")) data.put("reason", endReason);
    data.put("active_messages", activeMessages.get());
    data.put("bytes_in", bytesIn.get());
    data.put("bytes_out", bytesOut.get());
    if (refusedRequests.get() > 0) data.put("refused_requests", refusedRequests.get());
    data.put("duration_ms", (System.nanoTime() - openedAtNanos) / 1_000_000);
    List<Map<String, Object>> recorded;
    synchronized (recordings) {
      recorded = List.copyOf(recordings.values());
    }
    if (!recorded.isEmpty()) {
      data.put("recording_sha256", recorded.get(0).get("sha256"));
      data.put("recordings", recorded);
    }
    record(RecordTypes.CONNECTION_CLOSED, data);
  }

  private void record(String type, Map<String, Object> data) {
    gateway.sessions().recordGatewayEvent(sessionId, type, data).whenComplete((v, e) -> {
      if (e != null) LOG.log(System.Logger.Level.ERROR, "ssh gateway: " + type + " of " + connectionId + " not recorded: " + e);
    });
  }

  private String clientAddress() {
    SocketAddress a = session.getClientAddress();
    return a instanceof InetSocketAddress i ? i.getAddress().getHostAddress() : String.valueOf(a);
  }

  long openedAtMs() {
    return openedAtMs;
  }
}

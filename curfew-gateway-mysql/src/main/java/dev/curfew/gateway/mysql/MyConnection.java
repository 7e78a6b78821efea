package dev.curfew.gateway.mysql;

import dev.curfew.core.EndReason;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.RelayedConnection;
import dev.curfew.gateway.db.LoginGuard;
import dev.curfew.gateway.db.SessionAccess;
import dev.curfew.gateway.db.SessionNotices;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client connection through the MySQL/MariaDB gateway, on one event loop: the gateway's own
 * greeting and login (the token as a mysql_clear_password answer), Curfew's login upstream, then
 * the relay. Client commands are read whole (the command byte, a statement's text, a statement
 * id); upstream packets only by their first bytes ({@link MyResponses}). Bytes are relayed as they
 * came, except the login exchange, the gateway's own answers to commands it refuses, one added
 * warning in a warning count, the curfew row of a SHOW WARNINGS, and the final error.
 *
 * <p>Activity: COM_QUERY, COM_STMT_PREPARE and COM_STMT_EXECUTE whose statement is not a passive
 * one are checked with the store (touching) before they are relayed; other commands that reach the
 * database (COM_PING, COM_INIT_DB ...) are checked without touching. While an active statement
 * runs the session is touched periodically, so that a long query is not idle.
 *
 * <p>A client's KILL ({@code KILL [QUERY] <id>}, COM_PROCESS_KILL) is never relayed: every gateway
 * connection is the same upstream login, which may kill any of them. The gateway takes it itself
 * ({@link MyKill}): {@code <id>} is the id this gateway's greeting gave ({@link MyConnectionIds}),
 * and only a connection of the same session is killed; checked, it does not count as activity.
 */
final class MyConnection extends RelayedConnection<MyConnection.Frame> implements MyResponses.Listener {
  private static final System.Logger LOG = System.getLogger(MyConnection.class.getName());
  /** A login packet is a few hundred bytes; this bounds a hostile one. */
  private static final int LOGIN_PACKET_BYTES_MAX = 64 << 10;
  /** {@code USE name} (with or without back quotes) as a whole statement. */
  private static final Pattern USE = Pattern.compile("(?is)\\s*use\\s+`?([^`;\\s]+)`?\\s*;?\\s*");
  private static final byte[] COM_QUIT_PACKET = {1, 0, 0, 0, MyPackets.COM_QUIT};

  private enum State { GREETED, SWITCHING, CHECKING, CONNECTING, RELAY, CLOSED }

  /** A whole client packet with its sequence id. */
  record Frame(int seq, Buffer payload, Buffer raw) {}

  private final MyGateway gateway;
  private final byte[] nonce = new byte[20];
  private MyPacketDecoder clientDecoder = new MyPacketDecoder(LOGIN_PACKET_BYTES_MAX);
  private final MyPacketScanner upstreamScanner = new MyPacketScanner();
  private MyResponses responses;

  private State state = State.GREETED;
  private boolean tls;
  private int lastClientSeq;
  private MyHandshake.Response login;
  private String database;
  private MyUpstreamLogin.Upstream upstream;
  /** The id the greeting gave the client (what its KILL names). */
  private long greetedId;
  /** The session whose KILLs may reach this connection: set while it relays, read from other connections' event loops. */
  private volatile String killableSession;

  // relay state
  /** An ending held back until the packet being relayed is whole. */
  private Runnable pendingEnd;
  private final Map<Long, String> statements = new HashMap<>();

  MyConnection(MyGateway gateway, NetSocket client) {
    super(gateway, client, "mysql", "my");
    this.gateway = gateway;
    // A scramble of printable bytes: clients treat the greeting's second part as NUL-terminated.
    for (int i = 0; i < nonce.length; i++) nonce[i] = (byte) (33 + gateway.random().nextInt(94));
  }

  void start() {
    client.setWriteQueueMaxSize(gateway.settings().writeQueueBytes());
    client.handler(this::fromClient);
    client.closeHandler(v -> closed());
    client.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, connectionId + ": client: " + e));
    timers.startStartup();
    int offered = MyPackets.OFFERED | (gateway.tls != null ? MyPackets.CLIENT_SSL : 0);
    greetedId = gateway.ids.register(this);
    write(MyHandshake.greeting(gateway.serverVersion(), greetedId, nonce, offered,
        MyPackets.UTF8MB4_GENERAL_CI, MyPackets.SERVER_STATUS_AUTOCOMMIT));
  }

  @Override
  public void startupTimedOut() {
    if (state != State.RELAY && state != State.CLOSED) {
      refuse("startup_timeout", MyPackets.ER_HANDSHAKE, "08S01",
          "curfew: the login did not finish within " + gateway.settings().startupTimeout().toSeconds() + " s");
    }
  }

  // ================================================================== client → gateway

  private void fromClient(Buffer chunk) {
    if (state == State.CLOSED) return;
    counts.in(chunk.length());
    List<Frame> frames = new ArrayList<>();
    try {
      clientDecoder.decode(chunk, (seq, payload, raw) -> {
        Frame f = new Frame(seq, payload, raw);
        frames.add(f);
        // After an SSLRequest comes the TLS handshake, not packets: left unread for the TLS handler.
        return !(state == State.GREETED && !tls && isSslRequest(f));
      });
    } catch (MyPacketDecoder.FrameException e) {
      // Refused from its header alone: the answer follows that packet's sequence id, not the last whole one's.
      if (e.seq() >= 0) lastClientSeq = e.seq();
      protocolViolation(e.getMessage());
      return;
    }
    if (state == State.RELAY) {
      relay(frames);
      return;
    }
    for (int i = 0; i < frames.size(); i++) {
      if (state == State.CLOSED || state == State.RELAY) return;
      try {
        Frame f = frames.get(i);
        if (state == State.GREETED && !tls && isSslRequest(f)) {
          // What followed the SSLRequest is the TLS ClientHello: it goes through the TLS handler, not to us.
          Buffer early = clientDecoder.takeHeld();
          lastClientSeq = f.seq();
          startTls(early);
          return;
        }
        login(f);
      } catch (MyPacketDecoder.FrameException e) {
        protocolViolation(e.getMessage());
        return;
      }
    }
  }

  private static boolean isSslRequest(Frame f) {
    return f.payload().length() == 32 && (f.payload().getUnsignedIntLE(0) & MyPackets.CLIENT_SSL) != 0;
  }

  private void startTls(Buffer early) {
    if (gateway.tls == null) {
      refuse("protocol_violation", MyPackets.ER_HANDSHAKE, "08S01", "curfew: TLS is not offered here");
      return;
    }
    // From here every byte of the client's is read through TLS (or the handshake fails and it is
    // cut): marked now, not when the handshake's completion is reported, which can come after the
    // handshake response that followed it (a TLS client was then refused as tls_required).
    tls = true;
    tlsStarting(gateway.tls.start(client, early));
  }

  // ------------------------------------------------------------------ login

  private void login(Frame f) throws MyPacketDecoder.FrameException {
    lastClientSeq = f.seq();
    switch (state) {
      case GREETED -> handshakeResponse(MyHandshake.parseResponse(f.payload()));
      case SWITCHING -> password(f.payload());
      default -> refuse("protocol_violation", MyPackets.ER_HANDSHAKE, "08S01", "curfew: unexpected packet during login");
    }
  }

  private void handshakeResponse(MyHandshake.Response r) {
    if (r.sslRequest()) { // a second SSLRequest, inside TLS
      refuse("protocol_violation", MyPackets.ER_HANDSHAKE, "08S01", "curfew: TLS is already on");
      return;
    }
    if (target.tls() != null && target.tls().require() && !tls) {
      refuse("tls_required", MyPackets.ER_SECURE_TRANSPORT_REQUIRED, "HY000",
          "curfew: this database requires TLS (connect with --ssl, or sslMode=trust/verify-full)");
      return;
    }
    login = r;
    if (r.user() == null || r.user().isEmpty()) {
      refuse("protocol_violation", MyPackets.ER_ACCESS_DENIED, "28000", "curfew: no user name in the login");
      return;
    }
    database = r.database() != null ? r.database() : target.database();
    if (target.database() != null && !target.database().equals(database)) {
      refuse("wrong_database", MyPackets.ER_DBACCESS_DENIED, "42000",
          "curfew: this gateway serves only the database '" + target.database() + "'");
      return;
    }
    if (MyPackets.CLEAR_PASSWORD.equals(r.plugin())) {
      password(Buffer.buffer(r.authResponse()));
      return;
    }
    // Ask for the token in clear (it is checked, never hashed): mysql_clear_password, over TLS where offered.
    state = State.SWITCHING;
    write(MyHandshake.authSwitch(lastClientSeq + 1, MyPackets.CLEAR_PASSWORD, nonce));
  }

  private void password(Buffer p) {
    int n = p.length();
    while (n > 0 && p.getByte(n - 1) == 0) n--; // clients send it NUL-terminated
    state = State.CHECKING;
    client.pause();
    checkToken(p.getString(0, n, "UTF-8"));
  }

  private void checkToken(String presented) {
    // Checked, not touched: the mariadb CLI and the connectors cancel by logging in anew to send KILL,
    // and a cancel is passive; a connection's first statement is what counts.
    gateway.access().login(presented, login.user(), records.clientAddress(), false).whenComplete((answer, e) -> context.runOnContext(v -> {
      if (state == State.CLOSED) return;
      if (e != null || answer == null) {
        refuse(SessionAccess.UNAVAILABLE, MyPackets.ER_SERVER_SHUTDOWN, "08S01", "curfew: the session store cannot be reached");
        return;
      }
      sessionId = answer.sessionId();
      String why = answer.why();
      switch (why == null ? "" : why) {
        case "" -> {
          token = presented;
          status = answer.status();
          gateway.connections.add(sessionId, this);
          connectUpstream();
        }
        case SessionAccess.UNAVAILABLE ->
            refuse(why, MyPackets.ER_SERVER_SHUTDOWN, "08S01", "curfew: the session store cannot be reached");
        // The address presented too many unknown tokens: refused before this one was looked at.
        case LoginGuard.RATE_LIMITED -> refuse(why, MyPackets.ER_CON_COUNT, "08004",
            SessionNotices.rateLimited(answer.limited()), SessionNotices.rateLimitedRecord(answer.limited()));
        case SessionAccess.WRONG_SUBJECT ->
            refuse(why, MyPackets.ER_ACCESS_DENIED, "28000", "curfew: the user name must be the session's subject");
        case SessionAccess.WRONG_POLICY -> refuse(why, MyPackets.ER_ACCESS_DENIED, "28000",
            SessionNotices.policyRefused(target.policy(), answer.status().policy()));
        // A session for another place (the web, another database) is refused as wrong_audience: the
        // store left it untouched and recorded session.refused; this record says where it was presented.
        default -> refuse(why, MyPackets.ER_ACCESS_DENIED, "28000", SessionNotices.tokenRefused(why));
      }
    }));
  }

  private void connectUpstream() {
    state = State.CONNECTING;
    int caps = login.capabilities() & (MyPackets.OFFERED | MyPackets.CLIENT_SSL);
    MyUpstreamLogin.login(gateway.upstreamClient(), gateway.upstreamTls(), target, caps, login.maxPacketBytes(),
        login.charset(), database, login.attributes()).onComplete(ar -> {
          if (state == State.CLOSED) {
            if (ar.succeeded()) ar.result().socket().close();
            return;
          }
          if (ar.failed()) {
            int code = ar.cause() instanceof MyUpstreamLogin.Failed f && f.code != 0 ? f.code : 1105; // ER_UNKNOWN_ERROR
            refuse("upstream_error", code, "HY000", "curfew: the database refused the gateway's login",
                Map.of("detail", String.valueOf(ar.cause().getMessage())));
            return;
          }
          upstream = ar.result();
          gateway.learnServerVersion(upstream.greeting().serverVersion());
          Map<String, Object> data = records.opened(tls);
          if (database != null) data.put("database", database);
          // The opening is on record before the client is told it is in (fail closed).
          gateway.access().record(sessionId, RecordTypes.CONNECTION_OPENED, data)
              .whenComplete((ok, e) -> context.runOnContext(v -> {
                if (state == State.CLOSED) return;
                if (e != null) {
                  refuse("unavailable", MyPackets.ER_SERVER_SHUTDOWN, "08S01", "curfew: the audit log cannot be written");
                } else {
                  opened();
                }
              }));
        });
  }

  private void opened() {
    timers.cancelStartup();
    state = State.RELAY;
    clientDecoder = new MyPacketDecoder(gateway.settings().maxFrameBytes());
    responses = new MyResponses((upstream.capabilities() & MyPackets.CLIENT_DEPRECATE_EOF) != 0,
        MyPackets.okStatus(upstream.okPayload(), MyPackets.SERVER_STATUS_AUTOCOMMIT), this);
    killableSession = sessionId;
    NetSocket up = upstream.socket();
    up.setWriteQueueMaxSize(gateway.settings().writeQueueBytes());
    up.handler(this::fromUpstream);
    up.closeHandler(v -> upstreamClosed());
    up.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, connectionId + ": upstream: " + e));
    up.resume();
    // The upstream's own OK (its status and session state), in the client's sequence.
    write(MyPackets.packet(lastClientSeq + 1, upstream.okPayload()));
    client.resume();
  }

  // ------------------------------------------------------------------ the relay, client side

  private static int command(Frame f) {
    return f.payload().length() == 0 ? -1 : f.payload().getUnsignedByte(0);
  }

  private static String text(Frame f) {
    return f.payload().getString(1, f.payload().length(), "UTF-8");
  }

  /** Null: not checked; true: active (check and touch); false: checked, not activity. */
  @Override
  protected Boolean classify(Frame f) {
    switch (command(f)) {
      case MyPackets.COM_QUERY -> {
        String t = text(f);
        if (otherSchema(useTarget(t))) return null; // refused here, never reaches the database
        if (MyKill.read(t) != null) return false; // a cancel: checked, not activity (spec: passive)
        return !target.passiveStatements().contains(t);
      }
      case MyPackets.COM_STMT_PREPARE -> {
        String t = text(f);
        if (MyKill.read(t) != null) return false;
        return !target.passiveStatements().contains(t);
      }
      case MyPackets.COM_STMT_EXECUTE -> {
        String t = statements.get(statementId(f));
        return !(t != null && target.passiveStatements().contains(t));
      }
      case MyPackets.COM_INIT_DB -> {
        return otherSchema(text(f)) ? null : false;
      }
      case MyPackets.COM_PING, MyPackets.COM_FIELD_LIST, MyPackets.COM_STATISTICS, MyPackets.COM_STMT_RESET,
          MyPackets.COM_SET_OPTION, MyPackets.COM_STMT_FETCH, MyPackets.COM_RESET_CONNECTION, MyPackets.COM_PROCESS_INFO,
          MyPackets.COM_PROCESS_KILL, MyPackets.COM_REFRESH, MyPackets.COM_DEBUG -> {
        return false;
      }
      default -> {
        return null; // COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA, and what is refused
      }
    }
  }

  /** Relays one admitted command (or answers it here), noting the response it is owed. */
  @Override
  protected void relayFrame(Frame f) {
    int cmd = command(f);
    long now = counts.nanos();
    boolean audit = target.auditStatements() != DatabaseTarget.AuditStatements.OFF;
    switch (cmd) {
      case MyPackets.COM_QUIT -> {
        forward(f);
        shut("client_closed", null);
      }
      case MyPackets.COM_QUERY -> {
        String t = text(f);
        if (otherSchema(useTarget(t))) {
          refuseCommand(f, MyPackets.ER_DBACCESS_DENIED, "42000", "curfew: this gateway serves only the database '" + target.database() + "'");
          return;
        }
        MyKill kill = MyKill.read(t);
        if (kill != null) {
          kill(f, kill, t, now);
          return;
        }
        boolean showWarnings = responses.warningShown() && "show warnings".equals(normalized(t));
        if (!showWarnings) responses.forgetShownWarning();
        boolean active = !target.passiveStatements().contains(t);
        expect(f, MyResponses.Expected.of(MyResponses.Kind.RESULT, t, active, audit, showWarnings, now));
      }
      case MyPackets.COM_STMT_PREPARE -> {
        responses.forgetShownWarning();
        String t = text(f);
        if (MyKill.read(t) != null) { // EXECUTE would run it upstream
          refuseCommand(f, MyPackets.ER_NOT_SUPPORTED_YET, "42000",
              "curfew: the gateway does not take KILL as a prepared statement; send KILL [QUERY] <connection id> as a query");
          return;
        }
        expect(f, MyResponses.Expected.of(MyResponses.Kind.PREPARE, t, !target.passiveStatements().contains(t), false, false, now));
      }
      case MyPackets.COM_STMT_EXECUTE -> {
        responses.forgetShownWarning();
        String t = statements.get(statementId(f));
        boolean active = !(t != null && target.passiveStatements().contains(t));
        expect(f, MyResponses.Expected.of(MyResponses.Kind.RESULT, t == null ? "" : t, active, audit, false, now));
      }
      case MyPackets.COM_INIT_DB -> {
        if (otherSchema(text(f))) {
          refuseCommand(f, MyPackets.ER_DBACCESS_DENIED, "42000", "curfew: this gateway serves only the database '" + target.database() + "'");
          return;
        }
        expect(f, MyResponses.Expected.of(MyResponses.Kind.SINGLE, null, false, false, false, now));
      }
      case MyPackets.COM_STMT_CLOSE -> {
        statements.remove(statementId(f));
        forward(f);
      }
      case MyPackets.COM_STMT_SEND_LONG_DATA -> forward(f);
      case MyPackets.COM_STMT_FETCH, MyPackets.COM_FIELD_LIST ->
          expect(f, MyResponses.Expected.of(MyResponses.Kind.ROWS, null, false, false, false, now));
      case MyPackets.COM_PROCESS_INFO -> expect(f, MyResponses.Expected.of(MyResponses.Kind.RESULT, null, false, false, false, now));
      case MyPackets.COM_RESET_CONNECTION -> {
        statements.clear();
        expect(f, MyResponses.Expected.of(MyResponses.Kind.SINGLE, null, false, false, false, now));
      }
      case MyPackets.COM_PROCESS_KILL -> {
        // The protocol's KILL CONNECTION (MySQL "COM_PROCESS_KILL": the command byte, a 4-byte id).
        long id = Math.max(statementId(f), 0);
        kill(f, new MyKill(false, Long.toString(id), null), "KILL CONNECTION " + id, now);
      }
      case MyPackets.COM_PING, MyPackets.COM_STATISTICS, MyPackets.COM_STMT_RESET, MyPackets.COM_SET_OPTION,
          MyPackets.COM_REFRESH, MyPackets.COM_DEBUG ->
          expect(f, MyResponses.Expected.of(MyResponses.Kind.SINGLE, null, false, false, false, now));
      case MyPackets.COM_CHANGE_USER -> {
        // Another login on this connection would bypass the token: refused, and the connection ends.
        write(MyPackets.err(f.seq() + 1, MyPackets.ER_ACCESS_DENIED, "28000", "curfew: COM_CHANGE_USER is not allowed; open a new connection"));
        if (responses.inFlight()) killQuery();
        shut("error", Map.of("detail", "change_user"));
      }
      default -> refuseCommand(f, MyPackets.ER_UNKNOWN_COM, "08S01", "curfew: command 0x" + Integer.toHexString(Math.max(cmd, 0))
          + " is not relayed by the gateway");
    }
  }

  private void expect(Frame f, MyResponses.Expected e) {
    e.seq = f.seq();
    responses.expect(e);
    forward(f);
    if (e.active) timers.startBusy(status);
  }

  private void forward(Frame f) {
    toUpstream(f.raw());
  }

  /** The gateway's own error for one command, in its turn among the responses owed. */
  private void refuseCommand(Frame f, int code, String sqlstate, String message) {
    answer(MyPackets.err(f.seq() + 1, code, sqlstate, message));
  }

  /** The gateway's own answer to one command, in its turn among the responses owed. */
  private void answer(Buffer packet) {
    responses.expect(MyResponses.Expected.local(packet));
    if (!upstreamScanner.midPacket()) {
      Buffer b = responses.takeLocal();
      if (b != null) write(b);
    }
  }

  // ------------------------------------------------------------------ KILL

  /**
   * A client's KILL, answered here and never relayed. An id the greeting gave a live connection of
   * this same session gets what the server would do: its statement killed upstream (its own {@code
   * KILL QUERY} with Curfew's login, as when a session ends) or, for KILL CONNECTION, the
   * connection ended; then an OK. The same session, not the same subject: a subject's other
   * session is another holder (another window, another agent), whose work is not this holder's to
   * stop. Any other id, another session's included, is the server's answer to an id it does not
   * know (MariaDB Error Codes: 1094, ER_NO_SUCH_THREAD, SQLSTATE HY000, "Unknown thread id: %lu"),
   * so the ids tell nothing of other sessions. Recorded as statement.executed, as any COM_QUERY.
   */
  private void kill(Frame f, MyKill k, String text, long startNanos) {
    responses.forgetShownWarning();
    int seq = f.seq() + 1;
    if (k.refused() != null) {
      answer(MyPackets.err(seq, MyPackets.ER_NOT_SUPPORTED_YET, "42000", "curfew: the gateway does not take "
          + k.refused() + "; send KILL [QUERY] <connection id> as a statement of its own"));
      killRecorded(text, startNanos, false, "refused", null);
      return;
    }
    String kind = k.query() ? "query" : "connection";
    MyConnection victim = gateway.ids.get(k.idValue());
    if (victim == null || !victim.killableIn(sessionId)) {
      answer(MyPackets.err(seq, MyPackets.ER_NO_SUCH_THREAD, "HY000", "Unknown thread id: " + k.id()));
      killRecorded(text, startNanos, false, kind, null);
      return;
    }
    if (victim == this) { // as the server answers a KILL of the connection that sends it
      killRecorded(text, startNanos, false, kind, connectionId);
      if (k.query()) {
        if (responses.inFlight()) killQuery(); // what the client sent before the KILL
        answer(MyPackets.err(seq, MyPackets.ER_QUERY_INTERRUPTED, "70100", "Query execution was interrupted"));
      } else {
        killedBy(false, connectionId);
      }
      return;
    }
    victim.killedBy(k.query(), connectionId);
    answer(MyPackets.ok(seq, responses.state()));
    killRecorded(text, startNanos, true, kind, victim.connectionId);
  }

  /** Whether a KILL from a connection of {@code session} may reach this one. */
  private boolean killableIn(String session) {
    String s = killableSession;
    return s != null && s.equals(session);
  }

  /**
   * A KILL from connection {@code by} of the same session: the running statement is killed
   * upstream; for KILL CONNECTION the connection ends as the server ends a killed one (1927,
   * ER_CONNECTION_KILLED), with {@code connection.closed} {@code why: client_closed}, {@code detail:
   * kill_connection} and {@code killed_by}. Called from any event loop.
   */
  private void killedBy(boolean queryOnly, String by) {
    context.runOnContext(v -> {
      if (state != State.RELAY) return;
      if (queryOnly) {
        if (responses.inFlight()) killQuery();
        return;
      }
      Map<String, Object> extra = new LinkedHashMap<>();
      extra.put("detail", "kill_connection");
      extra.put("killed_by", by);
      endBetweenPackets(() -> endWith(MyPackets.ER_CONNECTION_KILLED, "70100", "curfew: connection killed (KILL CONNECTION)",
          "client_closed", extra));
    });
  }

  /**
   * {@code statement.executed} for a KILL (unless {@code audit_statements: off}), as for any COM_QUERY,
   * with {@code kill} ({@code query}, {@code connection}, {@code refused}) and, when it reached a
   * connection, {@code killed_connection_id}.
   */
  private void killRecorded(String text, long startNanos, boolean ok, String kind, String killed) {
    if (target.auditStatements() == DatabaseTarget.AuditStatements.OFF) return;
    Map<String, Object> data = records.statement(text, counts.millisSince(startNanos), ok ? "ok" : "error");
    data.put("kill", kind);
    if (killed != null) data.put("killed_connection_id", killed);
    gateway.access().record(sessionId, RecordTypes.STATEMENT_EXECUTED, data);
  }

  private boolean otherSchema(String schema) {
    return schema != null && target.database() != null && !target.database().equals(schema);
  }

  /** The schema of a {@code USE} statement, or null when the text is not one. */
  private static String useTarget(String text) {
    int start = 0;
    while (start < text.length() && Character.isWhitespace(text.charAt(start))) start++;
    if (!text.regionMatches(true, start, "use", 0, 3)) return null; // most statements: no pattern run
    Matcher m = USE.matcher(text);
    return m.matches() ? m.group(1) : null;
  }

  private static String normalized(String text) {
    String t = text.strip();
    while (t.endsWith(";")) t = t.substring(0, t.length() - 1).strip();
    return t.replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
  }

  private static long statementId(Frame f) {
    return f.payload().length() >= 5 ? f.payload().getUnsignedIntLE(1) : -1;
  }

  @Override
  protected void storeUnavailable() {
    endNow(null, MyPackets.ER_SERVER_SHUTDOWN, "08S01", "curfew: the session store cannot be reached; the connection is closed");
  }

  @Override
  protected void endNow(EndReason reason) {
    endNow(reason, 0, null, null);
  }

  @Override
  public boolean relaying() {
    return state == State.RELAY;
  }

  /** An active statement is still running: that keeps the session active (spec: busy is activity). */
  @Override
  public boolean busy() {
    return responses.activeInFlight();
  }

  @Override
  public void ended(EndReason reason) {
    end(reason);
  }

  // ------------------------------------------------------------------ the relay, upstream side

  private void fromUpstream(Buffer chunk) {
    if (state != State.RELAY) return;
    upstreamScanner.scan(chunk, responses::packet, this::write);
    if (state != State.RELAY) return;
    if (!upstreamScanner.midPacket()) {
      Buffer local = responses.takeLocal();
      if (local != null) write(local);
      if (pendingEnd != null) {
        Runnable r = pendingEnd;
        pendingEnd = null;
        r.run();
        return;
      }
    }
    timers.clientWritten(client, upstream.socket());
  }

  @Override
  public void stalled() {
    killQuery();
    shut("error", Map.of("detail", "client_not_reading"));
  }


  @Override
  public void done(MyResponses.Expected e, boolean ok) {
    statementRecorded(e, ok ? "ok" : "error");
  }

  /** Statements relayed and not answered when the connection ends. */
  @Override
  protected void unanswered() {
    if (responses == null) return;
    for (MyResponses.Expected e : responses.takeUnanswered()) statementRecorded(e, CANCELLED);
  }

  private void statementRecorded(MyResponses.Expected e, String outcome) {
    if (!e.audited) return;
    gateway.access().record(sessionId, RecordTypes.STATEMENT_EXECUTED,
        records.statement(e.text, counts.millisSince(e.startNanos), outcome));
  }

  @Override
  public void prepared(long statementId, String text) {
    statements.put(statementId, text);
  }

  private void upstreamClosed() {
    if (state == State.CLOSED) return;
    shut("upstream_closed", null);
  }

  // ================================================================== session events

  @Override
  public void warn(long expiresAtMs, long secondsLeft) {
    context.runOnContext(v -> {
      if (state == State.RELAY) responses.warn(SessionNotices.warning(status, expiresAtMs, secondsLeft));
    });
  }

  @Override
  public void extended() {
    context.runOnContext(v -> responses.forgetWarning());
  }

  @Override
  public void end(EndReason reason) {
    context.runOnContext(v -> {
      if (state == State.CLOSED) return;
      if (state != State.RELAY) { // ended while logging in: the client is not in yet
        refuse(reason.wire(), endCode(reason), endState(reason), SessionNotices.ended(reason));
        return;
      }
      endBetweenPackets(() -> endNow(reason, 0, null, null));
    });
  }

  /** Ends now, or, while a packet is half relayed, right after it: bounded, so that a stalled upstream cannot hold the end. */
  private void endBetweenPackets(Runnable ending) {
    if (!upstreamScanner.midPacket()) {
      ending.run();
      return;
    }
    pendingEnd = ending;
    killQuery();
    gateway.vertx().setTimer(200, id -> {
      Runnable r = pendingEnd;
      pendingEnd = null;
      if (r != null) r.run();
    });
  }

  /** Server shutdown. */
  void shutdown() {
    context.runOnContext(v -> {
      if (state != State.CLOSED) endNow(null, MyPackets.ER_SERVER_SHUTDOWN, "08S01", "curfew: the gateway is shutting down");
    });
  }

  private static int endCode(EndReason reason) {
    return reason == EndReason.IDLE_TIMEOUT ? MyPackets.ER_CLIENT_INTERACTION_TIMEOUT : MyPackets.ER_CONNECTION_KILLED;
  }

  private static String endState(EndReason reason) {
    return reason == EndReason.IDLE_TIMEOUT ? "HY000" : "70100";
  }

  /**
   * Ends the connection now: error 4031 for an idle timeout, 1927 otherwise
   * (spec/protocol-gateways.md), message {@code curfew: session ended (REASON)}; a statement in
   * flight is killed upstream ({@code KILL QUERY} on a connection of its own). In the middle of a
   * response the error takes the response's next sequence id; between commands it takes 1, the
   * id that answers the client's next command.
   */
  private void endNow(EndReason reason, int code, String sqlstate, String message) {
    if (reason != null) {
      code = endCode(reason);
      sqlstate = endState(reason);
      message = SessionNotices.ended(reason);
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    if (reason != null) extra.put("reason", reason.wire());
    endWith(code, sqlstate, message, reason != null ? "session_ended" : "error", extra);
  }

  /** The error, the statement in flight killed upstream, both sides closed, {@code connection.closed} with {@code why}. */
  private void endWith(int code, String sqlstate, String message, String why, Map<String, Object> extra) {
    if (state == State.CLOSED) return;
    pendingEnd = null;
    boolean inFlight = responses != null && responses.inFlight();
    if (inFlight) killQuery();
    write(MyPackets.err(inFlight ? responses.nextSeq() : 1, code, sqlstate, message));
    shut(why, extra);
  }

  /** {@code KILL QUERY} of the upstream thread, on a connection of its own with Curfew's credentials. */
  private void killQuery() {
    if (upstream == null) return;
    long thread = upstream.greeting().connectionId();
    MyUpstreamLogin.login(gateway.upstreamClient(), gateway.upstreamTls(), target,
        MyPackets.CLIENT_PROTOCOL_41 | MyPackets.CLIENT_TRANSACTIONS, 1 << 24, MyPackets.UTF8MB4_GENERAL_CI, null, null)
        .onComplete(ar -> {
          if (ar.failed()) {
            LOG.log(System.Logger.Level.WARNING, connectionId + ": KILL QUERY " + thread + " not sent: " + ar.cause().getMessage());
            return;
          }
          NetSocket s = ar.result().socket();
          s.handler(answer -> s.write(Buffer.buffer(COM_QUIT_PACKET)).onComplete(x -> s.close()));
          s.resume();
          Buffer q = Buffer.buffer().appendByte((byte) MyPackets.COM_QUERY).appendString("KILL QUERY " + thread, "US-ASCII");
          s.write(MyPackets.packet(0, q));
        });
  }

  // ================================================================== endings

  private void protocolViolation(String detail) {
    boolean tooLarge = detail.startsWith("packet too large");
    int code = tooLarge ? MyPackets.ER_NET_PACKET_TOO_LARGE : MyPackets.ER_HANDSHAKE;
    if (state == State.RELAY) {
      write(MyPackets.err(lastClientSeq + 1, code, "08S01", "curfew: " + detail));
      if (responses.inFlight()) killQuery();
      shut("error", Map.of("detail", detail));
    } else {
      refuse("bad_frame", code, "08S01", "curfew: " + detail, Map.of("detail", detail));
    }
  }

  private void refuse(String why, int code, String sqlstate, String message) {
    refuse(why, code, sqlstate, message, Map.of());
  }

  /** Turns the client away before it is in: the record is durable before the client hears why. */
  private void refuse(String why, int code, String sqlstate, String message, Map<String, Object> extra) {
    refuse(why, MyPackets.err(lastClientSeq + 1, code, sqlstate, message), extra);
  }

  /** The client's side closed. */
  private void closed() {
    if (state == State.CLOSED) return;
    if (state != State.RELAY) {
      refuseQuietly("client_closed", "the client closed the connection during login");
      return;
    }
    if (responses.inFlight()) killQuery();
    shut("client_closed", null);
  }

  @Override
  protected NetSocket upstreamSocket() {
    return upstream == null ? null : upstream.socket();
  }

  @Override
  protected Buffer goodbye() {
    return Buffer.buffer(COM_QUIT_PACKET);
  }

  @Override
  protected boolean markClosed() {
    if (state == State.CLOSED) return false;
    state = State.CLOSED;
    return true;
  }

  @Override
  protected void forgotten() {
    killableSession = null;
    gateway.ids.release(greetedId, this);
  }
}

package dev.curfew.gateway.postgres;

import dev.curfew.core.EndReason;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.gateway.db.ClientTls;
import dev.curfew.gateway.db.DatabaseTarget;
import dev.curfew.gateway.db.RelayedConnection;
import dev.curfew.gateway.db.LoginGuard;
import dev.curfew.gateway.db.SessionAccess;
import dev.curfew.gateway.db.SessionNotices;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One client connection through the gateway, on one event loop: the startup and login, then the
 * relay. Client messages are read only as far as the idle clock and the audit need (Query, Parse,
 * Bind, Execute, Sync and their names and texts); upstream messages only by their type byte (to
 * know when a statement is done). Bytes are relayed as they came, except that the gateway writes
 * its own authentication exchange, BackendKeyData, warnings and the final error.
 *
 * <p>Activity: a {@code Query} whose text is not a passive statement, an {@code Execute} of such a
 * statement, or a {@code FunctionCall}, is checked with the store (touching) before it is relayed;
 * a passive one is checked without touching. While a statement runs (from a Query or Sync to the
 * upstream's ReadyForQuery) the session is touched periodically, so that a long query is not idle.
 */
final class PgConnection extends RelayedConnection<PgConnection.ClientFrame> {
  private static final System.Logger LOG = System.getLogger(PgConnection.class.getName());

  private enum State { STARTUP, PASSWORD, CONNECTING, RELAY, CLOSED }

  /** A client message decoded from one chunk, with where it ends in that chunk. */
  record ClientFrame(char type, int bodyBytes, Buffer body, int endInChunk) {}

  /** A statement sent upstream and not yet answered, for its {@code statement.executed} record. */
  private static final class Pending {
    final String text;
    final boolean simple; // a Query (answered by ReadyForQuery) rather than an Execute
    final long startNanos;
    boolean failed;
    boolean relayed; // admitted by the store and sent upstream (not refused because the session ended)

    Pending(String text, boolean simple, long startNanos) {
      this.text = text;
      this.simple = simple;
      this.startNanos = startNanos;
    }
  }

  private final PgGateway gateway;
  private final PgFrameDecoder clientDecoder;
  private final PgFrameDecoder upstreamDecoder = new PgFrameDecoder(false, Integer.MAX_VALUE, PgFrameDecoder.KeepBody.NONE);

  private State state = State.STARTUP;
  private boolean tls;
  private Map<String, String> startupParameters;
  private String database;
  private UpstreamLogin.Upstream upstream;
  private long cancelKey = -1;

  // relay state
  private Buffer heldChunk; // the chunk whose messages are being relayed, forwarded up to forwardedTo
  private int forwardedTo;
  private int readiesExpected; // ReadyForQuery messages the upstream still owes: > 0 while a statement runs
  /**
   * The answers the upstream owes, in order, each by the type of the message that completes it
   * ('1' Parse, '2' Bind, 'T' Describe (or 'n'), 'C' Execute (or 'I', 's'), '3' Close, 'Z' Sync,
   * Query and FunctionCall): what a Flush without Sync leaves the client waiting for.
   */
  private final ArrayDeque<Character> owed = new ArrayDeque<>();
  private int flushedOwed; // how many of the first answers owed the client flushed and waits for
  private Buffer pendingNotice;
  private EndReason pendingEnd;
  private final Map<String, String> statements = new HashMap<>();
  private final Map<String, String> portals = new HashMap<>();
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();

  PgConnection(PgGateway gateway, NetSocket client) {
    super(gateway, client, "postgres", "pg");
    this.gateway = gateway;
    // Until the client is logged in, PostgreSQL's own bound on a login message, not the relay's.
    this.clientDecoder = new PgFrameDecoder(true,
        Math.min(PgFrameDecoder.MAX_LOGIN_BODY_BYTES, gateway.settings().maxFrameBytes()), t -> t != 'd');
  }

  void start() {
    client.setWriteQueueMaxSize(gateway.settings().writeQueueBytes());
    client.handler(this::fromClient);
    client.closeHandler(v -> closed("client_closed", null));
    client.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, connectionId + ": client: " + e));
    timers.startStartup();
  }

  @Override
  public void startupTimedOut() {
    if (state == State.STARTUP || state == State.PASSWORD || state == State.CONNECTING) {
      refuse("startup_timeout", "08P01", "curfew: the login did not finish within "
          + gateway.settings().startupTimeout().toSeconds() + " s");
    }
  }

  // ================================================================== client → gateway

  private void fromClient(Buffer chunk) {
    if (state == State.CLOSED) return;
    counts.in(chunk.length());
    if (tls && state == State.STARTUP && !ClientTls.started(client)) {
      // Read after the 'S' went out but before the TLS handler was in place: sent in clear.
      unencryptedAfterTlsRequest();
      return;
    }
    List<ClientFrame> frames = new ArrayList<>();
    try {
      clientDecoder.decode(chunk, (type, bodyBytes, body, end) -> {
        frames.add(new ClientFrame(type, bodyBytes, body, end));
        // A StartupMessage ends the typeless phase at once: the bytes after it carry type bytes.
        if (type == PgFrameDecoder.STARTUP && state == State.STARTUP && startupEnds(body)) clientDecoder.startupDone();
        return true;
      });
    } catch (PgFrameDecoder.FrameException e) {
      protocolViolation(e.getMessage());
      return;
    }
    if (state == State.RELAY) {
      heldChunk = chunk;
      forwardedTo = 0;
      relay(frames);
      return;
    }
    for (int i = 0; i < frames.size(); i++) {
      ClientFrame f = frames.get(i);
      if (state == State.CLOSED) return;
      if (answersTls(f) && (i + 1 < frames.size() || f.endInChunk() < chunk.length())) {
        unencryptedAfterTlsRequest();
        return;
      }
      try {
        login(f);
      } catch (PgFrameDecoder.FrameException e) {
        protocolViolation(e.getMessage());
        return;
      }
    }
  }

  /** Whether {@code f} is an SSLRequest this gateway will answer with {@code 'S'}. */
  private boolean answersTls(ClientFrame f) {
    return state == State.STARTUP && !tls && gateway.tls != null && f.type() == PgFrameDecoder.STARTUP
        && f.body().length() >= 4 && f.body().getInt(0) == PgMessages.SSL_REQUEST;
  }

  /**
   * Bytes that came with the SSLRequest, before the TLS handshake, were not encrypted and may have
   * been put there by someone in the middle: refused unread, as PostgreSQL does since 14.1 / 13.5
   * (CVE-2021-23214, https://www.postgresql.org/support/security/CVE-2021-23214/). The error, in
   * clear, is PostgreSQL's own words; a client that waits for the answer as it should never sees it.
   */
  private void unencryptedAfterTlsRequest() {
    refuse("plaintext_after_tls_request", "08P01", "curfew: received unencrypted data after SSL request");
  }

  private static boolean startupEnds(Buffer body) {
    if (body.length() < 4) return false;
    int code = body.getInt(0);
    return code != PgMessages.SSL_REQUEST && code != PgMessages.GSSENC_REQUEST && code != PgMessages.CANCEL_REQUEST;
  }

  // ------------------------------------------------------------------ startup and login

  private void login(ClientFrame f) throws PgFrameDecoder.FrameException {
    switch (state) {
      case STARTUP -> startup(StartupPacket.parse(f.body()));
      case PASSWORD -> {
        if (f.type() != 'p') {
          refuse("protocol_violation", "08P01", "curfew: expected a password message");
          return;
        }
        String password = PgMessages.cstringAt(f.body(), 0);
        state = State.CONNECTING;
        client.pause();
        checkToken(password);
      }
      default -> refuse("protocol_violation", "08P01", "curfew: unexpected message during login");
    }
  }

  private void startup(StartupPacket p) {
    if (p.sslRequest()) {
      if (tls || gateway.tls == null) {
        client.write(Buffer.buffer(new byte[] {'N'}));
        return;
      }
      // The 'S' goes in clear, then the TLS handler is put in place before reading on: from here
      // every byte of the client's is read through TLS (or the handshake fails and it is cut).
      // Marked now, not when the handshake's completion is reported, which may come after the
      // startup packet that followed it.
      tls = true;
      tlsStarting(gateway.tls.answerThenStart(client, Buffer.buffer(new byte[] {'S'})));
      return;
    }
    if (p.gssEncRequest()) {
      client.write(Buffer.buffer(new byte[] {'N'})); // GSSAPI encryption is not offered
      return;
    }
    if (p.cancelRequest()) {
      PgConnection c = gateway.byCancelKey(p.processId(), p.secretKey());
      if (c != null) c.cancelFromClient();
      state = State.CLOSED; // a cancel connection carries nothing else (55.2.8); no record: cancels are passive
      timers.cancelStartup();
      client.close();
      return;
    }
    if (!p.protocol3()) {
      refuse("unsupported_protocol", "0A000", "curfew: unsupported frontend protocol " + (p.code() >>> 16) + "."
          + (p.code() & 0xffff) + ": this gateway speaks 3.0");
      return;
    }
    if (gateway.target().tls() != null && gateway.target().tls().require() && !tls) {
      refuse("tls_required", "28000", "curfew: this database requires TLS (connect with sslmode=require)");
      return;
    }
    startupParameters = p.parameters();
    String user = p.parameters().get("user");
    if (user == null || user.isEmpty()) {
      refuse("protocol_violation", "28000", "curfew: no user name in the startup packet");
      return;
    }
    database = p.parameters().getOrDefault("database", user);
    if (database.isEmpty()) database = user;
    if (target.database() != null && !target.database().equals(database)) {
      refuse("wrong_database", "3D000", "curfew: this gateway serves only the database \"" + target.database() + "\"");
      return;
    }
    if (p.minorVersion() > 0) client.write(PgMessages.negotiateProtocolVersion(0, List.of()));
    state = State.PASSWORD;
    client.write(PgMessages.authentication(PgMessages.AUTH_CLEARTEXT));
  }

  private void checkToken(String presented) {
    gateway.access().login(presented, startupParameters.get("user"), records.clientAddress()).whenComplete((login, e) -> context.runOnContext(v -> {
      if (state == State.CLOSED) return;
      if (e != null || login == null) {
        refuse(SessionAccess.UNAVAILABLE, "57P03", "curfew: the session store cannot be reached");
        return;
      }
      sessionId = login.sessionId();
      switch (login.why() == null ? "" : login.why()) {
        case "" -> {
          token = presented;
          status = login.status();
          gateway.connections.add(sessionId, this);
          connectUpstream();
        }
        case SessionAccess.UNAVAILABLE -> refuse(login.why(), "57P03", "curfew: the session store cannot be reached");
        // The address presented too many unknown tokens: refused before this one was looked at
        // (53300 too_many_connections, PostgreSQL's Appendix A "PostgreSQL Error Codes", class 53).
        case LoginGuard.RATE_LIMITED -> refuse(login.why(), "53300", SessionNotices.rateLimited(login.limited()),
            SessionNotices.rateLimitedRecord(login.limited()));
        case SessionAccess.WRONG_SUBJECT -> refuse(login.why(), "28000", "curfew: the user name must be the session's subject");
        case SessionAccess.WRONG_POLICY -> refuse(login.why(), "28000",
            SessionNotices.policyRefused(target.policy(), login.status().policy()));
        default -> refuse(login.why(), "28P01", SessionNotices.tokenRefused(login.why()));
      }
    }));
  }

  private void connectUpstream() {
    UpstreamLogin.login(gateway.upstreamClient(), gateway.upstreamTls(), target, database, startupParameters,
            gateway.random())
        .onComplete(ar -> {
          if (state == State.CLOSED) {
            if (ar.succeeded()) ar.result().socket().close();
            return;
          }
          if (ar.failed()) {
            String sqlstate = ar.cause() instanceof UpstreamLogin.Failed f ? f.sqlstate : "08006";
            refuse("upstream_error", sqlstate, "curfew: the database refused the gateway's login",
                Map.of("detail", String.valueOf(ar.cause().getMessage())));
            return;
          }
          upstream = ar.result();
          Map<String, Object> data = records.opened(tls);
          data.put("database", database);
          // The opening is on record before the client is told it is in (fail closed).
          gateway.access().record(sessionId, RecordTypes.CONNECTION_OPENED, data)
              .whenComplete((ok, e) -> context.runOnContext(v -> {
                if (state == State.CLOSED) return;
                if (e != null) {
                  refuse("unavailable", "57P03", "curfew: the audit log cannot be written");
                } else {
                  opened();
                }
              }));
        });
  }

  private void opened() {
    timers.cancelStartup();
    cancelKey = gateway.registerCancelKey(this);
    Buffer out = Buffer.buffer().appendBuffer(PgMessages.authentication(PgMessages.AUTH_OK));
    for (Buffer s : upstream.parameterStatus()) out.appendBuffer(s);
    out.appendBuffer(upstream.notices());
    out.appendBuffer(PgMessages.backendKeyData((int) (cancelKey >>> 32), (int) cancelKey));
    out.appendBuffer(PgMessages.readyForQuery('I'));
    state = State.RELAY;
    clientDecoder.limit(gateway.settings().maxFrameBytes());
    NetSocket up = upstream.socket();
    up.setWriteQueueMaxSize(gateway.settings().writeQueueBytes());
    up.handler(this::fromUpstream);
    up.closeHandler(v -> upstreamClosed());
    up.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, connectionId + ": upstream: " + e));
    up.resume();
    write(out);
    client.resume();
  }

  // ------------------------------------------------------------------ the relay, client side

  @Override
  protected Boolean classify(ClientFrame f) {
    try {
      return read(f);
    } catch (PgFrameDecoder.FrameException e) {
      protocolViolation(e.getMessage());
      return null;
    }
  }

  /** Holds this message (and what follows) until the store answers: what precedes it goes now. */
  @Override
  protected void beforeWaiting(ClientFrame f) {
    flushUpstream(f.endInChunk() - Math.min(f.endInChunk(), f.bodyBytes() + 5));
  }

  @Override
  protected void chunkRelayed() {
    flushUpstream(heldChunk.length());
    heldChunk = null;
  }

  /**
   * Reads what the idle clock and the audit need of one client message. Null: no check; true: an
   * active message (check and touch); false: passive but still checked (it reaches the database).
   */
  private Boolean read(ClientFrame f) throws PgFrameDecoder.FrameException {
    switch (f.type()) {
      case 'Q' -> {
        String text = PgMessages.cstringAt(f.body(), 0);
        boolean passive = target.passiveStatements().contains(text);
        owed.add('Z');
        expectReady();
        if (target.auditStatements() != DatabaseTarget.AuditStatements.OFF) {
          pending.add(new Pending(text, true, counts.nanos()));
        }
        return !passive;
      }
      case 'P' -> {
        int nameEnd = PgMessages.nulAt(f.body(), 0);
        String name = f.body().getString(0, nameEnd, "UTF-8");
        statements.put(name, PgMessages.cstringAt(f.body(), nameEnd + 1));
        owed.add('1');
        return null;
      }
      case 'B' -> {
        int portalEnd = PgMessages.nulAt(f.body(), 0);
        String portal = f.body().getString(0, portalEnd, "UTF-8");
        portals.put(portal, statements.get(PgMessages.cstringAt(f.body(), portalEnd + 1)));
        owed.add('2');
        return null;
      }
      case 'E' -> {
        String text = portals.get(PgMessages.cstringAt(f.body(), 0));
        owed.add('C');
        if (target.auditStatements() != DatabaseTarget.AuditStatements.OFF) {
          pending.add(new Pending(text == null ? "" : text, false, counts.nanos()));
        }
        return !(text != null && target.passiveStatements().contains(text));
      }
      case 'C' -> {
        if (f.body().length() < 2) throw new PgFrameDecoder.FrameException("malformed Close message");
        String name = PgMessages.cstringAt(f.body(), 1);
        if (f.body().getByte(0) == 'S') statements.remove(name);
        else portals.remove(name);
        owed.add('3');
        return null;
      }
      case 'D' -> {
        owed.add('T');
        return null;
      }
      case 'S' -> {
        owed.add('Z');
        expectReady();
        return null;
      }
      case 'H' -> {
        // A Flush without Sync (pgjdbc's describe-only paths, a pipelining client): the client now
        // waits for everything owed so far, as after a Sync, though no ReadyForQuery will say when it is done.
        flushedOwed = owed.size();
        if (flushedOwed > 0) timers.startBusy(status);
        return null;
      }
      case 'F' -> {
        owed.add('Z');
        expectReady();
        return true;
      }
      default -> {
        return null;
      }
    }
  }

  /** After a message is admitted (its bytes go with the chunk's): a Terminate ends the connection once relayed. */
  @Override
  protected void relayFrame(ClientFrame f) {
    if ((f.type() == 'Q' || f.type() == 'E') && !pending.isEmpty()) pending.peekLast().relayed = true;
    if (f.type() == 'X') {
      flushUpstream(f.endInChunk());
      closed("client_closed", null);
    }
  }

  @Override
  protected void storeUnavailable() {
    endNow(null, "08006", "curfew: the session store cannot be reached; the connection is closed");
  }

  @Override
  protected void endNow(EndReason reason) {
    endNow(reason, null, null);
  }

  private void flushUpstream(int upTo) {
    if (heldChunk == null || upTo <= forwardedTo || state != State.RELAY) return;
    toUpstream(heldChunk.slice(forwardedTo, upTo));
    forwardedTo = upTo;
  }

  private void expectReady() {
    readiesExpected++;
    timers.startBusy(status);
  }

  /** Whether the client waits for work it started: a statement up to its ReadyForQuery, or flushed answers. */
  @Override
  public boolean busy() {
    return readiesExpected > 0 || flushedOwed > 0;
  }

  @Override
  public boolean relaying() {
    return state == State.RELAY;
  }

  @Override
  public void ended(EndReason reason) {
    endNow(reason, null, null);
  }

  // ------------------------------------------------------------------ the relay, upstream side

  private void fromUpstream(Buffer chunk) {
    if (state != State.RELAY) return;
    int[] boundary = {-1};
    try {
      upstreamDecoder.decode(chunk, (type, bodyBytes, body, end) -> {
        answered(type);
        if (pendingEnd != null && boundary[0] < 0) boundary[0] = end;
        return true;
      });
    } catch (PgFrameDecoder.FrameException e) {
      // The decoder bounds nothing upstream (Integer.MAX_VALUE); only a negative length lands here.
      endNow(null, "08P01", "curfew: the database sent a malformed message");
      return;
    }
    if (pendingEnd != null) {
      // The session ended while a message was half relayed: finish that message, then say why.
      if (boundary[0] >= 0) {
        write(chunk.slice(0, boundary[0]));
        EndReason r = pendingEnd;
        pendingEnd = null;
        endNow(r, null, null);
      } else {
        write(chunk);
      }
      return;
    }
    write(chunk);
    if (pendingNotice != null && !upstreamDecoder.midFrame()) {
      write(pendingNotice);
      pendingNotice = null;
    }
    timers.clientWritten(client, upstream.socket());
  }

  @Override
  public void stalled() {
    cancelUpstreamStatement();
    shut("error", Map.of("detail", "client_not_reading"));
  }


  /** Tracks statements by the upstream's answers (55.2.2 / 55.2.3). */
  private void answered(char type) {
    settle(type);
    switch (type) {
      case 'C', 'I', 's' -> {
        Pending p = pending.peek();
        if (p != null && !p.simple) statementDone(pending.poll(), "ok");
      }
      case 'E' -> {
        Pending p = pending.peek();
        if (p != null) {
          p.failed = true;
          if (!p.simple) statementDone(pending.poll(), "error");
        }
      }
      case 'Z' -> {
        // A simple Query is done; Executes skipped after an error (until Sync) never ran.
        while (!pending.isEmpty()) {
          Pending p = pending.peek();
          if (p.simple) {
            statementDone(pending.poll(), p.failed ? "error" : "ok");
            break;
          }
          pending.poll();
        }
        if (readiesExpected > 0) readiesExpected--;
      }
      default -> { }
    }
  }

  /**
   * Takes the answers the upstream just completed off {@link #owed}: one per completing message;
   * after an error, every extended-protocol answer up to the next Sync, since the server skips those
   * messages (55.2.3); at a ReadyForQuery, whatever it closes.
   */
  private void settle(char type) {
    switch (type) {
      case '1', '2', '3' -> settleIf(type);
      case 'Z' -> { // nothing before a ReadyForQuery is owed after it
        while (!owed.isEmpty() && owed.peek() != 'Z') settleIf(owed.peek());
        settleIf('Z');
      }
      case 'T', 'n' -> settleIf('T');
      case 'C', 'I', 's' -> settleIf('C');
      case 'E' -> {
        while (!owed.isEmpty() && owed.peek() != 'Z') settleIf(owed.peek());
      }
      default -> { }
    }
  }

  private void settleIf(char completes) {
    Character head = owed.peek();
    if (head == null || head != completes) return; // a Query's own 'T' and 'C', a COPY's: not owed one by one
    owed.poll();
    if (flushedOwed > 0) flushedOwed--;
  }

  private void statementDone(Pending p, String outcome) {
    gateway.access().record(sessionId, RecordTypes.STATEMENT_EXECUTED,
        records.statement(p.text, counts.millisSince(p.startNanos), outcome));
  }

  /** Statements relayed and not answered when the connection ends (a simple Query that already failed keeps its error). */
  @Override
  protected void unanswered() {
    for (Pending p : pending) {
      if (p.relayed) statementDone(p, p.failed ? "error" : CANCELLED);
    }
    pending.clear();
  }

  private void upstreamClosed() {
    if (state == State.CLOSED) return;
    shut("upstream_closed", null);
  }

  // ================================================================== session events

  @Override
  public void warn(long expiresAtMs, long secondsLeft) {
    context.runOnContext(v -> {
      if (state != State.RELAY) return;
      Buffer notice = PgMessages.noticeResponse("WARNING", "01000", SessionNotices.warning(status, expiresAtMs, secondsLeft));
      if (upstreamDecoder.midFrame()) {
        pendingNotice = notice; // written at the next message boundary, never inside a relayed message
      } else {
        write(notice);
      }
    });
  }

  @Override
  public void end(EndReason reason) {
    context.runOnContext(v -> {
      if (state == State.CLOSED) return;
      if (state != State.RELAY) { // ended while logging in: the client is not in yet
        refuse(reason.wire(), reason == EndReason.IDLE_TIMEOUT ? "57P05" : "57P01",
            SessionNotices.ended(reason));
        return;
      }
      if (state == State.RELAY && upstreamDecoder.midFrame()) {
        pendingEnd = reason;
        gateway.vertx().setTimer(200, id -> { // bound: a stalled upstream must not hold the end
          if (pendingEnd != null) endNow(pendingEnd, null, null);
        });
        return;
      }
      endNow(reason, null, null);
    });
  }

  /** Client sent a CancelRequest with this connection's key: passed on with the upstream's key. */
  void cancelFromClient() {
    context.runOnContext(v -> {
      if (state == State.RELAY) cancelUpstreamStatement();
    });
  }

  /** Server shutdown. */
  void shutdown() {
    context.runOnContext(v -> {
      if (state != State.CLOSED) endNow(null, "57P01", "curfew: the gateway is shutting down");
    });
  }

  /**
   * Ends the connection now: the protocol's FATAL error naming the reason (57P05 for an idle
   * timeout, 57P01 otherwise: spec/protocol-gateways.md), the statement in flight cancelled upstream.
   */
  private void endNow(EndReason reason, String sqlstate, String message) {
    if (state == State.CLOSED) return;
    pendingEnd = null;
    if (reason != null) {
      sqlstate = reason == EndReason.IDLE_TIMEOUT ? "57P05" : "57P01";
      message = SessionNotices.ended(reason);
    }
    if (busy()) cancelUpstreamStatement();
    write(PgMessages.errorResponse("FATAL", sqlstate, message));
    Map<String, Object> extra = new LinkedHashMap<>();
    if (reason != null) extra.put("reason", reason.wire());
    shut(reason != null ? "session_ended" : "error", extra);
  }

  private void cancelUpstreamStatement() {
    if (upstream == null) return;
    int pid = upstream.processId();
    int key = upstream.secretKey();
    UpstreamConnect.open(gateway.upstreamClient(), gateway.upstreamTls(), target).onSuccess(s -> {
      s.write(PgMessages.cancelRequest(pid, key)).onComplete(x -> s.close());
    });
  }

  // ================================================================== endings

  private void protocolViolation(String detail) {
    if (state == State.RELAY) {
      write(PgMessages.errorResponse("FATAL", "08P01", "curfew: " + detail));
      if (busy()) cancelUpstreamStatement();
      shut("error", Map.of("detail", detail));
    } else {
      refuse("bad_frame", "08P01", "curfew: " + detail, Map.of("detail", detail));
    }
  }

  private void refuse(String why, String sqlstate, String message) {
    refuse(why, sqlstate, message, Map.of());
  }

  /** Turns the client away before it is in: the record is durable before the client hears why. */
  private void refuse(String why, String sqlstate, String message, Map<String, Object> extra) {
    // Before the startup packet was read the client may not speak v3 at all; it still gets one.
    refuse(why, PgMessages.errorResponse("FATAL", sqlstate, message), extra);
  }

  /** The client's side closed (or a Terminate): tidy up, record once. */
  private void closed(String why, Map<String, Object> extra) {
    if (state == State.CLOSED) return;
    if (state != State.RELAY) {
      // Gone before being let in: a startup that never finished is still on record.
      refuseQuietly("client_closed", "the client closed the connection during login");
      return;
    }
    shut(why, extra);
  }

  @Override
  protected NetSocket upstreamSocket() {
    return upstream == null ? null : upstream.socket();
  }

  @Override
  protected Buffer goodbye() {
    return PgMessages.terminate();
  }

  @Override
  protected boolean markClosed() {
    if (state == State.CLOSED) return false;
    state = State.CLOSED;
    return true;
  }

  @Override
  protected void forgotten() {
    if (cancelKey >= 0) gateway.unregisterCancelKey(cancelKey);
  }
}

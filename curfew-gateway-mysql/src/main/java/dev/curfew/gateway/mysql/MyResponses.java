package dev.curfew.gateway.mysql;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The responses the upstream still owes, in command order, followed packet by packet (from the
 * packets' first bytes only, see {@link MyPacketScanner}) to know when each one ends. A command is
 * in flight from when it is relayed until its response's last packet: an OK or ERR, or the EOF /
 * OK that ends a result set without SERVER_MORE_RESULTS_EXISTS ("Text Resultset", "Binary
 * Protocol Resultset", "COM_STMT_PREPARE Response"; with CLIENT_DEPRECATE_EOF the EOF after the
 * column definitions is absent and rows end with an OK packet whose header is 0xFE).
 *
 * <p>Two things ride on that: the curfew warning, counted in the warning count of the next packet
 * that ends a response successfully (or of a COM_STMT_PREPARE OK), and, once it was counted, the
 * extra row of a following {@code SHOW WARNINGS} that names it. An answer the gateway gives itself
 * (a refused command) waits its turn in the same queue.
 *
 * <p>The status flags of the last OK or EOF are kept, so that an OK the gateway writes itself (a
 * KILL it took) tells the client the same transaction state as the server's would.
 */
final class MyResponses {
  /** How a response is framed. */
  enum Kind {
    /** COM_QUERY, COM_STMT_EXECUTE, COM_PROCESS_INFO: OK, ERR, or result sets. */
    RESULT,
    /** COM_STMT_FETCH, COM_FIELD_LIST: rows (or column definitions) up to an EOF / OK, or ERR. */
    ROWS,
    /** COM_STMT_PREPARE: its OK, parameter and column definitions, or ERR. */
    PREPARE,
    /** Everything else with an answer: one packet. */
    SINGLE,
    /** The gateway's own answer, written when every response before it is done. */
    LOCAL
  }

  private enum Step { FIRST, COLUMNS, COLUMNS_EOF, ROWS, PARAMS, PARAMS_EOF, STMT_COLUMNS, STMT_COLUMNS_EOF }

  /** One response owed. */
  static final class Expected {
    final Kind kind;
    final String text; // the statement (audit, prepared statements), or null
    final boolean active; // an active statement: its running keeps the session active
    final boolean audited;
    final boolean showWarnings; // a SHOW WARNINGS right after the curfew warning was counted
    final long startNanos;
    final Buffer local;
    /** The last sequence id of this exchange so far: the command's, then each response packet's. */
    int seq;
    private Step step = Step.FIRST;
    private long left;
    private int columns;

    private Expected(Kind kind, String text, boolean active, boolean audited, boolean showWarnings, long startNanos, Buffer local) {
      this.kind = kind;
      this.text = text;
      this.active = active;
      this.audited = audited;
      this.showWarnings = showWarnings;
      this.startNanos = startNanos;
      this.local = local;
    }

    static Expected of(Kind kind, String text, boolean active, boolean audited, boolean showWarnings, long startNanos) {
      return new Expected(kind, text, active, audited, showWarnings, startNanos, null);
    }

    static Expected local(Buffer answer) {
      return new Expected(Kind.LOCAL, null, false, false, false, 0, answer);
    }
  }

  /** What the connection learns from the responses. */
  interface Listener {
    void done(Expected e, boolean ok);

    void prepared(long statementId, String text);
  }

  private final ArrayDeque<Expected> owed = new ArrayDeque<>();
  private final boolean deprecateEof;
  private final Listener listener;
  private String warning; // the curfew warning not yet counted, or null
  private String shown; // the warning counted in the last response, for SHOW WARNINGS
  private int activeOwed;
  private int status;

  /** {@code status}: the flags of the upstream's login OK. */
  MyResponses(boolean deprecateEof, int status, Listener listener) {
    this.deprecateEof = deprecateEof;
    this.status = status;
    this.listener = listener;
  }

  /** The connection's state flags (autocommit, in transaction ...) as the upstream last told them. */
  int state() {
    return status & MyPackets.SERVER_STATUS_STATE;
  }

  void expect(Expected e) {
    owed.add(e);
    if (e.active) activeOwed++;
  }

  /** Takes the commands still owed an upstream response (the connection ends without it). */
  List<Expected> takeUnanswered() {
    List<Expected> left = new ArrayList<>();
    for (Expected e : owed) {
      if (e.kind != Kind.LOCAL) left.add(e);
    }
    owed.clear();
    activeOwed = 0;
    return left;
  }

  /** Whether an upstream response is owed (a statement runs, or a command waits for its answer). */
  boolean inFlight() {
    for (Expected e : owed) {
      if (e.kind != Kind.LOCAL) return true;
    }
    return false;
  }

  /** Whether an active statement runs. */
  boolean activeInFlight() {
    return activeOwed > 0;
  }

  /** The curfew warning, to be counted in the next response that ends well. */
  void warn(String message) {
    warning = message;
  }

  /** The session was extended: a warning not yet counted names a deadline that no longer holds. */
  void forgetWarning() {
    warning = null;
  }

  /** Whether the last response counted the curfew warning (a SHOW WARNINGS now gets its row). */
  boolean warningShown() {
    return shown != null;
  }

  /** Another command than SHOW WARNINGS: the warning was read or is gone with the next statement's diagnostics. */
  void forgetShownWarning() {
    shown = null;
  }

  /** The sequence id the gateway's own packet takes when it interrupts the response in flight. */
  int nextSeq() {
    for (Expected e : owed) {
      if (e.kind != Kind.LOCAL) return (e.seq + 1) & 0xff;
    }
    return 1;
  }

  /** Local answers now at the head of the queue, to be written in turn. */
  Buffer takeLocal() {
    Buffer out = null;
    while (!owed.isEmpty() && owed.peek().kind == Kind.LOCAL) {
      Buffer b = owed.poll().local;
      out = out == null ? b : Buffer.buffer().appendBuffer(out).appendBuffer(b);
    }
    return out;
  }

  /** A scanner sink: follows one upstream packet; may return a packet to relay before it. */
  Buffer packet(Buffer buf, int at, int payloadBytes, boolean continuation) {
    Buffer before = takeLocal();
    if (continuation) return before;
    Expected e = owed.peek();
    if (e == null) return before; // unsolicited (a server's own disconnect error): relayed as it is
    e.seq = buf.getUnsignedByte(at + 3);
    int p = at + 4;
    int end = p + Math.min(payloadBytes, MyPacketScanner.PREFIX_BYTES);
    int first = payloadBytes == 0 ? -1 : buf.getUnsignedByte(p);
    boolean terminator = first == 0xfe && payloadBytes < MyPackets.MAX_PACKET_PAYLOAD;
    Buffer extra = null;
    switch (e.step) {
      case FIRST -> {
        if (e.kind == Kind.SINGLE) {
          int w = first == 0x00 ? okWarningsAt(buf, p, end) : terminator ? eofWarningsAt(p, end) : -1;
          if (w > 0) noteStatus(buf, first == 0x00 ? w - 2 : w + 2);
          finish(e, first != 0xff, buf, w);
        } else if (e.kind == Kind.ROWS) {
          extra = row(e, buf, at, p, end, first, terminator);
        } else if (e.kind == Kind.PREPARE) {
          prepareOk(e, buf, p, end, first);
        } else if (first == 0x00) {
          int w = okWarningsAt(buf, p, end);
          if (w > 0) noteStatus(buf, w - 2);
          if (!more(buf, w - 2)) finish(e, true, buf, w);
        } else if (first == 0xff || first == 0xfb) { // ERR; 0xFB (LOCAL INFILE) is never offered
          finish(e, false, buf, -1);
        } else {
          int width = MyPackets.lenencWidth(buf, p);
          e.left = width == 0 || p + width > end ? 1 : MyPackets.lenencAt(buf, p);
          e.step = Step.COLUMNS;
        }
      }
      case COLUMNS -> {
        if (--e.left == 0) e.step = deprecateEof ? Step.ROWS : Step.COLUMNS_EOF;
      }
      case COLUMNS_EOF -> {
        if (first == 0xff) {
          finish(e, false, buf, -1);
        } else if (terminator && end - p >= 5 && (buf.getUnsignedShortLE(p + 3) & MyPackets.SERVER_STATUS_CURSOR_EXISTS) != 0) {
          noteStatus(buf, p + 3);
          finish(e, true, buf, p + 1); // a cursor was opened: the rows come with COM_STMT_FETCH
        } else {
          e.step = Step.ROWS;
        }
      }
      case ROWS -> extra = row(e, buf, at, p, end, first, terminator);
      case PARAMS -> {
        if (--e.left == 0) afterParams(e);
      }
      case PARAMS_EOF -> afterParamsEof(e);
      case STMT_COLUMNS -> {
        if (--e.left == 0) {
          if (deprecateEof) finish(e, true, buf, -1);
          else e.step = Step.STMT_COLUMNS_EOF;
        }
      }
      case STMT_COLUMNS_EOF -> finish(e, true, buf, -1);
      default -> { }
    }
    if (extra == null) return before;
    return before == null ? extra : Buffer.buffer().appendBuffer(before).appendBuffer(extra);
  }

  private Buffer row(Expected e, Buffer buf, int at, int p, int end, int first, boolean terminator) {
    if (first == 0xff) {
      finish(e, false, buf, -1);
      return null;
    }
    if (!terminator) return null; // a row
    int w = deprecateEof ? okWarningsAt(buf, p, end) : eofWarningsAt(p, end);
    int statusAt = deprecateEof ? w - 2 : (w < 0 ? -1 : w + 2);
    noteStatus(buf, statusAt);
    if (more(buf, statusAt)) {
      e.step = Step.FIRST;
      return null;
    }
    Buffer extra = null;
    if (e.showWarnings && shown != null) {
      // The curfew warning's row, just before the result's last packet, which moves one sequence id on.
      int seq = buf.getUnsignedByte(at + 3);
      extra = MyPackets.textRow(seq, "Warning", Integer.toString(MyPackets.CURFEW_WARNING_CODE), shown);
      buf.setByte(at + 3, (byte) (seq + 1));
      e.seq = (seq + 1) & 0xff;
    }
    finish(e, true, buf, w);
    return extra;
  }

  private void prepareOk(Expected e, Buffer buf, int p, int end, int first) {
    if (first != 0x00 || end - p < 9) {
      finish(e, false, buf, -1);
      return;
    }
    long id = buf.getUnsignedIntLE(p + 1);
    e.columns = buf.getUnsignedShortLE(p + 5);
    int params = buf.getUnsignedShortLE(p + 7);
    listener.prepared(id, e.text);
    if (end - p >= 12) countWarning(buf, p + 10);
    if (params > 0) {
      e.left = params;
      e.step = Step.PARAMS;
    } else {
      afterParamsEof(e);
    }
  }

  private void afterParams(Expected e) {
    if (deprecateEof) afterParamsEof(e);
    else e.step = Step.PARAMS_EOF;
  }

  private void afterParamsEof(Expected e) {
    if (e.columns > 0) {
      e.left = e.columns;
      e.step = Step.STMT_COLUMNS;
    } else {
      finish(e, true, null, -1);
    }
  }

  /** Where an OK packet's warning count sits (after two length-encoded integers and the status), or -1. */
  private static int okWarningsAt(Buffer buf, int p, int end) {
    int at = p + 1;
    for (int i = 0; i < 2; i++) {
      if (at >= end) return -1;
      int w = MyPackets.lenencWidth(buf, at);
      if (w == 0) return -1;
      at += w;
    }
    at += 2; // status flags
    return at + 2 <= end ? at : -1;
  }

  /** Where an EOF packet's warning count sits (0xFE, warnings, status), or -1. */
  private static int eofWarningsAt(int p, int end) {
    return end - p >= 5 ? p + 1 : -1;
  }

  /** Whether the status flags at {@code statusAt} say another result follows. */
  private static boolean more(Buffer buf, int statusAt) {
    return statusAt > 0 && (buf.getUnsignedShortLE(statusAt) & MyPackets.SERVER_MORE_RESULTS_EXISTS) != 0;
  }

  private void noteStatus(Buffer buf, int statusAt) {
    if (statusAt > 0) status = buf.getUnsignedShortLE(statusAt);
  }

  private void finish(Expected e, boolean ok, Buffer buf, int warningsAt) {
    owed.poll();
    if (e.active) activeOwed--;
    if (ok && buf != null && warningsAt > 0) countWarning(buf, warningsAt);
    listener.done(e, ok);
  }

  private void countWarning(Buffer buf, int warningsAt) {
    if (warning == null) return;
    int n = buf.getUnsignedShortLE(warningsAt);
    if (n < 0xffff) buf.setUnsignedShortLE(warningsAt, n + 1);
    shown = warning;
    warning = null;
  }
}

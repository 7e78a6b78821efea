package dev.curfew.gateway.mysql;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;

/**
 * The MySQL/MariaDB client/server protocol's constants and the few packets the gateway writes
 * itself. Sources: MySQL Source Code Documentation, "Client/Server Protocol" (dev.mysql.com/doc/
 * dev/mysql-server/latest/PAGE_PROTOCOL.html: "MySQL Packets", "Capabilities Flags",
 * "OK_Packet", "ERR_Packet", "EOF_Packet", "Protocol::HandshakeV10", "Protocol::AuthSwitchRequest",
 * "Text Resultset", "COM_STMT_PREPARE Response"), and MariaDB's "Clients & Connectors / Server
 * Protocol" pages (mariadb.com/kb/en/clientserver-protocol/), which describe the same packets.
 *
 * <p>A packet is a 3-byte little-endian payload length, a 1-byte sequence id, then the payload; a
 * payload of 2^24-1 bytes or more is split into packets of that size, ended by a shorter one.
 */
final class MyPackets {
  private MyPackets() {}

  /** The largest payload of one packet; a packet this long is continued by the next. */
  static final int MAX_PACKET_PAYLOAD = 0xFFFFFF;

  // Capability flags ("Capabilities Flags").
  static final int CLIENT_LONG_PASSWORD = 1;
  static final int CLIENT_FOUND_ROWS = 1 << 1;
  static final int CLIENT_LONG_FLAG = 1 << 2;
  static final int CLIENT_CONNECT_WITH_DB = 1 << 3;
  static final int CLIENT_LOCAL_FILES = 1 << 7;
  static final int CLIENT_IGNORE_SPACE = 1 << 8;
  static final int CLIENT_PROTOCOL_41 = 1 << 9;
  static final int CLIENT_INTERACTIVE = 1 << 10;
  static final int CLIENT_SSL = 1 << 11;
  static final int CLIENT_TRANSACTIONS = 1 << 13;
  static final int CLIENT_SECURE_CONNECTION = 1 << 15;
  static final int CLIENT_MULTI_STATEMENTS = 1 << 16;
  static final int CLIENT_MULTI_RESULTS = 1 << 17;
  static final int CLIENT_PS_MULTI_RESULTS = 1 << 18;
  static final int CLIENT_PLUGIN_AUTH = 1 << 19;
  static final int CLIENT_CONNECT_ATTRS = 1 << 20;
  static final int CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
  static final int CLIENT_SESSION_TRACK = 1 << 23;
  static final int CLIENT_DEPRECATE_EOF = 1 << 24;

  /**
   * What the gateway offers clients. Left out on purpose: compression (frames would no longer be
   * readable), LOCAL INFILE (the server would ask the client for a file through the gateway),
   * query attributes (MySQL 8.0.23's COM_QUERY prefix), MariaDB's extended capabilities (bulk
   * execute, metadata cache) and expired-password sandboxes. SSL is added when {@code tls} is set.
   */
  static final int OFFERED = CLIENT_LONG_PASSWORD | CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_CONNECT_WITH_DB
      | CLIENT_IGNORE_SPACE | CLIENT_PROTOCOL_41 | CLIENT_INTERACTIVE | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION
      | CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_PS_MULTI_RESULTS | CLIENT_PLUGIN_AUTH
      | CLIENT_CONNECT_ATTRS | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_SESSION_TRACK | CLIENT_DEPRECATE_EOF;

  /** Capabilities that change how responses are framed: client and upstream must agree on them. */
  static final int FRAMING = CLIENT_PROTOCOL_41 | CLIENT_DEPRECATE_EOF | CLIENT_SESSION_TRACK | CLIENT_MULTI_RESULTS
      | CLIENT_PS_MULTI_RESULTS | CLIENT_MULTI_STATEMENTS;

  // Server status flags ("SERVER_STATUS_flags_enum").
  static final int SERVER_STATUS_IN_TRANS = 0x0001;
  static final int SERVER_STATUS_AUTOCOMMIT = 0x0002;
  static final int SERVER_MORE_RESULTS_EXISTS = 0x0008;
  static final int SERVER_STATUS_CURSOR_EXISTS = 0x0040;
  static final int SERVER_STATUS_NO_BACKSLASH_ESCAPES = 0x0200;
  static final int SERVER_STATUS_IN_TRANS_READONLY = 0x2000;
  /**
   * The flags that describe the connection rather than one response: what an OK the gateway writes
   * itself repeats from the upstream's last one (Connector/J skips COMMIT when IN_TRANS is not set).
   */
  static final int SERVER_STATUS_STATE = SERVER_STATUS_IN_TRANS | SERVER_STATUS_AUTOCOMMIT
      | SERVER_STATUS_NO_BACKSLASH_ESCAPES | SERVER_STATUS_IN_TRANS_READONLY;

  // Commands ("Text Protocol", "Prepared Statements", "Utility Commands").
  static final int COM_SLEEP = 0x00;
  static final int COM_QUIT = 0x01;
  static final int COM_INIT_DB = 0x02;
  static final int COM_QUERY = 0x03;
  static final int COM_FIELD_LIST = 0x04;
  static final int COM_REFRESH = 0x07;
  static final int COM_STATISTICS = 0x09;
  static final int COM_PROCESS_INFO = 0x0a;
  static final int COM_PROCESS_KILL = 0x0c;
  static final int COM_DEBUG = 0x0d;
  static final int COM_PING = 0x0e;
  static final int COM_CHANGE_USER = 0x11;
  static final int COM_STMT_PREPARE = 0x16;
  static final int COM_STMT_EXECUTE = 0x17;
  static final int COM_STMT_SEND_LONG_DATA = 0x18;
  static final int COM_STMT_CLOSE = 0x19;
  static final int COM_STMT_RESET = 0x1a;
  static final int COM_SET_OPTION = 0x1b;
  static final int COM_STMT_FETCH = 0x1c;
  static final int COM_RESET_CONNECTION = 0x1f;

  // Error codes (MySQL Server Error Message Reference; MariaDB Error Codes).
  /** ER_DBACCESS_DENIED_ERROR, SQLSTATE 42000. */
  static final int ER_DBACCESS_DENIED = 1044;
  /** ER_ACCESS_DENIED_ERROR, SQLSTATE 28000. */
  static final int ER_ACCESS_DENIED = 1045;
  /** ER_HANDSHAKE_ERROR ("Bad handshake"), SQLSTATE 08S01. */
  static final int ER_HANDSHAKE = 1043;
  /** ER_UNKNOWN_COM_ERROR, SQLSTATE 08S01. */
  static final int ER_UNKNOWN_COM = 1047;
  /** ER_NET_PACKET_TOO_LARGE, SQLSTATE 08S01. */
  static final int ER_NET_PACKET_TOO_LARGE = 1153;
  /**
   * ER_CON_COUNT_ERROR ("Too many connections"), SQLSTATE 08004: a login from an address whose failed
   * logins are used up (MySQL 8.0 Server Error Message Reference; MariaDB Error Codes, 1040).
   */
  static final int ER_CON_COUNT = 1040;
  /** ER_CON_COUNT_ERROR's neighbour ER_SERVER_SHUTDOWN (1053, 08S01): the gateway is closing or the store is away. */
  static final int ER_SERVER_SHUTDOWN = 1053;
  /** ER_SECURE_TRANSPORT_REQUIRED (MySQL 5.7+), SQLSTATE HY000. */
  static final int ER_SECURE_TRANSPORT_REQUIRED = 3159;
  /** ER_NO_SUCH_THREAD, SQLSTATE HY000, "Unknown thread id: %lu" (MariaDB Error Codes, 1094): a KILL of an id not the session's. */
  static final int ER_NO_SUCH_THREAD = 1094;
  /** ER_QUERY_INTERRUPTED, SQLSTATE 70100, "Query execution was interrupted" (MariaDB Error Codes, 1317). */
  static final int ER_QUERY_INTERRUPTED = 1317;
  /** ER_NOT_SUPPORTED_YET, SQLSTATE 42000 (MariaDB Error Codes, 1235): a KILL form the gateway does not take. */
  static final int ER_NOT_SUPPORTED_YET = 1235;
  /** ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8.0.24+): spec/protocol-gateways.md's code for {@code idle_timeout}. */
  static final int ER_CLIENT_INTERACTION_TIMEOUT = 4031;
  /** ER_CONNECTION_KILLED (MariaDB, SQLSTATE 70100): spec/protocol-gateways.md's code for every other reason. */
  static final int ER_CONNECTION_KILLED = 1927;
  /**
   * The code of the curfew warning row in {@code SHOW WARNINGS}: MySQL sets codes 50000-51999
   * aside for third parties (MySQL 8.0 Error Reference, "Error Message Sources and Elements").
   */
  static final int CURFEW_WARNING_CODE = 50001;

  static final String NATIVE_PASSWORD = "mysql_native_password";
  static final String CLEAR_PASSWORD = "mysql_clear_password";
  static final String CACHING_SHA2_PASSWORD = "caching_sha2_password";

  /** utf8mb4_general_ci, the character set the gateway's greeting names (the client's choice goes upstream). */
  static final int UTF8MB4_GENERAL_CI = 45;

  static Buffer packet(int seq, Buffer payload) {
    if (payload.length() >= MAX_PACKET_PAYLOAD) throw new IllegalArgumentException("payload too long for one packet: " + payload.length());
    Buffer b = Buffer.buffer(4 + payload.length());
    b.appendMediumLE(payload.length());
    b.appendByte((byte) seq);
    return b.appendBuffer(payload);
  }

  /**
   * OK_Packet of a statement that changed nothing: 0x00, no affected rows, no insert id, the status
   * flags, no warnings. Nothing follows (no info, no session state): clients read those only when
   * present, and MySQL's server omits them too when empty.
   */
  static Buffer ok(int seq, int status) {
    Buffer p = Buffer.buffer().appendByte((byte) 0).appendByte((byte) 0).appendByte((byte) 0)
        .appendUnsignedShortLE(status).appendUnsignedShortLE(0);
    return packet(seq, p);
  }

  /** The status flags of an OK_Packet payload, or {@code otherwise} when it is too short to hold them. */
  static int okStatus(Buffer payload, int otherwise) {
    int at = 1;
    for (int i = 0; i < 2; i++) {
      if (at >= payload.length()) return otherwise;
      int w = lenencWidth(payload, at);
      if (w == 0) return otherwise;
      at += w;
    }
    return at + 2 <= payload.length() ? payload.getUnsignedShortLE(at) : otherwise;
  }

  /** ERR_Packet: 0xFF, the code, '#', the SQLSTATE, the message. */
  static Buffer err(int seq, int code, String sqlstate, String message) {
    Buffer p = Buffer.buffer().appendByte((byte) 0xff).appendUnsignedShortLE(code).appendByte((byte) '#')
        .appendString(sqlstate, "US-ASCII").appendString(message, "UTF-8");
    return packet(seq, p);
  }

  /** A text-protocol row: each value a length-encoded string. */
  static Buffer textRow(int seq, String... values) {
    Buffer p = Buffer.buffer();
    for (String v : values) {
      byte[] bytes = v.getBytes(StandardCharsets.UTF_8);
      appendLenenc(p, bytes.length);
      p.appendBytes(bytes);
    }
    return packet(seq, p);
  }

  static void appendLenenc(Buffer b, long n) {
    if (n < 0xfb) {
      b.appendByte((byte) n);
    } else if (n < (1 << 16)) {
      b.appendByte((byte) 0xfc).appendUnsignedShortLE((int) n);
    } else if (n < (1 << 24)) {
      b.appendByte((byte) 0xfd).appendMediumLE((int) n);
    } else {
      b.appendByte((byte) 0xfe).appendLongLE(n);
    }
  }

  /** The width in bytes of the length-encoded integer at {@code at} (0: not one, 0xFB NULL or 0xFF). */
  static int lenencWidth(Buffer b, int at) {
    int first = b.getUnsignedByte(at);
    if (first < 0xfb) return 1;
    return switch (first) {
      case 0xfc -> 3;
      case 0xfd -> 4;
      case 0xfe -> 9;
      default -> 0;
    };
  }

  /** The length-encoded integer at {@code at}; the caller made sure its width is in the buffer. */
  static long lenencAt(Buffer b, int at) {
    int first = b.getUnsignedByte(at);
    if (first < 0xfb) return first;
    return switch (first) {
      case 0xfc -> b.getUnsignedShortLE(at + 1);
      case 0xfd -> b.getUnsignedMediumLE(at + 1);
      case 0xfe -> b.getLongLE(at + 1);
      default -> -1;
    };
  }

  /** The index of the first NUL at or after {@code from}, or -1. */
  static int nulAt(Buffer b, int from) {
    for (int i = from; i < b.length(); i++) {
      if (b.getByte(i) == 0) return i;
    }
    return -1;
  }
}

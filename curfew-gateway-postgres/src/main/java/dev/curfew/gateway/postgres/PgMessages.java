package dev.curfew.gateway.postgres;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The few PostgreSQL v3 messages the gateway writes itself (PostgreSQL documentation 55.7, "Message
 * Formats"); everything else is relayed as the peer sent it. Also the readers of the message
 * fields the gateway must look at.
 */
final class PgMessages {
  /** Startup-phase request codes (55.7: SSLRequest, GSSENCRequest, CancelRequest). */
  static final int SSL_REQUEST = 80877103;
  static final int GSSENC_REQUEST = 80877104;
  static final int CANCEL_REQUEST = 80877102;
  /** Protocol 3.0: major 3 in the high 16 bits. */
  static final int PROTOCOL_3_0 = 196608;

  /** Authentication request codes of the 'R' message. */
  static final int AUTH_OK = 0;
  static final int AUTH_CLEARTEXT = 3;
  static final int AUTH_MD5 = 5;
  static final int AUTH_SASL = 10;
  static final int AUTH_SASL_CONTINUE = 11;
  static final int AUTH_SASL_FINAL = 12;

  private PgMessages() {}

  static Buffer authentication(int code) {
    return Buffer.buffer(9).appendByte((byte) 'R').appendInt(8).appendInt(code);
  }

  static Buffer backendKeyData(int processId, int secretKey) {
    return Buffer.buffer(13).appendByte((byte) 'K').appendInt(12).appendInt(processId).appendInt(secretKey);
  }

  static Buffer readyForQuery(char status) {
    return Buffer.buffer(6).appendByte((byte) 'Z').appendInt(5).appendByte((byte) status);
  }

  /** NegotiateProtocolVersion: the newest minor version this side speaks, no options understood. */
  static Buffer negotiateProtocolVersion(int newestMinor, java.util.List<String> unrecognized) {
    Buffer body = Buffer.buffer().appendInt(newestMinor).appendInt(unrecognized.size());
    for (String o : unrecognized) cstring(body, o);
    return Buffer.buffer().appendByte((byte) 'v').appendInt(4 + body.length()).appendBuffer(body);
  }

  /** ErrorResponse: severity (localized and not), SQLSTATE and message (55.8, "Error and Notice Message Fields"). */
  static Buffer errorResponse(String severity, String sqlstate, String message) {
    return fields('E', severity, sqlstate, message);
  }

  /** NoticeResponse: the same fields as an error, sent without ending anything. */
  static Buffer noticeResponse(String severity, String sqlstate, String message) {
    return fields('N', severity, sqlstate, message);
  }

  private static Buffer fields(char type, String severity, String sqlstate, String message) {
    Buffer body = Buffer.buffer();
    body.appendByte((byte) 'S');
    cstring(body, severity);
    body.appendByte((byte) 'V');
    cstring(body, severity);
    body.appendByte((byte) 'C');
    cstring(body, sqlstate);
    body.appendByte((byte) 'M');
    cstring(body, message);
    body.appendByte((byte) 0);
    return Buffer.buffer(body.length() + 5).appendByte((byte) type).appendInt(body.length() + 4).appendBuffer(body);
  }

  // ------------------------------------------------------------------ frontend messages (upstream)

  static Buffer startupMessage(Map<String, String> parameters) {
    Buffer body = Buffer.buffer().appendInt(PROTOCOL_3_0);
    parameters.forEach((k, v) -> {
      cstring(body, k);
      cstring(body, v);
    });
    body.appendByte((byte) 0);
    return Buffer.buffer(body.length() + 4).appendInt(body.length() + 4).appendBuffer(body);
  }

  static Buffer passwordMessage(String password) {
    Buffer body = cstring(Buffer.buffer(), password);
    return Buffer.buffer().appendByte((byte) 'p').appendInt(body.length() + 4).appendBuffer(body);
  }

  static Buffer saslInitialResponse(String mechanism, byte[] data) {
    Buffer body = cstring(Buffer.buffer(), mechanism).appendInt(data.length).appendBytes(data);
    return Buffer.buffer().appendByte((byte) 'p').appendInt(body.length() + 4).appendBuffer(body);
  }

  static Buffer saslResponse(byte[] data) {
    return Buffer.buffer().appendByte((byte) 'p').appendInt(data.length + 4).appendBytes(data);
  }

  static Buffer cancelRequest(int processId, int secretKey) {
    return Buffer.buffer(16).appendInt(16).appendInt(CANCEL_REQUEST).appendInt(processId).appendInt(secretKey);
  }

  static Buffer terminate() {
    return Buffer.buffer(5).appendByte((byte) 'X').appendInt(4);
  }

  // ------------------------------------------------------------------ readers

  static Buffer cstring(Buffer b, String s) {
    return b.appendBytes(s.getBytes(StandardCharsets.UTF_8)).appendByte((byte) 0);
  }

  /** The NUL-terminated string at {@code from}; a missing terminator is a malformed message. */
  static String cstringAt(Buffer b, int from) throws PgFrameDecoder.FrameException {
    int end = nulAt(b, from);
    return b.getString(from, end, "UTF-8");
  }

  /** The index of the NUL that ends the string starting at {@code from}. */
  static int nulAt(Buffer b, int from) throws PgFrameDecoder.FrameException {
    for (int i = from; i < b.length(); i++) {
      if (b.getByte(i) == 0) return i;
    }
    throw new PgFrameDecoder.FrameException("malformed message: a string is not terminated");
  }

  /** The message field (severity 'S', code 'C', message 'M') of an ErrorResponse or NoticeResponse body. */
  static String field(Buffer body, char code) throws PgFrameDecoder.FrameException {
    int at = 0;
    while (at < body.length() && body.getByte(at) != 0) {
      char c = (char) body.getByte(at);
      int end = nulAt(body, at + 1);
      if (c == code) return body.getString(at + 1, end, "UTF-8");
      at = end + 1;
    }
    return null;
  }
}

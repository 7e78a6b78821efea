package dev.curfew.gateway.postgres;

import io.vertx.core.buffer.Buffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The first message of a connection, read from its body (the 4-byte length already taken off):
 * an SSLRequest, GSSENCRequest or CancelRequest, or a StartupMessage with its parameters.
 *
 * @param code the protocol version or request code
 * @param parameters the StartupMessage's name/value pairs (user, database, options ...), in order
 * @param processId the CancelRequest's process id
 * @param secretKey the CancelRequest's secret key
 */
record StartupPacket(int code, Map<String, String> parameters, int processId, int secretKey) {
  /** At most this many parameters: PostgreSQL knows a few dozen; more is an attack. */
  static final int MAX_PARAMETERS = 64;

  boolean sslRequest() {
    return code == PgMessages.SSL_REQUEST;
  }

  boolean gssEncRequest() {
    return code == PgMessages.GSSENC_REQUEST;
  }

  boolean cancelRequest() {
    return code == PgMessages.CANCEL_REQUEST;
  }

  /** Protocol major 3, any minor (a newer minor is answered with NegotiateProtocolVersion). */
  boolean protocol3() {
    return (code >>> 16) == 3;
  }

  int minorVersion() {
    return code & 0xffff;
  }

  static StartupPacket parse(Buffer body) throws PgFrameDecoder.FrameException {
    if (body.length() < 4) throw new PgFrameDecoder.FrameException("startup packet too short");
    int code = body.getInt(0);
    if (code == PgMessages.CANCEL_REQUEST) {
      if (body.length() != 12) throw new PgFrameDecoder.FrameException("malformed cancel request");
      return new StartupPacket(code, Map.of(), body.getInt(4), body.getInt(8));
    }
    if (code == PgMessages.SSL_REQUEST || code == PgMessages.GSSENC_REQUEST || (code >>> 16) != 3) {
      return new StartupPacket(code, Map.of(), 0, 0);
    }
    Map<String, String> params = new LinkedHashMap<>();
    int at = 4;
    while (at < body.length() && body.getByte(at) != 0) {
      int nameEnd = PgMessages.nulAt(body, at);
      String name = body.getString(at, nameEnd, "UTF-8");
      int valueEnd = PgMessages.nulAt(body, nameEnd + 1);
      params.put(name, body.getString(nameEnd + 1, valueEnd, "UTF-8"));
      if (params.size() > MAX_PARAMETERS) {
        throw new PgFrameDecoder.FrameException("more than " + MAX_PARAMETERS + " startup parameters");
      }
      at = valueEnd + 1;
    }
    if (at >= body.length()) throw new PgFrameDecoder.FrameException("startup packet is not terminated");
    return new StartupPacket(code, Collections.unmodifiableMap(params), 0, 0);
  }
}

package dev.curfew.server.http;

import dev.curfew.core.SessionAttributes;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.audit.Times;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * A session's status body written straight into bytes: the same bytes as {@link JsonBodies#write}
 * of {@link SessionStatus#toMap()} (plus {@code token} at the end when given), without building
 * the map or going through a generator, on the hot path of {@code POST /v1/check}.
 *
 * <p>Field names are constants encoded once; instants go from their milliseconds to ASCII digits
 * ({@link Times#write}); strings are escaped as Jackson escapes them by default (RFC 8259 section 7:
 * quotation mark, reverse solidus and the controls below U+0020, those with a short form as
 * {@code \b \t \n \f \r}, the rest as {@code \\u00XX} in upper-case hex) and written as UTF-8. A
 * string with a surrogate (a character outside the Basic Multilingual Plane, or a broken one, which
 * Jackson refuses) sends the whole body through Jackson instead, so both paths always agree.
 */
final class StatusJson {
  private StatusJson() {}

  private static final byte[] SESSION_ID = name("{", "session_id");
  private static final byte[] SUBJECT = name(",", "subject");
  private static final byte[] POLICY = name(",", "policy");
  private static final byte[] POLICY_VERSION = name(",", "policy_version");
  private static final byte[] CREATED_AT = name(",", "created_at");
  private static final byte[] LAST_ACTIVITY_AT = name(",", "last_activity_at");
  private static final byte[] IDLE_EXPIRES_AT = name(",", "idle_expires_at");
  private static final byte[] ABSOLUTE_EXPIRES_AT = name(",", "absolute_expires_at");
  private static final byte[] EXPIRES_AT = name(",", "expires_at");
  private static final byte[] WARNING_AT = name(",", "warning_at");
  private static final byte[] EXTENSIONS_USED = name(",", "extensions_used");
  private static final byte[] EXTENSIONS_LEFT = name(",", "extensions_left");
  private static final byte[] SERVER_TIME = name(",", "server_time");
  private static final byte[] AUDIENCE = name(",", "audience");
  private static final byte[] RESUMED_FROM = name(",", "resumed_from");
  private static final byte[] PARENT_SESSION_ID = name(",", "parent_session_id");
  private static final byte[] ENDED_REASON = name(",", "ended_reason");
  private static final byte[] ENDED_AT = name(",", "ended_at");
  private static final byte[] TOKEN = name(",", "token");
  private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

  private static byte[] name(String before, String name) {
    return (before + '"' + name + "\":").getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Each thread's scratch buffer: a handler writes one body at a time and copies it out, so the
   * event loops reuse theirs instead of allocating (and growing) one per answer.
   */
  private static final ThreadLocal<Out> SCRATCH = ThreadLocal.withInitial(Out::new);

  /**
   * The body, {@code token} (null: none) as its last field, as the handlers put it: written in this
   * thread's scratch buffer and copied once into the buffer to send.
   */
  static Buffer buffer(SessionStatus s, String token) {
    Out o = SCRATCH.get();
    o.n = 0;
    Buffer body = o.write(s, token) ? Buffer.buffer(o.n).appendBytes(o.b, 0, o.n) : Buffer.buffer(throughJackson(s, token));
    if (o.b.length > Out.KEPT) o.b = new byte[Out.INITIAL]; // not a large attribute map's buffer for good
    return body;
  }

  private static byte[] throughJackson(SessionStatus s, String token) {
    Map<String, Object> m = s.toMap();
    if (token != null) m.put("token", token);
    return JsonBodies.write(m);
  }

  /** A growing byte buffer that writes one status; false from a string it leaves to Jackson. */
  private static final class Out {
    /** A status with a token, seven instants and a few attributes is 600-800 bytes. */
    static final int INITIAL = 1024;
    static final int KEPT = 16 * 1024;

    byte[] b = new byte[INITIAL];
    int n;

    boolean write(SessionStatus s, String token) {
      if (!field(SESSION_ID, s.sessionId()) || !field(SUBJECT, s.subject()) || !field(POLICY, s.policy())) return false;
      raw(POLICY_VERSION);
      number(s.policyVersion());
      instant(CREATED_AT, s.createdAtMs());
      instant(LAST_ACTIVITY_AT, s.lastActivityAtMs());
      instant(IDLE_EXPIRES_AT, s.idleExpiresAtMs());
      instant(ABSOLUTE_EXPIRES_AT, s.absoluteExpiresAtMs());
      instant(EXPIRES_AT, s.expiresAtMs());
      instant(WARNING_AT, s.warningAtMs());
      raw(EXTENSIONS_USED);
      number(s.extensionsUsed());
      raw(EXTENSIONS_LEFT);
      number(s.extensionsLeft());
      instant(SERVER_TIME, s.serverTimeMs());
      raw(AUDIENCE);
      byte sep = '[';
      for (Object place : s.audience().toList()) {
        room(1);
        b[n++] = sep;
        sep = ',';
        if (!string((String) place)) return false;
      }
      if (sep == '[') ascii("[");
      ascii("]");
      if (s.resumedFrom() != null && !field(RESUMED_FROM, s.resumedFrom())) return false;
      String parent = SessionAttributes.parentOf(s.attributes());
      if (parent != null && !field(PARENT_SESSION_ID, parent)) return false;
      if (s.endReason() != null) {
        if (!field(ENDED_REASON, s.endReason().wire())) return false;
        instant(ENDED_AT, s.endedAtMs());
      }
      if (token != null && !field(TOKEN, token)) return false;
      ascii("}");
      return true;
    }

    private boolean field(byte[] name, String value) {
      raw(name);
      return string(value);
    }

    private void instant(byte[] name, long ms) {
      raw(name);
      room(Times.LENGTH + 2);
      b[n] = '"';
      if (Times.write(ms, b, n + 1)) {
        n += Times.LENGTH + 1;
        b[n++] = '"';
      } else {
        n++;
        ascii(Times.format(ms)); // years outside 0000-9999: ASCII signs and digits
        ascii("\"");
      }
    }

    private void number(int v) {
      ascii(Integer.toString(v));
    }

    private void raw(byte[] bytes) {
      room(bytes.length);
      System.arraycopy(bytes, 0, b, n, bytes.length);
      n += bytes.length;
    }

    private void ascii(String text) {
      room(text.length());
      for (int i = 0; i < text.length(); i++) b[n++] = (byte) text.charAt(i);
    }

    /** A JSON string; false (the body goes to Jackson) at a surrogate. */
    private boolean string(String v) {
      room(v.length() * 6 + 2); // a UTF-16 unit takes at most a six-character escape or three UTF-8 bytes
      b[n++] = '"';
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c < 0x80) {
          if (c >= 0x20 && c != '"' && c != '\\') {
            b[n++] = (byte) c;
          } else {
            escape(c);
          }
        } else if (c < 0x800) {
          b[n++] = (byte) (0xC0 | c >> 6);
          b[n++] = (byte) (0x80 | c & 0x3F);
        } else if (Character.isSurrogate(c)) {
          return false;
        } else {
          b[n++] = (byte) (0xE0 | c >> 12);
          b[n++] = (byte) (0x80 | c >> 6 & 0x3F);
          b[n++] = (byte) (0x80 | c & 0x3F);
        }
      }
      b[n++] = '"';
      return true;
    }

    private void escape(char c) {
      b[n++] = '\\';
      switch (c) {
        case '"', '\\' -> b[n++] = (byte) c;
        case '\b' -> b[n++] = 'b';
        case '\t' -> b[n++] = 't';
        case '\n' -> b[n++] = 'n';
        case '\f' -> b[n++] = 'f';
        case '\r' -> b[n++] = 'r';
        default -> {
          b[n++] = 'u';
          b[n++] = '0';
          b[n++] = '0';
          b[n++] = HEX[c >> 4];
          b[n++] = HEX[c & 0xF];
        }
      }
    }

    private void room(int more) {
      if (n + more > b.length) b = Arrays.copyOf(b, Math.max(b.length * 2, n + more));
    }
  }
}

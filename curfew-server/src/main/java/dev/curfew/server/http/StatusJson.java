package dev.curfew.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import dev.curfew.core.SessionAttributes;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.audit.Times;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A session's status body written field by field with Jackson's streaming generator: the same
 * bytes as {@link JsonBodies#write} of {@link SessionStatus#toMap()} (plus {@code token} at the
 * end when given), without building the map and serializing it through the map serializer on the
 * hot path of {@code POST /v1/check}.
 */
final class StatusJson {
  private StatusJson() {}

  /** The body; {@code token} (null: none) is the last field, as the handlers put it. */
  static byte[] write(SessionStatus s, String token) {
    try (ByteArrayBuilder out = new ByteArrayBuilder(640)) {
      try (JsonGenerator g = JsonBodies.MAPPER.getFactory().createGenerator(out)) {
        g.writeStartObject();
        g.writeStringField("session_id", s.sessionId());
        g.writeStringField("subject", s.subject());
        g.writeStringField("policy", s.policy());
        g.writeNumberField("policy_version", s.policyVersion());
        g.writeStringField("created_at", Times.format(s.createdAtMs()));
        g.writeStringField("last_activity_at", Times.format(s.lastActivityAtMs()));
        g.writeStringField("idle_expires_at", Times.format(s.idleExpiresAtMs()));
        g.writeStringField("absolute_expires_at", Times.format(s.absoluteExpiresAtMs()));
        g.writeStringField("expires_at", Times.format(s.expiresAtMs()));
        g.writeStringField("warning_at", Times.format(s.warningAtMs()));
        g.writeNumberField("extensions_used", s.extensionsUsed());
        g.writeNumberField("extensions_left", s.extensionsLeft());
        g.writeStringField("server_time", Times.format(s.serverTimeMs()));
        g.writeArrayFieldStart("audience");
        for (Object a : s.audience().toList()) g.writeString((String) a);
        g.writeEndArray();
        if (s.resumedFrom() != null) g.writeStringField("resumed_from", s.resumedFrom());
        String parent = SessionAttributes.parentOf(s.attributes());
        if (parent != null) g.writeStringField("parent_session_id", parent);
        if (s.endReason() != null) {
          g.writeStringField("ended_reason", s.endReason().wire());
          g.writeStringField("ended_at", Times.format(s.endedAtMs()));
        }
        if (token != null) g.writeStringField("token", token);
        g.writeEndObject();
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a session status", e);
    }
  }
}

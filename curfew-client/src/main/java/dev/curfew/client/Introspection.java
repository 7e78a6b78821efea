package dev.curfew.client;

import java.util.Map;
import java.util.Optional;

/**
 * The answer of {@code POST /v1/introspect} (RFC 7662): active with the subject ({@code sub}),
 * session id ({@code sid}), expiry and issue time in epoch seconds ({@code exp}, {@code iat}) and
 * the status body; or inactive, for anything else.
 */
public record Introspection(boolean active, String sub, String sid, Long exp, Long iat, Optional<SessionStatus> status) {
  static Introspection from(Map<String, Object> m) {
    if (!Boolean.TRUE.equals(m.get("active"))) {
      return new Introspection(false, null, null, null, null, Optional.empty());
    }
    Map<String, Object> curfew = JsonValues.object(m, "curfew");
    return new Introspection(true, JsonValues.string(m, "sub"), JsonValues.string(m, "sid"),
        JsonValues.optionalLong(m, "exp"), JsonValues.optionalLong(m, "iat"),
        Optional.ofNullable(curfew).map(SessionStatus::from));
  }
}

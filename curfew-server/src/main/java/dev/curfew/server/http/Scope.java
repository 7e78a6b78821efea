package dev.curfew.server.http;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What an API key may do. Every key-authenticated route needs exactly one scope (see the route
 * table in {@link ApiServer#router()}); {@link #ADMIN} holds every other one. A key configured
 * without scopes has {@code admin}, which is what every key could do before scopes existed.
 */
public enum Scope {
  /** Everything: sessions by id and subject, revocation, policies, and all the scopes below. */
  ADMIN,
  /** The app that authenticates users: open sessions, introspect and revoke their tokens (RFC 7662, 7009). */
  APP,
  /** A gateway in front of an app: {@code POST /v1/check}, and a key on {@code /v1/forward-auth}. */
  GATEWAY,
  /** Read the audit trail and its proofs, nothing else. */
  AUDITOR;

  /** The name in configuration and in problems: {@code admin}, {@code app}, {@code gateway}, {@code auditor}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Scope> parse(String s) {
    return Arrays.stream(values()).filter(v -> v.wire().equals(s)).findFirst();
  }

  /** {@code admin, app, gateway, auditor}: for messages that list what is allowed. */
  public static String known() {
    return Arrays.stream(values()).map(Scope::wire).collect(Collectors.joining(", "));
  }
}

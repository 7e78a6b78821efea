package dev.curfew.server.http;

import dev.curfew.core.Audience;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;

/**
 * One named backend API key, held only as the SHA-256 of the key (lowercase hex), never the key.
 *
 * @param name the key's name: the audit {@code actor} of what it does, and the user name of HTTP
 *     Basic; must not contain {@code ':'}
 * @param sha256Hex SHA-256 of the key's UTF-8 bytes, 64 hex digits
 * @param scopes what the key may do; at least one
 * @param audience where the sessions it opens may be used by default, and the places it may check
 *     them for ({@code /v1/check}, {@code /v1/introspect}, {@code /v1/revoke}, forward-auth); null:
 *     {@code app:<name>}. Never {@code console}: only console sign-in opens console sessions.
 */
public record ApiKey(String name, String sha256Hex, Set<Scope> scopes, Audience audience) {
  public ApiKey {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sha256Hex, "sha256Hex");
    Objects.requireNonNull(scopes, "scopes");
    if (name.isBlank() || name.length() > 128 || name.indexOf(':') >= 0) {
      throw new IllegalArgumentException("api key name must be 1-128 characters without ':': \"" + name + "\"");
    }
    sha256Hex = sha256Hex.trim().toLowerCase(java.util.Locale.ROOT);
    if (!sha256Hex.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("api key \"" + name + "\": key_sha256 must be 64 hex digits");
    }
    if (scopes.isEmpty()) throw new IllegalArgumentException("api key \"" + name + "\" has no scopes");
    scopes = Set.copyOf(EnumSet.copyOf(scopes));
    if (audience == null) audience = Audience.app(name);
    if (audience.entries().contains(Audience.CONSOLE_ENTRY)) {
      throw new IllegalArgumentException("api key \"" + name + "\": the audience console is reserved for console sign-in");
    }
  }

  /** A key whose audience is {@code app:<name>}. */
  public ApiKey(String name, String sha256Hex, Set<Scope> scopes) {
    this(name, sha256Hex, scopes, null);
  }

  /** A key with the scope {@code admin}: what a key without configured scopes may do. */
  public ApiKey(String name, String sha256Hex) {
    this(name, sha256Hex, Set.of(Scope.ADMIN));
  }

  /** This key with another audience. */
  public ApiKey withAudience(Audience a) {
    return new ApiKey(name, sha256Hex, scopes, a);
  }

  /**
   * The audience of a session this key opens: {@code requested} when given, else the key's own.
   * A key may name its own places and any gateway or protocol place, never the console, nor
   * another backend's {@code app:} place (that app would then accept sessions it never opened).
   *
   * @throws IllegalArgumentException naming the place refused
   */
  public Audience audienceToOpen(Audience requested) {
    if (requested == null) return audience;
    for (String e : requested.entries()) {
      if (e.equals(Audience.CONSOLE_ENTRY)) {
        throw new IllegalArgumentException("audience \"console\" is reserved: console sessions are opened by console sign-in only");
      }
      if (e.startsWith("app:") && !audience.entries().contains(e)) {
        throw new IllegalArgumentException("audience \"" + e + "\" is another backend's: the key \"" + name
            + "\" may open sessions for " + String.join(", ", audience.entries()) + " and gateway or protocol places");
      }
    }
    return requested;
  }

  /** The key named {@code name} whose secret is {@code key} (e.g. {@code CURFEW_API_KEY}, named {@code default}), scope admin. */
  public static ApiKey ofSecret(String name, String key) {
    return ofSecret(name, key, Set.of(Scope.ADMIN));
  }

  public static ApiKey ofSecret(String name, String key, Set<Scope> scopes) {
    Objects.requireNonNull(key, "key");
    if (key.isEmpty()) throw new IllegalArgumentException("api key \"" + name + "\" is empty");
    return new ApiKey(name, HexFormat.of().formatHex(sha256(key)), scopes);
  }

  /** Whether this key may call a route that needs {@code scope}: it holds it, or holds admin. */
  public boolean permits(Scope scope) {
    return scopes.contains(Scope.ADMIN) || scopes.contains(scope);
  }

  static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  byte[] digest() {
    return HexFormat.of().parseHex(sha256Hex);
  }
}

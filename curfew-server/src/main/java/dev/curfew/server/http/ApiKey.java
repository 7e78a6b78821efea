package dev.curfew.server.http;

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
 */
public record ApiKey(String name, String sha256Hex, Set<Scope> scopes) {
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
  }

  /** A key with the scope {@code admin}: what a key without configured scopes may do. */
  public ApiKey(String name, String sha256Hex) {
    this(name, sha256Hex, Set.of(Scope.ADMIN));
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

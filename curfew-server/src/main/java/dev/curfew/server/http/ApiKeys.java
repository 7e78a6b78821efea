package dev.curfew.server.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The backend API keys of a deployment. A caller presents a key as {@code Authorization: Bearer
 * <key>} or as HTTP Basic with the key's name as user and the key as password (the way RFC 7662
 * introspection clients authenticate). Keys are compared by their SHA-256 digests with {@link
 * MessageDigest#isEqual}, against every configured key without stopping early, so that the time
 * taken says nothing about which key, or how much of one, matched.
 */
public final class ApiKeys {
  /** Longest credential looked at; longer ones are refused without hashing. */
  static final int MAX_CREDENTIAL_CHARS = 4096;

  private final List<ApiKey> keys;
  private final List<byte[]> digests;

  private ApiKeys(List<ApiKey> keys) {
    Set<String> seen = new HashSet<>();
    this.keys = keys;
    digests = new ArrayList<>(keys.size());
    for (ApiKey k : keys) {
      if (!seen.add(k.name())) {
        throw new IllegalArgumentException("api key name \"" + k.name() + "\" is defined twice");
      }
      digests.add(k.digest());
    }
  }

  public static ApiKeys of(List<ApiKey> keys) {
    return new ApiKeys(List.copyOf(keys));
  }

  /** No keys: every backend request is refused. */
  public static ApiKeys none() {
    return new ApiKeys(List.of());
  }

  public int size() {
    return keys.size();
  }

  /** The name of the key that {@code authorizationHeader} presents, or empty when none matches. */
  public Optional<String> verify(String authorizationHeader) {
    return authenticate(authorizationHeader).map(ApiKey::name);
  }

  /** The key (with its scopes) that {@code authorizationHeader} presents, or empty when none matches. */
  public Optional<ApiKey> authenticate(String authorizationHeader) {
    if (authorizationHeader == null || authorizationHeader.length() > MAX_CREDENTIAL_CHARS) {
      return Optional.empty();
    }
    String h = authorizationHeader.trim();
    int space = h.indexOf(' ');
    if (space < 0) return Optional.empty();
    String scheme = h.substring(0, space).toLowerCase(Locale.ROOT);
    String credentials = h.substring(space + 1).trim();
    if (credentials.isEmpty()) return Optional.empty();
    if (scheme.equals("bearer")) return match(null, credentials);
    if (scheme.equals("basic")) return basic(credentials);
    return Optional.empty();
  }

  private Optional<ApiKey> basic(String b64) {
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    int colon = decoded.indexOf(':');
    if (colon <= 0 || colon == decoded.length() - 1) return Optional.empty();
    return match(decoded.substring(0, colon), decoded.substring(colon + 1));
  }

  /** Compares with every key; {@code name} null: any name. */
  private Optional<ApiKey> match(String name, String key) {
    byte[] presented = ApiKey.sha256(key);
    ApiKey found = null;
    for (int i = 0; i < digests.size(); i++) {
      boolean same = MessageDigest.isEqual(presented, digests.get(i));
      if (same && found == null && (name == null || name.equals(keys.get(i).name()))) {
        found = keys.get(i);
      }
    }
    return Optional.ofNullable(found);
  }
}

package dev.curfew.server.oidc;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.Clock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * One identity provider's signing keys, read from its JWKS (RFC 7517 §5) and kept in memory. A
 * token signed with a key id not seen yet makes it read the JWKS again (the provider rotated its
 * keys), at most once per {@code minRefetch}, so that a flood of tokens with made-up key ids cannot
 * turn Curfew into a load generator against the provider. With a discovery URL the JWKS location
 * is read from the provider's metadata ({@code jwks_uri}, OpenID Connect Discovery 1.0 §3), whose
 * {@code issuer} must be the configured one (§4.3).
 */
public final class ProviderKeys {
  /** Largest JWKS or metadata document read. */
  static final int MAX_DOCUMENT_BYTES = 512 * 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final IdentityProvider provider;
  private final HttpClient http;
  private final Clock clock;
  private final long minRefetchMs;
  private volatile Map<String, PublicKey> byKid = Map.of();
  private volatile List<PublicKey> withoutKid = List.of();
  private volatile long fetchedAtMs = Long.MIN_VALUE;
  private CompletableFuture<Void> inFlight;

  public ProviderKeys(IdentityProvider provider, HttpClient http, Clock clock, Duration minRefetch) {
    this.provider = Objects.requireNonNull(provider, "provider");
    this.http = Objects.requireNonNull(http, "http");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.minRefetchMs = minRefetch.toMillis();
  }

  /**
   * The keys that may have signed a token with key id {@code kid} (null: the header named none, so
   * every key without an id, or every key when all have one). Empty: none known, even after a refetch.
   */
  public CompletableFuture<List<PublicKey>> candidates(String kid) {
    List<PublicKey> known = lookup(kid);
    if (!known.isEmpty()) return CompletableFuture.completedFuture(known);
    return refetch().handle((ok, err) -> {
      List<PublicKey> found = lookup(kid);
      if (found.isEmpty() && err != null) {
        // Say why no key is known: the provider's answer was unusable (a refusal names it).
        Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
            ? err.getCause() : err;
        throw new java.util.concurrent.CompletionException(cause);
      }
      return found;
    });
  }

  private List<PublicKey> lookup(String kid) {
    if (kid != null) {
      PublicKey k = byKid.get(kid);
      return k == null ? List.of() : List.of(k);
    }
    if (!withoutKid.isEmpty()) return withoutKid;
    return List.copyOf(byKid.values());
  }

  private synchronized CompletableFuture<Void> refetch() {
    if (inFlight != null && !inFlight.isDone()) return inFlight;
    long now = clock.millis();
    if (fetchedAtMs != Long.MIN_VALUE && now - fetchedAtMs < minRefetchMs) return CompletableFuture.completedFuture(null);
    fetchedAtMs = now;
    CompletableFuture<URI> where = provider.jwksUri() != null ? CompletableFuture.completedFuture(provider.jwksUri())
        : get(provider.discoveryUri()).thenApply(this::jwksUriOf);
    inFlight = where.thenCompose(this::get).thenAccept(this::install);
    return inFlight;
  }

  private URI jwksUriOf(Map<String, Object> metadata) {
    if (!provider.issuer().equals(metadata.get("issuer"))) {
      throw new IllegalStateException("the discovery document of " + provider.name() + " names issuer "
          + metadata.get("issuer") + ", not " + provider.issuer());
    }
    Object uri = metadata.get("jwks_uri");
    if (!(uri instanceof String s)) throw new IllegalStateException("the discovery document names no jwks_uri");
    return URI.create(s);
  }

  @SuppressWarnings("unchecked")
  private void install(Map<String, Object> jwks) {
    Map<String, PublicKey> kids = new LinkedHashMap<>();
    List<PublicKey> anonymous = new ArrayList<>();
    Object keys = jwks.get("keys");
    if (!(keys instanceof List<?> list)) throw new IllegalStateException("JWKS without \"keys\"");
    for (Object o : list) {
      if (!(o instanceof Map<?, ?> m)) continue;
      Map<String, Object> jwk = (Map<String, Object>) m;
      if (jwk.get("use") != null && !"sig".equals(jwk.get("use"))) continue; // encryption keys never verify
      try {
        PublicKey k = Jwk.toKey(jwk);
        if (jwk.get("kid") instanceof String kid) kids.put(kid, k);
        else anonymous.add(k);
      } catch (IllegalArgumentException unsupported) {
        // a key type Curfew does not verify with (or a malformed key): the others still serve
      }
    }
    byKid = Map.copyOf(kids);
    withoutKid = List.copyOf(anonymous);
  }

  private CompletableFuture<Map<String, Object>> get(URI uri) {
    HttpRequest req = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header("Accept", "application/json").GET().build();
    return http.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).thenApply(resp -> {
      if (resp.statusCode() != 200) throw new IllegalStateException(uri + " answered " + resp.statusCode());
      if (resp.body().length > MAX_DOCUMENT_BYTES) throw new IllegalStateException(uri + " is larger than " + MAX_DOCUMENT_BYTES + " bytes");
      try {
        return JSON.readValue(resp.body(), new TypeReference<LinkedHashMap<String, Object>>() {});
      } catch (java.io.IOException e) {
        throw new IllegalStateException(uri + " is not JSON");
      }
    });
  }
}

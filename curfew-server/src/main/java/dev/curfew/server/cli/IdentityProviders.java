package dev.curfew.server.cli;

import dev.curfew.core.Clock;
import dev.curfew.core.SessionStore;
import dev.curfew.server.config.CurfewConfig.IdentityProviderConfig;
import dev.curfew.server.http.BackchannelLogoutRoutes;
import dev.curfew.server.oidc.IdentityProvider;
import dev.curfew.server.oidc.LogoutTokenVerifier;
import dev.curfew.server.oidc.ProviderKeys;
import dev.curfew.server.oidc.SeenLogoutTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Wiring of {@code identity_providers}: one verifier per provider behind {@code POST /v1/backchannel-logout/{provider}}. */
final class IdentityProviders {
  /** At most one JWKS read per provider in this time when tokens name unknown keys. */
  static final Duration MIN_JWKS_REFETCH = Duration.ofSeconds(30);
  /** How long a durable record may take before the answer is 503 (as the API's other writes). */
  static final long DURABLE_TIMEOUT_MS = 10_000;

  private IdentityProviders() {}

  static BackchannelLogoutRoutes routes(List<IdentityProviderConfig> configs, SessionStore store, Clock clock,
      SeenLogoutTokens seen) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Map<String, LogoutTokenVerifier> verifiers = new LinkedHashMap<>();
    for (IdentityProviderConfig c : configs) {
      IdentityProvider p = new IdentityProvider(c.name(), c.issuer(), c.jwksUri() == null ? null : URI.create(c.jwksUri()),
          c.discoveryUrl() == null ? null : URI.create(c.discoveryUrl()), c.audience(), c.maxTokenAge());
      verifiers.put(c.name(), new LogoutTokenVerifier(p, new ProviderKeys(p, http, clock, MIN_JWKS_REFETCH), seen, clock));
    }
    return new BackchannelLogoutRoutes(store, verifiers, clock, DURABLE_TIMEOUT_MS);
  }
}

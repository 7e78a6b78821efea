package dev.curfew.server.oidc;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * An identity provider whose logouts end Curfew sessions (config {@code identity_providers}).
 *
 * @param name the path segment of its endpoint, {@code POST /v1/backchannel-logout/{name}}
 * @param issuer its {@code iss}, compared exactly (OpenID Connect Discovery 1.0 §4.3)
 * @param jwksUri where its signing keys are; null when {@code discoveryUri} is given
 * @param discoveryUri its {@code /.well-known/openid-configuration}, read for {@code jwks_uri}; or null
 * @param audience the {@code client_id} Curfew is registered under at the provider: the required {@code aud}
 * @param maxTokenAge how old (by {@code iat}) a logout token may be
 */
public record IdentityProvider(String name, String issuer, URI jwksUri, URI discoveryUri, String audience,
    Duration maxTokenAge) {
  public static final Duration DEFAULT_MAX_TOKEN_AGE = Duration.ofMinutes(5);

  public IdentityProvider {
    Objects.requireNonNull(name, "name");
    if (!name.matches("[A-Za-z0-9_-]{1,64}")) throw new IllegalArgumentException("provider name must be 1-64 of [A-Za-z0-9_-]: " + name);
    Objects.requireNonNull(issuer, "issuer");
    Objects.requireNonNull(audience, "audience");
    if ((jwksUri == null) == (discoveryUri == null)) {
      throw new IllegalArgumentException("provider " + name + ": exactly one of jwks_uri and discovery_url");
    }
    Objects.requireNonNull(maxTokenAge, "maxTokenAge");
    if (maxTokenAge.isNegative() || maxTokenAge.isZero()) throw new IllegalArgumentException("maxTokenAge <= 0: " + maxTokenAge);
  }
}

package dev.curfew.server.oidc;

import dev.curfew.core.Clock;
import dev.curfew.core.IdpLogout;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Validates a logout token from one identity provider as OpenID Connect Back-Channel Logout 1.0
 * §2.6 says, step by step, and turns it into the {@link IdpLogout} it asks for. Any failed step
 * rejects the whole token ({@link LogoutTokenRejected}); nothing is acted on before every step passed.
 *
 * <ol>
 *   <li>not encrypted (Curfew registers no encryption with providers), signed with an accepted
 *       algorithm ({@link JwsAlgorithm}: never {@code none} or HMAC), and a {@code typ}, if any,
 *       of a logout token or a plain JWT (§2.4 recommends {@code logout+jwt});</li>
 *   <li>the signature verifies with a key of the provider's JWKS (by {@code kid});</li>
 *   <li>{@code iss} is the provider's issuer; {@code aud} holds Curfew's client id; {@code iat} is
 *       neither in the future nor older than the provider's {@code max_token_age} (each with
 *       {@link #CLOCK_SKEW} of slack); {@code exp}, if present, has not passed (ID token rules,
 *       OpenID Connect Core 1.0 §3.1.3.7, which §2.6 points to);</li>
 *   <li>{@code sub} and/or {@code sid} present; {@code events} holds the member
 *       {@value #BACKCHANNEL_EVENT} with an object value; no {@code nonce}; a {@code jti};</li>
 *   <li>the {@code jti} was not acted on before (last, so that an invalid token burns no id).</li>
 * </ol>
 */
public final class LogoutTokenVerifier {
  public static final String BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";
  /** Slack for the provider's clock against ours. */
  public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);

  private final IdentityProvider provider;
  private final ProviderKeys keys;
  private final SeenLogoutTokens seen;
  private final Clock clock;

  public LogoutTokenVerifier(IdentityProvider provider, ProviderKeys keys, SeenLogoutTokens seen, Clock clock) {
    this.provider = Objects.requireNonNull(provider, "provider");
    this.keys = Objects.requireNonNull(keys, "keys");
    this.seen = Objects.requireNonNull(seen, "seen");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public IdentityProvider provider() {
    return provider;
  }

  /** The logout the token asks for, or a future failed with {@link LogoutTokenRejected}. */
  public CompletableFuture<IdpLogout> verify(String token) {
    CompletableFuture<IdpLogout> out = new CompletableFuture<>();
    CompactJws jws;
    try {
      jws = CompactJws.parse(token);
      jws.algorithm();
      checkType(jws.header().get("typ"));
    } catch (IllegalArgumentException e) {
      out.completeExceptionally(new LogoutTokenRejected(e.getMessage(), null));
      return out;
    }
    String jti = jws.claims().get("jti") instanceof String s ? s : null;
    Object kid = jws.header().get("kid");
    return keys.candidates(kid instanceof String k ? k : null).thenCompose(candidates -> {
      if (candidates.isEmpty()) throw new LogoutTokenRejected("no key of the provider's JWKS has key id " + kid, jti);
      if (candidates.stream().noneMatch(jws::verifiedWith)) throw new LogoutTokenRejected("the signature does not verify", jti);
      IdpLogout logout = claims(jws.claims(), jti);
      long iat = ((Number) jws.claims().get("iat")).longValue() * 1000;
      long forgetAtMs = iat + provider.maxTokenAge().toMillis() + CLOCK_SKEW.toMillis();
      return seen.firstSighting(provider.name() + ":" + logout.jti(), forgetAtMs).thenApply(first -> {
        if (!first) throw new LogoutTokenRejected("the token (jti " + logout.jti() + ") was already received", jti);
        return logout;
      });
    }).exceptionallyCompose(e -> CompletableFuture.failedFuture(unwrap(e, jti)));
  }

  /** Forgets that {@code logout}'s token was received: it could not be carried out, and may come again. */
  public CompletableFuture<Void> forget(IdpLogout logout) {
    return seen.forget(provider.name() + ":" + logout.jti());
  }

  private static Throwable unwrap(Throwable e, String jti) {
    Throwable t = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    if (t instanceof SeenLogoutTokens.Unavailable) return t;
    return t instanceof LogoutTokenRejected ? t : new LogoutTokenRejected("the provider's keys could not be read: " + t.getMessage(), jti);
  }

  private static void checkType(Object typ) {
    if (typ == null) return;
    // RFC 7515 §4.1.9: media type names compare case-insensitively, "application/" may be left out.
    String t = typ.toString().toLowerCase(Locale.ROOT);
    if (t.startsWith("application/")) t = t.substring("application/".length());
    if (!t.equals("logout+jwt") && !t.equals("jwt")) throw new IllegalArgumentException("typ " + typ + " is not a logout token");
  }

  private IdpLogout claims(Map<String, Object> c, String jti) {
    if (!provider.issuer().equals(c.get("iss"))) throw new LogoutTokenRejected("iss " + c.get("iss") + " is not " + provider.issuer(), jti);
    Object aud = c.get("aud");
    boolean forUs = aud instanceof String s ? s.equals(provider.audience())
        : aud instanceof List<?> l && l.contains(provider.audience());
    if (!forUs) throw new LogoutTokenRejected("aud " + aud + " does not name " + provider.audience(), jti);
    long nowMs = clock.millis();
    if (!(c.get("iat") instanceof Number iatN)) throw new LogoutTokenRejected("iat missing", jti);
    long iatMs = iatN.longValue() * 1000;
    if (iatMs > nowMs + CLOCK_SKEW.toMillis()) throw new LogoutTokenRejected("iat is in the future", jti);
    if (iatMs < nowMs - provider.maxTokenAge().toMillis() - CLOCK_SKEW.toMillis()) {
      throw new LogoutTokenRejected("iat is older than " + provider.maxTokenAge().toSeconds() + " s", jti);
    }
    Object exp = c.get("exp");
    if (exp != null && (!(exp instanceof Number e) || e.longValue() * 1000 + CLOCK_SKEW.toMillis() <= nowMs)) {
      throw new LogoutTokenRejected("exp has passed", jti);
    }
    Object sub = c.get("sub");
    Object sid = c.get("sid");
    if (sub != null && !(sub instanceof String)) throw new LogoutTokenRejected("sub is not a string", jti);
    if (sid != null && !(sid instanceof String)) throw new LogoutTokenRejected("sid is not a string", jti);
    if (sub == null && sid == null) throw new LogoutTokenRejected("neither sub nor sid", jti);
    if (!(c.get("events") instanceof Map<?, ?> events) || !(events.get(BACKCHANNEL_EVENT) instanceof Map<?, ?>)) {
      throw new LogoutTokenRejected("events does not hold " + BACKCHANNEL_EVENT, jti);
    }
    if (c.containsKey("nonce")) throw new LogoutTokenRejected("a logout token must not carry nonce", jti);
    if (jti == null || jti.isEmpty()) throw new LogoutTokenRejected("jti missing", null);
    try {
      return new IdpLogout(provider.name(), (String) sid, (String) sub, jti);
    } catch (IllegalArgumentException e) {
      throw new LogoutTokenRejected(e.getMessage(), jti);
    }
  }
}

package dev.curfew.server.http;

import dev.curfew.core.Clock;
import dev.curfew.core.Revocation;
import dev.curfew.core.SessionStore;
import dev.curfew.server.oidc.LogoutTokenRejected;
import dev.curfew.server.oidc.LogoutTokenVerifier;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/backchannel-logout/{provider}}: an identity provider's OpenID Connect Back-Channel
 * Logout 1.0 request (§2.5: form field {@code logout_token}). A token that passes every validation
 * step ({@link LogoutTokenVerifier}) ends the Curfew sessions it names with reason {@code idp_logout}
 * and is answered 200; any other is answered 400 with {@code {"error": "invalid_request",
 * "error_description": ...}} (§2.8, the error form of OAuth 2.0, RFC 6749 §5.2) and recorded as a
 * refusal, and nothing ends. Every answer carries {@code Cache-Control: no-store} (§2.8; the API
 * sets it on every response).
 *
 * <p>The endpoint needs no API key: the token's signature is its authentication. So that junk
 * tokens cannot flood the audit trail, refusals are recorded at most once a second per provider,
 * each record counting the refusals since the previous one ({@code repeats}).
 */
public final class BackchannelLogoutRoutes {
  private final SessionStore store;
  private final Map<String, LogoutTokenVerifier> providers;
  private final Clock clock;
  private final Reply reply;
  private final Map<String, long[]> refusals = new java.util.concurrent.ConcurrentHashMap<>();

  public BackchannelLogoutRoutes(SessionStore store, Map<String, LogoutTokenVerifier> providers, Clock clock,
      long durableTimeoutMs) {
    this.store = Objects.requireNonNull(store, "store");
    this.providers = Map.copyOf(providers);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.reply = new Reply(durableTimeoutMs, "__Host-curfew"); // no cookie is read here
  }

  void handle(RoutingContext ctx) {
    String name = ctx.pathParam("provider");
    LogoutTokenVerifier verifier = providers.get(name);
    if (verifier == null) {
      Reply.problem(ctx, Problem.of(404, "unknown-identity-provider", "Unknown identity provider",
          "no identity provider named \"" + name + "\" is configured"));
      return;
    }
    List<String> tokens = ctx.request().formAttributes().getAll("logout_token");
    if (tokens.size() != 1 || tokens.get(0).isEmpty()) {
      refuse(ctx, name, "form field logout_token is required exactly once (application/x-www-form-urlencoded)", null);
      return;
    }
    verifier.verify(tokens.get(0)).whenComplete((logout, err) -> ctx.vertx().runOnContext(v -> {
      if (err != null) {
        Throwable t = err instanceof java.util.concurrent.CompletionException && err.getCause() != null ? err.getCause() : err;
        if (t instanceof dev.curfew.server.oidc.SeenLogoutTokens.Unavailable) {
          Reply.problem(ctx, Problem.unavailable("the logout tokens already received cannot be recorded"));
          return;
        }
        LogoutTokenRejected r = t instanceof LogoutTokenRejected x ? x : new LogoutTokenRejected(String.valueOf(t), null);
        refuse(ctx, name, r.getMessage(), r.jti());
        return;
      }
      Reply.when(ctx, store.endIdpSessions(logout), (Revocation done) -> {
        if (done.revoked() < 0) {
          // Not carried out: let the provider send it again (its jti is forgotten), and fail closed.
          verifier.forget(logout);
          Reply.problem(ctx, Problem.unavailable("the session store or the audit log cannot be written"));
          return;
        }
        reply.afterDurable(ctx, done.durable(), () -> Reply.json(ctx, 200, Map.of("ended", (long) done.revoked())));
      });
    }));
  }

  /** 400 with the OAuth error form; recorded unless another refusal of this provider was recorded within the second. */
  private void refuse(RoutingContext ctx, String provider, String why, String jti) {
    long now = clock.millis();
    long[] state = refusals.computeIfAbsent(provider, k -> new long[] {Long.MIN_VALUE, 0});
    boolean record;
    long repeats;
    synchronized (state) {
      record = state[0] == Long.MIN_VALUE || now - state[0] >= 1000;
      repeats = state[1];
      if (record) {
        state[0] = now;
        state[1] = 0;
      } else {
        state[1]++;
      }
    }
    if (record) {
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("provider", provider);
      if (jti != null) data.put("jti", jti.length() > 256 ? jti.substring(0, 256) : jti);
      data.put("error", "invalid_request");
      data.put("why", why);
      data.put("repeats", repeats);
      store.recordIdpLogoutRefused(data);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", "invalid_request");
    body.put("error_description", why);
    Reply.json(ctx, 400, body);
  }
}

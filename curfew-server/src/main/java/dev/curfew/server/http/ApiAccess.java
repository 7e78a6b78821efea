package dev.curfew.server.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Who may call a key-authenticated route: the guards of the route table in {@link ApiServer}. No
 * key, or a key that matches none configured, is 401; a valid key without the route's scope is a
 * 403 problem that names the scope (body member {@code scope}, and {@code WWW-Authenticate: Bearer
 * error="insufficient_scope", scope="..."} as RFC 6750 section 3.1 spells it). A key that passes is
 * put on the context: its name is the audit actor of what the request does.
 */
final class ApiAccess {
  /** The {@link ApiKey} that authenticated the request. */
  static final String KEY = "curfew.apiKey";

  private final ApiKeys keys;

  ApiAccess(ApiKeys keys) {
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  /** The route needs a key that permits {@code scope}. */
  Handler<RoutingContext> require(Scope scope) {
    return ctx -> {
      Optional<ApiKey> key = authenticate(ctx);
      if (key.isEmpty()) return;
      if (!key.get().permits(scope)) {
        refuse(ctx, key.get(), scope);
        return;
      }
      admit(ctx, key.get());
    };
  }

  /** The route needs a valid key of any scope ({@code /metrics} when {@code metrics.auth} is on: it holds no secret). */
  Handler<RoutingContext> anyKey() {
    return ctx -> authenticate(ctx).ifPresent(key -> admit(ctx, key));
  }

  /** The key the request presents; else a 401 is answered, and a wrong key is a failed check. */
  private Optional<ApiKey> authenticate(RoutingContext ctx) {
    String authorization = ctx.request().getHeader("Authorization");
    Optional<ApiKey> key = keys.authenticate(authorization);
    if (key.isEmpty()) {
      if (authorization != null) Throttle.failedCheck(ctx);
      Reply.problem(ctx, Problem.apiKeyRequired());
    }
    return key;
  }

  /**
   * The route needs no key, but takes one ({@code /v1/forward-auth}, where {@code Authorization:
   * Bearer} may also carry the session token). When {@code Authorization} presents a configured key,
   * the key must permit {@code scope}, and the header is removed so that the handler takes the
   * session token from the cookie; anything else in it is left for the handler as a session token.
   */
  Handler<RoutingContext> optional(Scope scope) {
    return ctx -> {
      String authorization = ctx.request().getHeader("Authorization");
      Optional<ApiKey> key = authorization == null ? Optional.empty() : keys.authenticate(authorization);
      if (key.isEmpty()) {
        ctx.next();
        return;
      }
      if (!key.get().permits(scope)) {
        refuse(ctx, key.get(), scope);
        return;
      }
      ctx.request().headers().remove("Authorization");
      admit(ctx, key.get());
    };
  }

  private static void admit(RoutingContext ctx, ApiKey key) {
    ctx.put(KEY, key);
    ctx.put(BackendRoutes.ACTOR, key.name());
    ctx.next();
  }

  private static void refuse(RoutingContext ctx, ApiKey key, Scope needed) {
    String held = key.scopes().stream().map(Scope::wire).sorted().collect(Collectors.joining(", "));
    ctx.response().putHeader("WWW-Authenticate",
        "Bearer realm=\"curfew\", error=\"insufficient_scope\", scope=\"" + needed.wire() + "\"");
    Problem.insufficientScope(key.name(), held, needed.wire()).send(ctx.response(), Map.of("scope", needed.wire()));
  }
}

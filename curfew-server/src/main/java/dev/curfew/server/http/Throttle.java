package dev.curfew.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.server.security.ClientAddresses;
import dev.curfew.server.security.RateLimits;
import dev.curfew.server.security.RateLimits.Refusal;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@link RateLimits} at the HTTP edge, for the API and the gateway: the guards that refuse with
 * a 429 problem ({@code Retry-After} in seconds, and the member {@code limit} naming the limit),
 * and the accounting of failed checks. A handler that finds a presented token unknown says so with
 * {@link #failedCheck}; the guard of {@link #credentials} charges it once the answer is written: to
 * the API key that made the request, else to the client address.
 */
public final class Throttle {
  private static final String FAILED_CHECK = "curfew.failedCheck";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RateLimits limits;
  private final List<String> cookieNames;
  /** Whose X-Forwarded-For names the client on this port; null: {@code rate_limits.trusted_proxies}. */
  private final ClientAddresses addresses;

  /** @param cookieNames the session cookies whose presence makes a request present a credential */
  public Throttle(RateLimits limits, List<String> cookieNames) {
    this(limits, cookieNames, null);
  }

  /**
   * As above, on a port with its own trusted proxies (the gateway's {@code gateway.trusted_proxies}):
   * the client of a request is told by {@code addresses} instead of the limits' own list.
   */
  public Throttle(RateLimits limits, List<String> cookieNames, ClientAddresses addresses) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.cookieNames = List.copyOf(cookieNames);
    this.addresses = addresses;
  }

  private String clientKey(HttpServerRequest req) {
    String peer = req.remoteAddress() == null ? null : req.remoteAddress().hostAddress();
    List<String> forwardedFor = req.headers().getAll("X-Forwarded-For");
    return addresses == null ? limits.clientKey(peer, forwardedFor) : addresses.clientKey(peer, forwardedFor);
  }

  public RateLimits limits() {
    return limits;
  }

  /** Marks the request's check as failed: it presented a token (or API key) that is unknown here. */
  public static void failedCheck(RoutingContext ctx) {
    ctx.put(FAILED_CHECK, Boolean.TRUE);
  }

  /** {@link #failedCheck} when {@code d} refused a token as unknown (a token of an ended session is no failure). */
  static void checked(RoutingContext ctx, Decision d) {
    if (d.verdict() == Decision.Verdict.ENDED && d.reason() == EndReason.UNKNOWN) failedCheck(ctx);
  }

  /**
   * The first handler of every request: a request that presents a credential (a session cookie, or
   * {@code Authorization}) from an address whose failed checks are used up is refused before
   * anything looks at the credential; and the request's failed check, if any, is charged after.
   */
  public Handler<RoutingContext> credentials() {
    return ctx -> {
      if (!limits.enabled()) {
        ctx.next();
        return;
      }
      HttpServerRequest req = ctx.request();
      String client = clientKey(req);
      ctx.addHeadersEndHandler(v -> {
        if (ctx.get(FAILED_CHECK) == null) return;
        ApiKey key = ctx.get(ApiAccess.KEY);
        if (key != null) {
          limits.failedCheckOf(key.name());
        } else {
          limits.failedCheckFrom(client);
        }
      });
      if (presentsCredential(req)) {
        Refusal r = limits.failedChecksFrom(client);
        if (r != null) {
          refuse(ctx, r);
          return;
        }
      }
      ctx.next();
    };
  }

  /**
   * Before a form that carries a credential in its body (the console's sign-in): an address whose
   * failed checks are used up is refused before the credential is looked at. The form's handler
   * marks a wrong credential with {@link #failedCheck}.
   */
  public Handler<RoutingContext> addressFailures() {
    return ctx -> {
      if (limits.enabled()) {
        HttpServerRequest req = ctx.request();
        String client = clientKey(req);
        Refusal r = limits.failedChecksFrom(client);
        if (r != null) {
          refuse(ctx, r);
          return;
        }
      }
      ctx.next();
    };
  }

  /** After {@link ApiAccess}: a key whose failed checks are used up checks no more tokens for a while. */
  Handler<RoutingContext> keyFailures() {
    return ctx -> {
      ApiKey key = ctx.get(ApiAccess.KEY);
      Refusal r = key == null ? null : limits.failedChecksOf(key.name());
      if (r != null) {
        refuse(ctx, r);
        return;
      }
      ctx.next();
    };
  }

  /**
   * Before {@code POST /v1/sessions}: the limits per API key and per subject. A body without a
   * string {@code subject} passes: the handler answers it with its 400.
   */
  Handler<RoutingContext> open() {
    return ctx -> {
      String subject = limits.enabled() ? subject(ctx) : null;
      if (subject == null) {
        ctx.next();
        return;
      }
      ApiKey key = ctx.get(ApiAccess.KEY);
      Reply.when(ctx, limits.open(key == null ? null : key.name(), subject), r -> {
        if (r != null) {
          refuse(ctx, r);
        } else {
          ctx.next();
        }
      });
    };
  }

  private static String subject(RoutingContext ctx) {
    try {
      JsonNode body = JSON.readTree(JsonBodies.bytes(ctx));
      JsonNode s = body == null ? null : body.get("subject");
      return s != null && s.isTextual() ? s.asText() : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A 429 problem for {@code r}. */
  public static void refuse(RoutingContext ctx, Refusal r) {
    ctx.response().putHeader("Retry-After", Long.toString(r.retryAfterSeconds()));
    Problem.tooManyRequests(r.detail()).send(ctx.response(), Map.of("limit", r.limit()));
  }

  private boolean presentsCredential(HttpServerRequest req) {
    if (req.getHeader("Authorization") != null) return true;
    if (cookieNames.isEmpty() || req.getHeader("Cookie") == null) return false;
    for (String name : cookieNames) {
      if (req.getCookie(name) != null) return true;
    }
    return false;
  }
}

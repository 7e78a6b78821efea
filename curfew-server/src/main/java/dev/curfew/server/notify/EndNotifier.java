package dev.curfew.server.notify;

import dev.curfew.core.Decision;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SessionStatus;
import dev.curfew.server.http.JsonBodies;
import dev.curfew.server.oidc.CompactJws;
import dev.curfew.server.oidc.JwsAlgorithm;
import dev.curfew.server.oidc.LogoutSigningKeys;
import dev.curfew.server.http.SessionEventFanOut;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tells the apps that keep their own session state that a Curfew session has ended, so they end
 * theirs: signed webhooks, and OpenID Connect Back-Channel Logout 1.0 logout tokens. Each delivery
 * is retried with exponential backoff ({@code baseDelay}, doubling, at most {@code maxAttempts}
 * attempts) and every attempt's outcome is an audit record ({@code session.notified}).
 *
 * <p>Webhook: {@code POST} JSON {@code {"type": "session.ended", "event", "session_id", "subject",
 * "reason", "ended_at", "delivery_id"}} with {@code Curfew-Signature: t=<unix seconds>,v1=<hex>},
 * v1 = HMAC-SHA256(secret, t + "." + body). Receivers should reject a t far from their clock.
 *
 * <p>Back-channel logout: {@code POST} form {@code logout_token=<JWT>}, the JWT signed with the
 * current key of {@link LogoutSigningKeys} (RS256 unless configured otherwise) and published with
 * its {@code kid} at {@code /.well-known/jwks.json}, claims {@code iss}, {@code
 * aud}, {@code iat}, {@code exp}, {@code jti}, {@code sub}, {@code sid} (the session id) and {@code
 * events: {"http://schemas.openid.net/event/backchannel-logout": {}}}; no {@code nonce}.
 */
public final class EndNotifier implements SessionEventFanOut.EndingListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EndNotifier.class.getName());
  public static final String BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";
  /** How long a logout token is valid after it was issued. */
  static final Duration LOGOUT_TOKEN_LIFETIME = LogoutSigningKeys.TOKEN_LIFETIME;

  /** A webhook receiver and its HMAC secret. */
  public record Webhook(URI url, byte[] secret) {
    public Webhook {
      Objects.requireNonNull(url, "url");
      if (secret.length < 16) throw new IllegalArgumentException("webhook secret shorter than 16 bytes: " + url);
    }
  }

  /** An OpenID Connect relying party's back-channel logout endpoint. */
  public record BackchannelLogout(URI url, String issuer, String audience) {
    public BackchannelLogout {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(audience, "audience");
    }
  }

  /** Retry and timeout limits. */
  public record Settings(int maxAttempts, Duration baseDelay, Duration requestTimeout) {
    public Settings {
      if (maxAttempts < 1 || maxAttempts > 20) throw new IllegalArgumentException("maxAttempts not in 1-20: " + maxAttempts);
      if (baseDelay.toMillis() < 1) throw new IllegalArgumentException("baseDelay < 1ms: " + baseDelay);
    }

    public static Settings defaults() {
      return new Settings(6, Duration.ofSeconds(1), Duration.ofSeconds(10)); // 1+2+4+8+16 s: ~31 s in all
    }
  }

  private final SessionStore engine;
  private final List<Webhook> webhooks;
  private final List<BackchannelLogout> backchannel;
  private final LogoutSigningKeys signingKeys;
  private final Settings settings;
  private final HttpClient http;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "curfew-notify");
    t.setDaemon(true);
    return t;
  });

  public EndNotifier(SessionStore engine, List<Webhook> webhooks, List<BackchannelLogout> backchannel,
      LogoutSigningKeys signingKeys, Settings settings) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.webhooks = List.copyOf(webhooks);
    this.backchannel = List.copyOf(backchannel);
    this.signingKeys = Objects.requireNonNull(signingKeys, "signingKeys");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.http = HttpClient.newBuilder().connectTimeout(settings.requestTimeout()).build();
  }

  /**
   * The notifier that {@code cfg} describes, or null when it names no receiver. Webhook secrets come
   * from the environment; the signing key from {@code dataDir}, created on first use.
   */
  public static EndNotifier fromConfig(dev.curfew.server.config.CurfewConfig.NotifyConfig cfg, SessionStore engine,
      java.nio.file.Path dataDir, Map<String, String> env) throws java.io.IOException {
    if (cfg.webhooks().isEmpty() && cfg.backchannelLogout().isEmpty()) return null;
    List<Webhook> hooks = new java.util.ArrayList<>();
    for (int i = 0; i < cfg.webhooks().size(); i++) {
      var w = cfg.webhooks().get(i);
      hooks.add(new Webhook(URI.create(w.url()), secretOf(w, i, env).getBytes(StandardCharsets.UTF_8)));
    }
    List<BackchannelLogout> rps = new java.util.ArrayList<>();
    for (var b : cfg.backchannelLogout()) rps.add(new BackchannelLogout(URI.create(b.url()), b.issuer(), b.audience()));
    Settings settings = new Settings(cfg.maxAttempts(), Settings.defaults().baseDelay(), Settings.defaults().requestTimeout());
    JwsAlgorithm alg = JwsAlgorithm.named(cfg.signingAlg())
        .orElseThrow(() -> new dev.curfew.server.config.ConfigException("notify.signing_alg", "unknown: " + cfg.signingAlg()));
    return new EndNotifier(engine, hooks, rps, LogoutSigningKeys.open(dataDir, alg, new dev.curfew.core.SystemClock()),
        settings);
  }

  /** The secret of webhook {@code index}, from the environment variable its {@code secret_env} names. */
  public static String secretOf(dev.curfew.server.config.CurfewConfig.WebhookConfig w, int index, Map<String, String> env) {
    String secret = env.get(w.secretEnv());
    if (secret == null || secret.length() < 16) {
      throw new dev.curfew.server.config.ConfigException("notify.webhooks[" + index + "].secret_env", "the environment variable "
          + w.secretEnv() + (secret == null ? " is not set" : " is shorter than 16 characters")
          + ": it must hold the webhook secret (at least 16 characters)");
    }
    return secret;
  }

  /** The JWKS (RFC 7517) that verifies the logout tokens: the signing key and recently retired ones, each with its {@code kid}. */
  public Map<String, Object> jwks() {
    return signingKeys.jwks();
  }

  /** The key ring the logout tokens are signed with. */
  public LogoutSigningKeys signingKeys() {
    return signingKeys;
  }

  @Override
  public void sessionEnded(String sessionId, String event, Map<String, Object> data) {
    if (webhooks.isEmpty() && backchannel.isEmpty()) return;
    // Called under the session's lock: build and send on the notifier's own thread.
    timer.execute(() -> notifyAll(sessionId, event, String.valueOf(data.get("reason")), String.valueOf(data.get("expired_at"))));
  }

  private void notifyAll(String sessionId, String event, String reason, String endedAt) {
    engine.get(sessionId).whenComplete((d, err) -> {
      if (err != null) {
        LOG.log(System.Logger.Level.ERROR, "could not read " + sessionId + " to notify its end", err);
      } else if (d.status() != null) { // null: forgotten already, nothing can be said about it
        notifyAll(sessionId, event, reason, endedAt, d.status());
      }
    });
  }

  private void notifyAll(String sessionId, String event, String reason, String endedAt, SessionStatus s) {
    for (Webhook w : webhooks) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("type", "session.ended");
      body.put("event", event);
      body.put("session_id", sessionId);
      body.put("subject", s.subject());
      body.put("reason", reason);
      body.put("ended_at", endedAt);
      body.put("delivery_id", UUID.randomUUID().toString());
      String json = JsonBodies.writeString(body);
      deliver(sessionId, "webhook", w.url(), 1, () -> {
        long t = System.currentTimeMillis() / 1000;
        return HttpRequest.newBuilder(w.url()).timeout(settings.requestTimeout())
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Curfew-Signature", "t=" + t + ",v1=" + hmacHex(w.secret(), t + "." + json))
            .POST(HttpRequest.BodyPublishers.ofString(json)).build();
      });
    }
    for (BackchannelLogout b : backchannel) {
      deliver(sessionId, "backchannel_logout", b.url(), 1, () -> {
        // A fresh token per attempt: its iat/exp must hold when the relying party checks it.
        String form = "logout_token=" + URLEncoder.encode(logoutToken(b, s), StandardCharsets.UTF_8);
        return HttpRequest.newBuilder(b.url()).timeout(settings.requestTimeout())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form)).build();
      });
    }
  }

  private void deliver(String sessionId, String kind, URI url, int attempt,
      java.util.function.Supplier<HttpRequest> request) {
    http.sendAsync(request.get(), HttpResponse.BodyHandlers.discarding()).whenComplete((resp, err) -> {
      int status = resp == null ? 0 : resp.statusCode();
      boolean ok = status >= 200 && status < 300;
      boolean last = attempt >= settings.maxAttempts();
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("kind", kind);
      data.put("target", url.toString());
      data.put("attempt", (long) attempt);
      data.put("outcome", ok ? "delivered" : last ? "gave_up" : "failed");
      data.put("http_status", (long) status);
      if (err != null) data.put("error", err.getClass().getSimpleName());
      try {
        engine.recordNotification(sessionId, data);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.ERROR, "could not audit a notification of " + sessionId, e);
      }
      if (ok || last) {
        if (!ok) LOG.log(System.Logger.Level.WARNING, kind + " to " + url + " gave up after " + attempt + " attempts");
        return;
      }
      long delayMs = settings.baseDelay().toMillis() << Math.min(attempt - 1, 20);
      timer.schedule(() -> deliver(sessionId, kind, url, attempt + 1, request), delayMs, TimeUnit.MILLISECONDS);
    });
  }

  /**
   * The logout token of OpenID Connect Back-Channel Logout 1.0 §2.4, signed with the current key:
   * explicitly typed {@code logout+jwt} (§2.4) and naming its key by {@code kid}.
   */
  String logoutToken(BackchannelLogout b, SessionStatus s) {
    long iat = System.currentTimeMillis() / 1000;
    LogoutSigningKeys.SigningKey key = signingKeys.current();
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("alg", key.alg().name());
    header.put("typ", "logout+jwt");
    header.put("kid", key.kid());
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", b.issuer());
    claims.put("aud", b.audience());
    claims.put("iat", iat);
    claims.put("exp", iat + LOGOUT_TOKEN_LIFETIME.toSeconds());
    claims.put("jti", UUID.randomUUID().toString());
    claims.put("sub", s.subject());
    claims.put("sid", s.sessionId());
    claims.put("events", Map.of(BACKCHANNEL_EVENT, Map.of()));
    return CompactJws.sign(header, claims, key.alg(), key.privateKey());
  }

  static String hmacHex(byte[] secret, String message) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal(message.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static String b64url(byte[] b) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}

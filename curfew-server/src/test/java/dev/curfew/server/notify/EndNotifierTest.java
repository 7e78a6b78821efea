package dev.curfew.server.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.audit.Ed25519Keys;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.metrics.CurfewMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EndNotifierTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final byte[] SECRET = "whsec-0123456789abcdef".getBytes(StandardCharsets.UTF_8);

  final Vertx vertx = Vertx.vertx();
  final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T22:00:00.000Z"));
  final MemoryAuditSink sink = new MemoryAuditSink();
  final EventHub hub = new EventHub(vertx);
  final SessionEventFanOut fanOut = new SessionEventFanOut(hub);
  final SessionEngine engine = new SessionEngine(clock, "node-1", new Policies(List.of(
      Policy.of("default", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 2)), "default"),
      sink, fanOut, null, SessionEngine.Limits.defaults());
  final LinkedBlockingQueue<String[]> hooks = new LinkedBlockingQueue<>();
  final LinkedBlockingQueue<String> logouts = new LinkedBlockingQueue<>();
  final AtomicInteger hookCalls = new AtomicInteger();
  final HttpServer receiver;
  EndNotifier notifier;
  ApiServer api;

  EndNotifierTest() throws Exception {
    receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      if (req.path().equals("/hook")) {
        hooks.add(new String[] {req.getHeader("Curfew-Signature"), body.toString()});
        // fails twice, then succeeds
        req.response().setStatusCode(hookCalls.incrementAndGet() <= 2 ? 500 : 200).end();
      } else {
        logouts.add(body.toString());
        req.response().setStatusCode(200).end();
      }
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    if (notifier != null) notifier.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  EndNotifier start(int maxAttempts) {
    String base = "http://127.0.0.1:" + receiver.actualPort();
    notifier = new EndNotifier(dev.curfew.core.SessionStore.of(engine),
        List.of(new EndNotifier.Webhook(URI.create(base + "/hook"), SECRET)),
        List.of(new EndNotifier.BackchannelLogout(URI.create(base + "/bcl"), "https://curfew.example", "app-1")),
        Ed25519Keys.generate(), new EndNotifier.Settings(maxAttempts, Duration.ofMillis(20), Duration.ofSeconds(5)));
    fanOut.addEndingListener(notifier);
    return notifier;
  }

  @Test
  void webhookIsSignedAndRetriedWithBackoffUntilDelivered_eachAttemptAudited() throws Exception {
    start(5);
    String token = engine.open("alice", null, java.util.Map.of()).token();
    String sid = engine.check(token, false).status().sessionId();
    engine.logout(token);

    for (int i = 0; i < 3; i++) {
      String[] got = hooks.poll(5, TimeUnit.SECONDS);
      assertThat(got).as("attempt " + (i + 1)).isNotNull();
      String t = got[0].replaceAll("^t=(\\d+),v1=[0-9a-f]{64}$", "$1");
      assertThat(got[0]).isEqualTo("t=" + t + ",v1=" + EndNotifier.hmacHex(SECRET, t + "." + got[1]));
      assertThat(Math.abs(Long.parseLong(t) - System.currentTimeMillis() / 1000)).isLessThan(30);
      JsonNode body = JSON.readTree(got[1]);
      assertThat(body.get("type").asText()).isEqualTo("session.ended");
      assertThat(body.get("session_id").asText()).isEqualTo(sid);
      assertThat(body.get("subject").asText()).isEqualTo("alice");
      assertThat(body.get("reason").asText()).isEqualTo("logged_out");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> notified("webhook").size() == 3);
    assertThat(notified("webhook")).extracting(n -> n.at("/data/outcome").asText())
        .containsExactly("failed", "failed", "delivered");
    assertThat(notified("webhook")).allSatisfy(n -> assertThat(n.get("session_id").asText()).isEqualTo(sid));
    Thread.sleep(200);
    assertThat(hookCalls.get()).isEqualTo(3); // no more after delivery
  }

  @Test
  void retriesAreBoundedAndTheLastAttemptIsRecordedAsGivingUp() throws Exception {
    start(2);
    String token = engine.open("bob", null, java.util.Map.of()).token();
    engine.revoke(engine.check(token, false).status().sessionId(), "admin", null);
    await().atMost(Duration.ofSeconds(5)).until(() -> notified("webhook").size() == 2);
    Thread.sleep(200);
    assertThat(hookCalls.get()).isEqualTo(2);
    assertThat(notified("webhook")).extracting(n -> n.at("/data/outcome").asText()).containsExactly("failed", "gave_up");
  }

  @Test
  void backchannelLogoutTokenVerifiesWithThePublishedJwksAndHasTheRightClaims() throws Exception {
    start(3);
    api = new ApiServer(vertx, engine, hub, ApiKeys.of(List.of()), null,
        new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), ApiServer.Settings.defaults().withInstances(1));
    api.publishJwks(notifier.jwks());
    int port = api.listen("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);

    String token = engine.open("carol", null, java.util.Map.of()).token();
    String sid = engine.check(token, false).status().sessionId();
    engine.logout(token);
    String form = logouts.poll(5, TimeUnit.SECONDS);
    assertThat(form).startsWith("logout_token=");
    String jwt = URLDecoder.decode(form.substring("logout_token=".length()), StandardCharsets.UTF_8);
    String[] parts = jwt.split("\\.");
    assertThat(parts).hasSize(3);

    HttpResponse<String> jwksResp = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/.well-known/jwks.json")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(jwksResp.statusCode()).isEqualTo(200);
    JsonNode key = JSON.readTree(jwksResp.body()).get("keys").get(0);
    JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
    assertThat(header.get("alg").asText()).isEqualTo("EdDSA");
    assertThat(header.get("typ").asText()).isEqualTo("logout+jwt");
    assertThat(header.get("kid").asText()).isEqualTo(key.get("kid").asText());
    assertThat(key.get("kty").asText()).isEqualTo("OKP");
    assertThat(key.get("crv").asText()).isEqualTo("Ed25519");

    Signature verify = Signature.getInstance("Ed25519");
    verify.initVerify(Ed25519Keys.publicKey(Base64.getUrlDecoder().decode(key.get("x").asText())));
    verify.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(verify.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();

    JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
    assertThat(claims.get("iss").asText()).isEqualTo("https://curfew.example");
    assertThat(claims.get("aud").asText()).isEqualTo("app-1");
    assertThat(claims.get("sub").asText()).isEqualTo("carol");
    assertThat(claims.get("sid").asText()).isEqualTo(sid);
    assertThat(claims.get("jti").asText()).isNotBlank();
    assertThat(claims.get("exp").asLong()).isGreaterThan(claims.get("iat").asLong());
    assertThat(Math.abs(claims.get("iat").asLong() - System.currentTimeMillis() / 1000)).isLessThan(30);
    assertThat(claims.get("events").has(EndNotifier.BACKCHANNEL_EVENT)).isTrue();
    assertThat(claims.get("events").get(EndNotifier.BACKCHANNEL_EVENT).isObject()).isTrue();
    assertThat(claims.has("nonce")).isFalse();
    await().atMost(Duration.ofSeconds(5)).until(() -> notified("backchannel_logout").size() == 1);
    api.close();
  }

  private List<JsonNode> notified(String kind) {
    return sink.lines().stream().map(l -> {
      try {
        return JSON.readTree(l);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }).filter(n -> n.get("type").asText().equals("session.notified") && n.at("/data/kind").asText().equals(kind)).toList();
  }
}

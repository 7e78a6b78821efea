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
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @org.junit.jupiter.api.io.TempDir java.nio.file.Path keyDir;
  final dev.curfew.core.ManualClock keyClock = new dev.curfew.core.ManualClock(java.time.Instant.parse("2026-11-26T22:00:00Z"));
  dev.curfew.server.oidc.LogoutSigningKeys keys;

  @AfterEach
  void close() throws Exception {
    if (notifier != null) notifier.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  EndNotifier start(int maxAttempts) {
    try {
      keys = dev.curfew.server.oidc.LogoutSigningKeys.open(keyDir, dev.curfew.server.oidc.JwsAlgorithm.RS256, keyClock);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    String base = "http://127.0.0.1:" + receiver.actualPort();
    notifier = new EndNotifier(dev.curfew.core.SessionStore.of(engine),
        List.of(new EndNotifier.Webhook(URI.create(base + "/hook"), SECRET)),
        List.of(new EndNotifier.BackchannelLogout(URI.create(base + "/bcl"), "https://curfew.example", "app-1")),
        keys, new EndNotifier.Settings(maxAttempts, Duration.ofMillis(20), Duration.ofSeconds(30)));
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
      String[] got = hooks.poll(30, TimeUnit.SECONDS);
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
    await().atMost(Duration.ofSeconds(30)).until(() -> notified("webhook").size() == 3);
    assertThat(notified("webhook")).extracting(n -> n.at("/data/outcome").asText())
        .containsExactly("failed", "failed", "delivered");
    assertThat(notified("webhook")).allSatisfy(n -> assertThat(n.get("session_id").asText()).isEqualTo(sid));
    Thread.sleep(200); // kept: a further call would come within the 20 ms back-off; a slow machine only weakens this
    assertThat(hookCalls.get()).isEqualTo(3); // no more after delivery
  }

  @Test
  void retriesAreBoundedAndTheLastAttemptIsRecordedAsGivingUp() throws Exception {
    start(2);
    String token = engine.open("bob", null, java.util.Map.of()).token();
    engine.revoke(engine.check(token, false).status().sessionId(), "admin", null);
    await().atMost(Duration.ofSeconds(30)).until(() -> notified("webhook").size() == 2);
    Thread.sleep(200); // kept: a further call would come within the 20 ms back-off; a slow machine only weakens this
    assertThat(hookCalls.get()).isEqualTo(2);
    assertThat(notified("webhook")).extracting(n -> n.at("/data/outcome").asText()).containsExactly("failed", "gave_up");
  }

  @Test
  void backchannelLogoutToken_isRs256WithAKid_andANimbusVerifierAcceptsItWithThePublishedJwks() throws Exception {
    start(3);
    api = new ApiServer(vertx, dev.curfew.core.SessionStore.of(engine), hub, ApiKeys.of(List.of()), null,
        new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), ApiServer.Settings.defaults().withInstances(1));
    api.publishJwks(notifier::jwks);
    api.publishDiscovery(dev.curfew.server.oidc.DiscoveryDocument.of("https://curfew.example", keys.algorithms()));
    int port = api.listen("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    String token = engine.open("carol", null, java.util.Map.of()).token();
    String sid = engine.check(token, false).status().sessionId();
    engine.logout(token);
    String form = logouts.poll(30, TimeUnit.SECONDS);
    assertThat(form).startsWith("logout_token=");
    String jwt = URLDecoder.decode(form.substring("logout_token=".length()), StandardCharsets.UTF_8);

    com.nimbusds.jose.jwk.JWKSet published = com.nimbusds.jose.jwk.JWKSet.parse(get(port, "/.well-known/jwks.json"));
    com.nimbusds.jwt.SignedJWT signed = com.nimbusds.jwt.SignedJWT.parse(jwt);
    assertThat(signed.getHeader().getAlgorithm()).isEqualTo(com.nimbusds.jose.JWSAlgorithm.RS256);
    assertThat(signed.getHeader().getType().toString()).isEqualTo("logout+jwt");
    com.nimbusds.jose.jwk.JWK key = published.getKeyByKeyId(signed.getHeader().getKeyID());
    assertThat(key).isNotNull();
    assertThat(key.getKeyType()).isEqualTo(com.nimbusds.jose.jwk.KeyType.RSA);
    assertThat(signed.verify(new com.nimbusds.jose.crypto.RSASSAVerifier(key.toRSAKey()))).isTrue();

    com.nimbusds.jwt.JWTClaimsSet claims = signed.getJWTClaimsSet();
    assertThat(claims.getIssuer()).isEqualTo("https://curfew.example");
    assertThat(claims.getAudience()).containsExactly("app-1");
    assertThat(claims.getSubject()).isEqualTo("carol");
    assertThat(claims.getStringClaim("sid")).isEqualTo(sid);
    assertThat(claims.getJWTID()).isNotBlank();
    assertThat(claims.getExpirationTime()).isAfter(claims.getIssueTime());
    assertThat(claims.getJSONObjectClaim("events")).containsKey(EndNotifier.BACKCHANNEL_EVENT);
    assertThat(claims.getClaims()).doesNotContainKey("nonce");
    await().atMost(Duration.ofSeconds(30)).until(() -> notified("backchannel_logout").size() == 1);

    JsonNode discovery = JSON.readTree(get(port, "/.well-known/openid-configuration"));
    assertThat(discovery.get("issuer").asText()).isEqualTo("https://curfew.example");
    assertThat(discovery.get("jwks_uri").asText()).isEqualTo("https://curfew.example/.well-known/jwks.json");
    assertThat(discovery.get("backchannel_logout_supported").asBoolean()).isTrue();
    assertThat(discovery.get("backchannel_logout_session_supported").asBoolean()).isTrue();
    assertThat(discovery.get("id_token_signing_alg_values_supported").get(0).asText()).isEqualTo("RS256");
    api.close();
  }

  @Test
  void rotation_newTokensUseTheNewKey_theOldStaysPublishedUntilItsTokensExpired() throws Exception {
    start(3);
    String oldKid = keys.current().kid();
    keyClock.advance(Duration.ofHours(1));
    String newKid = dev.curfew.server.oidc.LogoutSigningKeys.rotate(keyDir, dev.curfew.server.oidc.JwsAlgorithm.RS256, keyClock);
    awaitDirectoryChange(newKid);

    String token = engine.open("dave", null, java.util.Map.of()).token();
    engine.logout(token);
    String jwt = URLDecoder.decode(logouts.poll(30, TimeUnit.SECONDS).substring("logout_token=".length()), StandardCharsets.UTF_8);
    assertThat(com.nimbusds.jwt.SignedJWT.parse(jwt).getHeader().getKeyID()).isEqualTo(newKid);
    assertThat(kids()).containsExactly(newKid, oldKid);

    keyClock.advance(dev.curfew.server.oidc.LogoutSigningKeys.RETIRED_KEY_PUBLISHED_FOR.minusMillis(1));
    assertThat(kids()).containsExactly(newKid, oldKid);
    keyClock.advance(Duration.ofMillis(1));
    assertThat(kids()).containsExactly(newKid);
  }

  @Test
  void es256AndEdDsa_areSelectable_andVerifyWithNimbus() throws Exception {
    for (var alg : List.of(dev.curfew.server.oidc.JwsAlgorithm.ES256, dev.curfew.server.oidc.JwsAlgorithm.EdDSA)) {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(keyDir, alg.name());
      var ring = dev.curfew.server.oidc.LogoutSigningKeys.open(dir, alg, keyClock);
      var k = ring.current();
      String jwt = dev.curfew.server.oidc.CompactJws.sign(java.util.Map.of("alg", alg.name(), "kid", k.kid()),
          java.util.Map.of("iss", "https://curfew.example"), alg, k.privateKey());
      com.nimbusds.jose.jwk.JWK jwk = com.nimbusds.jose.jwk.JWKSet.parse(JsonBodiesBridge.write(ring.jwks())).getKeyByKeyId(k.kid());
      String[] parts = jwt.split("\\.");
      if (alg == dev.curfew.server.oidc.JwsAlgorithm.ES256) {
        assertThat(com.nimbusds.jwt.SignedJWT.parse(jwt).verify(new com.nimbusds.jose.crypto.ECDSAVerifier(jwk.toECKey())))
            .isTrue();
      } else { // Nimbus verifies Ed25519 only with Tink on the class path: the JDK checks it here
        Signature verify = Signature.getInstance("Ed25519");
        verify.initVerify(dev.curfew.core.audit.Ed25519Keys.publicKey(jwk.toOctetKeyPair().getDecodedX()));
        verify.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(verify.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();
      }
      java.nio.file.Path file;
      try (var files = java.nio.file.Files.list(dir.resolve("logout-keys"))) {
        file = files.findFirst().orElseThrow();
      }
      assertThat(java.nio.file.Files.getPosixFilePermissions(file))
          .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
  }

  /** The JSON writer the API uses, for handing a key set to Nimbus. */
  private static final class JsonBodiesBridge {
    static String write(Object o) throws Exception {
      return JSON.writeValueAsString(o);
    }
  }

  private List<String> kids() {
    @SuppressWarnings("unchecked")
    List<java.util.Map<String, Object>> ks = (List<java.util.Map<String, Object>>) keys.jwks().get("keys");
    return ks.stream().map(k -> (String) k.get("kid")).toList();
  }

  /** The ring notices a rotation by the directory's modification time; wait until it has. */
  private void awaitDirectoryChange(String kid) {
    await().atMost(Duration.ofSeconds(30)).until(() -> keys.current().kid().equals(kid));
  }

  private static String get(int port, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
    return r.body();
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

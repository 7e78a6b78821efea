package dev.curfew.server.oidc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStore;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.http.BackchannelLogoutRoutes;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.metrics.CurfewMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /v1/backchannel-logout/{provider}} against logout tokens made by Nimbus JOSE + JWT
 * playing two identity providers (RS256 and ES256), whose keys a small Vert.x server publishes as
 * JWKS. Every refused token leaves every session alive and is recorded; a valid one ends exactly
 * the sessions it names.
 */
class BackchannelLogoutTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String KC_ISSUER = "https://kc.example/realms/acme";
  static final String OKTA_ISSUER = "https://acme.okta.example";
  static final String ENTRA_ISSUER = "https://login.entra.example/tenant-1/v2.0";

  final Vertx vertx = Vertx.vertx();
  final ManualClock clock = new ManualClock(Instant.now());
  final MemoryAuditSink sink = new MemoryAuditSink();
  final EventHub hub = new EventHub(vertx);
  final SessionEngine engine = new SessionEngine(clock, "node-1", new Policies(List.of(
      Policy.of("default", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 2)), "default"),
      sink, new SessionEventFanOut(hub), null, SessionEngine.Limits.defaults());
  final AtomicReference<JWKSet> kcKeys = new AtomicReference<>();
  final AtomicReference<JWKSet> oktaKeys = new AtomicReference<>();
  final AtomicInteger kcFetches = new AtomicInteger();
  final HttpServer idp;
  final ApiServer api;
  final int port;
  RSAKey kcKey = RSAKeyGenerator(2048, "kc-1");
  final ECKey oktaKey = new ECKeyGenerator(Curve.P_256).keyID("okta-1").generate();
  final RSAKey entraKey = RSAKeyGenerator(2048, "entra-1");

  BackchannelLogoutTest() throws Exception {
    kcKeys.set(new JWKSet(kcKey.toPublicJWK()));
    oktaKeys.set(new JWKSet(oktaKey.toPublicJWK()));
    idp = vertx.createHttpServer().requestHandler(req -> {
      String self = "http://127.0.0.1:" + req.localAddress().port();
      // Providers known by their discovery document only: one honest, one naming another issuer.
      if (req.path().endsWith("/.well-known/openid-configuration")) {
        String issuer = req.path().startsWith("/entra/") ? ENTRA_ISSUER : "https://someone-else.example";
        req.response().putHeader("Content-Type", "application/json").end(new io.vertx.core.json.JsonObject()
            .put("issuer", issuer).put("jwks_uri", self + "/entra/keys").encode());
        return;
      }
      if (req.path().equals("/entra/keys")) {
        req.response().putHeader("Content-Type", "application/json").end(new JWKSet(entraKey.toPublicJWK()).toString(true));
        return;
      }
      if (req.path().equals("/kc/certs")) kcFetches.incrementAndGet();
      JWKSet set = req.path().equals("/kc/certs") ? kcKeys.get() : oktaKeys.get();
      req.response().putHeader("Content-Type", "application/json").end(set.toString(true));
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    String base = "http://127.0.0.1:" + idp.actualPort();
    HttpClient http = HttpClient.newHttpClient();
    SeenLogoutTokens seen = SeenLogoutTokens.inMemory(clock);
    IdentityProvider kc = new IdentityProvider("keycloak", KC_ISSUER, URI.create(base + "/kc/certs"), null, "curfew",
        Duration.ofMinutes(5));
    IdentityProvider okta = new IdentityProvider("okta", OKTA_ISSUER, URI.create(base + "/okta/keys"), null, "curfew-okta",
        Duration.ofMinutes(5));
    IdentityProvider entra = new IdentityProvider("entra", ENTRA_ISSUER, null,
        URI.create(base + "/entra/.well-known/openid-configuration"), "curfew-entra", Duration.ofMinutes(5));
    IdentityProvider liar = new IdentityProvider("liar", ENTRA_ISSUER, null,
        URI.create(base + "/liar/.well-known/openid-configuration"), "curfew-entra", Duration.ofMinutes(5));
    Map<String, LogoutTokenVerifier> verifiers = Map.of(
        "entra", new LogoutTokenVerifier(entra, new ProviderKeys(entra, http, clock, Duration.ofSeconds(30)), seen, clock),
        "liar", new LogoutTokenVerifier(liar, new ProviderKeys(liar, http, clock, Duration.ofSeconds(30)), seen, clock),
        "keycloak", new LogoutTokenVerifier(kc, new ProviderKeys(kc, http, clock, Duration.ofSeconds(30)), seen, clock),
        "okta", new LogoutTokenVerifier(okta, new ProviderKeys(okta, http, clock, Duration.ofSeconds(30)), seen, clock));
    api = new ApiServer(vertx, dev.curfew.core.SessionStore.of(engine), hub, ApiKeys.of(List.of()), null,
        new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), ApiServer.Settings.defaults().withInstances(1));
    api.backchannelLogout(new BackchannelLogoutRoutes(SessionStore.of(engine), verifiers, clock, 5_000));
    port = api.listen("127.0.0.1", 0).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static RSAKey RSAKeyGenerator(int bits, String kid) {
    try {
      return new RSAKeyGenerator(bits).keyID(kid).generate();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- valid tokens

  @Test
  void rs256TokenWithSid_endsExactlyTheSessionOfThatIdpSession_andIsAudited() throws Exception {
    Decision mine = open("alice@example.com", Map.of("idp", "keycloak", "idp_sid", "kc-sid-1"));
    Decision otherDevice = open("alice@example.com", Map.of("idp", "keycloak", "idp_sid", "kc-sid-2"));
    Decision bob = open("bob", Map.of());
    String jti = UUID.randomUUID().toString();

    HttpResponse<String> r = post("keycloak", kcToken(c -> c.jwtID(jti).claim("sid", "kc-sid-1").subject("f3a9")));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
    assertThat(engine.check(mine.token(), false).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    assertThat(engine.check(otherDevice.token(), false).allowed()).isTrue();
    assertThat(engine.check(bob.token(), false).allowed()).isTrue();
    JsonNode revoked = records("session.revoked").get(0);
    assertThat(revoked.get("session_id").asText()).isEqualTo(mine.status().sessionId());
    assertThat(revoked.at("/data/actor").asText()).isEqualTo("idp:keycloak");
    assertThat(revoked.at("/data/reason").asText()).isEqualTo("idp_logout");
    JsonNode logout = records("idp.logout").get(0);
    assertThat(logout.at("/data/outcome").asText()).isEqualTo("accepted");
    assertThat(logout.at("/data/jti").asText()).isEqualTo(jti);
    assertThat(logout.at("/data/provider").asText()).isEqualTo("keycloak");
  }

  @Test
  void es256TokenWithSubOnly_endsEverySessionOfTheSubject_butNoneLabelledWithAnotherProvider() throws Exception {
    Decision a1 = open("carol", Map.of());
    Decision a2 = open("carol", Map.of("idp_sid", "okta-sess-9"));
    Decision viaKeycloak = open("carol", Map.of("idp", "keycloak"));

    HttpResponse<String> r = post("okta", oktaToken(c -> c.subject("carol")));

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).get("ended").asInt()).isEqualTo(2);
    assertThat(engine.check(a1.token(), false).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    assertThat(engine.check(a2.token(), false).reason()).isEqualTo(EndReason.IDP_LOGOUT);
    assertThat(engine.check(viaKeycloak.token(), false).allowed()).isTrue();
  }

  @Test
  void aProviderKnownByItsDiscoveryDocument_hasItsKeysFoundThere_andOneWhoseDocumentNamesAnotherIssuerIsRefused()
      throws Exception {
    Decision dana = open("dana", Map.of("idp", "entra", "idp_sid", "entra-sid-1"));
    JWTClaimsSet claims = claims(ENTRA_ISSUER, "curfew-entra", c -> c.claim("sid", "entra-sid-1"));
    String token = sign(new RSASSASigner(entraKey), JWSAlgorithm.RS256, "entra-1", claims);

    assertRefused(post("liar", token), "names issuer");
    assertThat(engine.check(dana.token(), false).allowed()).isTrue();

    assertThat(post("entra", token).statusCode()).isEqualTo(200);
    assertThat(engine.check(dana.token(), false).reason()).isEqualTo(EndReason.IDP_LOGOUT);
  }

  // ---------------------------------------------------------------- refused tokens: nothing ends

  @Test
  void replayedToken_isRefused_andEndsNothing() throws Exception {
    String token = kcToken(c -> c.claim("sid", "kc-sid-1"));
    open("alice", Map.of("idp_sid", "kc-sid-1"));
    assertThat(post("keycloak", token).statusCode()).isEqualTo(200);
    Decision again = open("alice", Map.of("idp_sid", "kc-sid-1")); // a new login that happens to reuse the sid

    clock.advance(Duration.ofSeconds(1));
    HttpResponse<String> r = post("keycloak", token);

    assertRefused(r, "already received");
    assertThat(engine.check(again.token(), false).allowed()).isTrue();
  }

  @Test
  void everyInvalidToken_isRefusedWith400_recorded_andEndsNothing() throws Exception {
    Decision alice = open("alice", Map.of("idp_sid", "kc-sid-1"));
    RSAKey attacker = RSAKeyGenerator(2048, "kc-1"); // same kid, other key: a forged signature
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("wrong iss", kcToken(c -> c.issuer("https://evil.example")));
    cases.put("wrong aud", kcToken(c -> c.audience("someone-else")));
    cases.put("iat too old", kcToken(c -> c.issueTime(Date.from(Instant.ofEpochMilli(clock.millis()).minus(Duration.ofMinutes(7))))));
    cases.put("iat in the future", kcToken(c -> c.issueTime(Date.from(Instant.ofEpochMilli(clock.millis()).plus(Duration.ofMinutes(5))))));
    cases.put("exp passed", kcToken(c -> c.expirationTime(Date.from(Instant.ofEpochMilli(clock.millis()).minus(Duration.ofMinutes(2))))));
    cases.put("nonce present", kcToken(c -> c.claim("nonce", "n-0S6_WzA2Mj")));
    cases.put("events missing", kcToken(c -> c.claim("events", null)));
    cases.put("events without the logout event", kcToken(c -> c.claim("events", Map.of("http://example.com/other", Map.of()))));
    cases.put("neither sid nor sub", kcToken(c -> c.claim("sid", null).subject(null)));
    cases.put("jti missing", kcToken(c -> c.jwtID(null)));
    cases.put("forged signature", sign(new RSASSASigner(attacker), JWSAlgorithm.RS256, "kc-1", claims(KC_ISSUER, "curfew", c -> { })));
    cases.put("alg none", new PlainJWT(claims(KC_ISSUER, "curfew", c -> { })).serialize());
    cases.put("HS256 keyed with the public key", sign(new MACSigner(kcKey.toRSAPublicKey().getEncoded()),
        JWSAlgorithm.HS256, "kc-1", claims(KC_ISSUER, "curfew", c -> { })));
    cases.put("signature of another provider", oktaTokenFor(KC_ISSUER, "curfew"));
    cases.put("not a JWT", "not-a-jwt");

    int refusedBefore = 0;
    for (Map.Entry<String, String> c : cases.entrySet()) {
      clock.advance(Duration.ofSeconds(1)); // one refusal record per provider and second
      HttpResponse<String> r = post("keycloak", c.getValue());
      assertThat(r.statusCode()).as(c.getKey()).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).get("error").asText()).as(c.getKey()).isEqualTo("invalid_request");
      assertThat(r.headers().firstValue("Cache-Control")).as(c.getKey()).contains("no-store");
      assertThat(engine.check(alice.token(), false).allowed()).as(c.getKey()).isTrue();
      int refused = refusedBefore + 1;
      await().atMost(Duration.ofSeconds(30)).until(() -> records("idp.logout").size() == refused);
      assertThat(records("idp.logout").get(refused - 1).at("/data/outcome").asText()).as(c.getKey()).isEqualTo("refused");
      refusedBefore = refused;
    }
    assertThat(records("session.revoked")).isEmpty();
  }

  @Test
  void missingOrRepeatedFormField_andUnknownProvider_areRefused() throws Exception {
    HttpResponse<String> none = send("keycloak", "other=1");
    assertThat(none.statusCode()).isEqualTo(400);
    String t = kcToken(c -> { });
    String enc = URLEncoder.encode(t, StandardCharsets.UTF_8);
    assertThat(send("keycloak", "logout_token=" + enc + "&logout_token=" + enc).statusCode()).isEqualTo(400);
    assertThat(send("nobody", "logout_token=" + enc).statusCode()).isEqualTo(404);
  }

  // ---------------------------------------------------------------- key rotation at the provider

  @Test
  void rotationAtTheProvider_anUnknownKid_refetchesTheJwks_atMostOncePer30Seconds() throws Exception {
    open("alice", Map.of("idp_sid", "s1"));
    open("alice", Map.of("idp_sid", "s2"));
    open("alice", Map.of("idp_sid", "s3"));
    assertThat(post("keycloak", kcToken(c -> c.claim("sid", "s1"))).statusCode()).isEqualTo(200);
    assertThat(kcFetches.get()).isEqualTo(1);

    RSAKey next = RSAKeyGenerator(2048, "kc-2");
    kcKeys.set(new JWKSet(List.<JWK>of(next.toPublicJWK(), kcKey.toPublicJWK())));
    clock.advance(Duration.ofSeconds(31));
    kcKey = next;
    assertThat(post("keycloak", kcToken(c -> c.claim("sid", "s2"))).statusCode()).isEqualTo(200);
    assertThat(kcFetches.get()).isEqualTo(2);

    // A made-up kid right after: refused without asking the provider again.
    RSAKey made = RSAKeyGenerator(2048, "kc-3");
    kcKey = made;
    assertRefused(post("keycloak", kcToken(c -> c.claim("sid", "s3"))), "key id kc-3");
    assertThat(kcFetches.get()).isEqualTo(2);
    // Published later: after the interval, the next unknown kid reads the JWKS again.
    kcKeys.set(new JWKSet(List.<JWK>of(made.toPublicJWK(), next.toPublicJWK())));
    clock.advance(Duration.ofSeconds(30));
    assertThat(post("keycloak", kcToken(c -> c.claim("sid", "s3"))).statusCode()).isEqualTo(200);
    assertThat(kcFetches.get()).isEqualTo(3);
  }

  // ---------------------------------------------------------------- helpers

  private Decision open(String subject, Map<String, Object> attributes) {
    return engine.open(subject, null, attributes);
  }

  private void assertRefused(HttpResponse<String> r, String why) throws Exception {
    assertThat(r.statusCode()).isEqualTo(400);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("error").asText()).isEqualTo("invalid_request");
    assertThat(body.get("error_description").asText()).contains(why);
  }

  private JWTClaimsSet claims(String iss, String aud, Consumer<JWTClaimsSet.Builder> change) {
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(iss).audience(aud).subject("alice")
        .issueTime(Date.from(Instant.ofEpochMilli(clock.millis()))).expirationTime(Date.from(Instant.ofEpochMilli(clock.millis()).plus(Duration.ofMinutes(2))))
        .jwtID(UUID.randomUUID().toString()).claim("sid", "kc-sid-1")
        .claim("events", Map.of(LogoutTokenVerifier.BACKCHANNEL_EVENT, Map.of()));
    change.accept(b);
    return b.build();
  }

  private String kcToken(Consumer<JWTClaimsSet.Builder> change) throws Exception {
    return sign(new RSASSASigner(kcKey), JWSAlgorithm.RS256, kcKey.getKeyID(), claims(KC_ISSUER, "curfew", change));
  }

  private String oktaToken(Consumer<JWTClaimsSet.Builder> change) throws Exception {
    return sign(new ECDSASigner(oktaKey), JWSAlgorithm.ES256, oktaKey.getKeyID(), claims(OKTA_ISSUER, "curfew-okta",
        c -> {
          c.claim("sid", null);
          change.accept(c);
        }));
  }

  /** A token claiming to be Keycloak's, signed with Okta's key under Keycloak's key id. */
  private String oktaTokenFor(String iss, String aud) throws Exception {
    return sign(new ECDSASigner(oktaKey), JWSAlgorithm.ES256, "kc-1", claims(iss, aud, c -> { }));
  }

  private static String sign(JWSSigner signer, JWSAlgorithm alg, String kid, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).type(new JOSEObjectType("logout+jwt")).build(),
        claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  private HttpResponse<String> post(String provider, String token) throws Exception {
    return send(provider, "logout_token=" + URLEncoder.encode(token, StandardCharsets.UTF_8));
  }

  private HttpResponse<String> send(String provider, String form) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/v1/backchannel-logout/" + provider))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private List<JsonNode> records(String type) {
    return sink.lines().stream().map(l -> {
      try {
        return JSON.readTree(l);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }).filter(n -> n.get("type").asText().equals(type)).toList();
  }
}

package dev.curfew.interop.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.server.http.ApiKeys;
import dev.curfew.server.http.ApiServer;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.SessionEventFanOut;
import dev.curfew.server.metrics.CurfewMetrics;
import dev.curfew.server.notify.EndNotifier;
import dev.curfew.server.oidc.DiscoveryDocument;
import dev.curfew.server.oidc.JwsAlgorithm;
import dev.curfew.server.oidc.LogoutSigningKeys;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Curfew's logout tokens delivered to Spring Security's own back-channel logout endpoint (Spring
 * Boot 3.5, {@code oidcLogout().backChannel()}): the relying party accepts them (200, recorded as
 * delivered) and its session of that Curfew session ends, while its session of another does not.
 * The relying party learns Curfew's JWKS location from Curfew's discovery document.
 */
@SpringBootTest(classes = RelyingPartyApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SpringBackChannelLogoutTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static Curfew curfew;

  @LocalServerPort
  int rpPort;

  /** Curfew, in this JVM: engine, API (JWKS and discovery), and the notifier once the RP's port is known. */
  static final class Curfew {
    final Vertx vertx = Vertx.vertx();
    final MemoryAuditSink sink = new MemoryAuditSink();
    final EventHub hub = new EventHub(vertx);
    final SessionEventFanOut fanOut = new SessionEventFanOut(hub);
    final SessionEngine engine = new SessionEngine(new SystemClock(), "node-1", new Policies(List.of(
        Policy.of("default", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 2)), "default"),
        sink, fanOut, null, SessionEngine.Limits.defaults());
    final LogoutSigningKeys keys;
    final ApiServer api;
    final String issuer;
    EndNotifier notifier;

    Curfew() throws Exception {
      Path data = Files.createTempDirectory("curfew-rp-test");
      keys = LogoutSigningKeys.open(data, JwsAlgorithm.RS256, new SystemClock());
      api = new ApiServer(vertx, dev.curfew.core.SessionStore.of(engine), hub, ApiKeys.of(List.of()), null,
          new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), ApiServer.Settings.defaults().withInstances(1));
      api.publishJwks(keys::jwks);
      // The issuer is this API's own URL (Discovery 1.0 §4.3).
      issuer = "http://127.0.0.1:" + listenWithDiscovery();
    }

    private int listenWithDiscovery() throws Exception {
      // Reserve a port, then serve the discovery document naming it.
      int port;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        port = s.getLocalPort();
      }
      api.publishDiscovery(DiscoveryDocument.of("http://127.0.0.1:" + port, keys.algorithms()));
      return api.listen("127.0.0.1", port).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    void deliverTo(String backChannelUrl) {
      if (notifier != null) return;
      notifier = new EndNotifier(SessionStore.of(engine), List.of(),
          List.of(new EndNotifier.BackchannelLogout(URI.create(backChannelUrl), issuer, RelyingPartyApp.CLIENT_ID)),
          keys, new EndNotifier.Settings(1, Duration.ofMillis(50), Duration.ofSeconds(30)));
      fanOut.addEndingListener(notifier);
    }
  }

  @DynamicPropertySource
  static void curfewIsTheIssuer(DynamicPropertyRegistry props) throws Exception {
    if (curfew == null) curfew = new Curfew();
    JsonNode discovery = JSON.readTree(get(curfew.issuer + "/.well-known/openid-configuration", null).body());
    props.add("curfew.issuer", () -> discovery.get("issuer").asText());
    props.add("curfew.jwks-uri", () -> discovery.get("jwks_uri").asText());
  }

  @AfterAll
  static void stop() throws Exception {
    if (curfew.notifier != null) curfew.notifier.close();
    curfew.vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void curfewsLogoutTokenIsAcceptedBySpringSecurity_andEndsTheRpSessionOfThatCurfewSession() throws Exception {
    curfew.deliverTo("http://127.0.0.1:" + rpPort + "/logout/connect/back-channel/" + RelyingPartyApp.REGISTRATION);
    String rp = "http://127.0.0.1:" + rpPort;
    var ended = curfew.engine.open("alice", null, Map.of());
    var other = curfew.engine.open("alice", null, Map.of());
    String cookie = rpLogin(rp, "alice", ended.status().sessionId());
    String otherCookie = rpLogin(rp, "alice", other.status().sessionId());
    assertThat(get(rp + "/me", cookie).statusCode()).isEqualTo(200);
    assertThat(get(rp + "/me", cookie).body()).isEqualTo("alice");

    curfew.engine.logout(ended.token());

    await().atMost(Duration.ofSeconds(30)).until(() -> !notified().isEmpty());
    JsonNode attempt = notified().get(0);
    assertThat(attempt.at("/data/kind").asText()).isEqualTo("backchannel_logout");
    assertThat(attempt.at("/data/http_status").asInt()).as("Spring's answer to the delivery").isEqualTo(200);
    assertThat(attempt.at("/data/outcome").asText()).isEqualTo("delivered");
    await().atMost(Duration.ofSeconds(30)).until(() -> get(rp + "/me", cookie).statusCode() != 200);
    assertThat(get(rp + "/me", cookie).statusCode()).as("the ended RP session is sent to log in").isEqualTo(302);
    assertThat(get(rp + "/me", otherCookie).statusCode()).as("the RP session of another Curfew session lives").isEqualTo(200);
  }

  private static String rpLogin(String rp, String sub, String sid) throws Exception {
    HttpResponse<String> r = get(rp + "/test-login?sub=" + sub + "&sid=" + sid, null);
    assertThat(r.statusCode()).isEqualTo(200);
    return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("JSESSIONID=")).findFirst()
        .orElseThrow().split(";")[0];
  }

  private static List<JsonNode> notified() {
    return curfew.sink.lines().stream().map(l -> {
      try {
        return JSON.readTree(l);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }).filter(n -> n.get("type").asText().equals("session.notified")).toList();
  }

  private static HttpResponse<String> get(String url, String cookie) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (cookie != null) b.header("Cookie", cookie);
    return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}

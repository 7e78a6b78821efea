package dev.curfew.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.server.MalformedRequests;
import dev.curfew.server.RawExchange;
import dev.curfew.server.http.EventHub;
import dev.curfew.server.http.SessionEventFanOut;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Path tricks against a servlet-style upstream (issue 12, item 5): the gateway exempts {@code /login}
 * from the session check, and the upstream maps {@code /login/..;/secret} and its relatives to
 * {@code /secret}. No variant, fixed or generated, may reach the secret without a session; every one
 * is answered within the deadline by a 400 problem naming what was ambiguous, before the login
 * exemption, on every route including {@code /_curfew/*}.
 */
class GatewayAmbiguousPathTest {
  private static final long SEED = 0x5EC12E7L;
  private static final String PROBLEM = "urn:curfew:problem:ambiguous-path";

  private final Vertx vertx = Vertx.vertx();
  private final ServletStyleUpstream upstream = new ServletStyleUpstream();
  private final SessionEngine engine;
  private final Gateway gateway;
  private final int port;

  GatewayAmbiguousPathTest() {
    ManualClock clock = new ManualClock(Instant.parse("2026-11-26T22:00:00.000Z"));
    Policies policies = new Policies(List.of(
        Policy.of("default", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 2)), "default");
    EventHub hub = new EventHub(vertx);
    SessionEventFanOut fanOut = new SessionEventFanOut(hub);
    engine = new SessionEngine(clock, "node-1", policies, new MemoryAuditSink(), fanOut, null,
        SessionEngine.Limits.defaults());
    String up = "http://127.0.0.1:" + upstream.start(vertx);
    gateway = new Gateway(vertx, dev.curfew.core.SessionStore.of(engine), hub, List.of(
        GatewayFixture.route("/", up, null, "/login", false, List.of("/api/poll"))),
        Gateway.Settings.defaults().withInstances(1).withUpstreamTimeout(Duration.ofSeconds(30)));
    fanOut.addEndingListener(gateway.endings());
    port = GatewayFixture.await(gateway.listen("127.0.0.1", 0));
  }

  @AfterEach
  void close() {
    GatewayFixture.await(gateway.close());
    GatewayFixture.await(vertx.close());
  }

  /** The tricks of the issue and their close relatives; each maps to /secret in the servlet-style upstream. */
  static final List<String> FIXED = List.of(
      "/login/..;/secret", "/login/..\\secret", "/login/..%5csecret", "/login/..%5Csecret", "/login/%2e%2e/secret",
      "/login/%2E%2E/secret", "/login/%252e%252e/secret", "/login/..%2fsecret", "/login/..%2Fsecret",
      "/login/.%2e/secret", "/login/%2e./secret", "/login;x=1/../secret", "/login/../secret", "/login/./../secret",
      "/login/x/../../secret", "/login/..%252fsecret", "/login/%c0%ae%c0%ae/secret", "/login/..%c0%afsecret",
      "/login/%ef%bc%8e%ef%bc%8e/secret", "/login/..%ef%bc%8fsecret", "/login//..//secret", "/login/..;jsessionid=x/secret",
      "/login/..%3b/secret", "/login/../secret%00.html", "/login/%2e%2e/secret%00", "/login/%2e%2e/secret%2500.js",
      "/login/x/..;/..;/secret", "/login\\..\\secret", "/_curfew/..;/secret", "/_curfew/curfew.js/..;/..;/secret",
      "/_curfew/session/..%2f..%2fsecret", "/api/poll/..;/..;/secret", "/login/%2e%2e%2fsecret", "/login/..%255csecret");

  @Test
  void theUpstreamServesTheSecretToASessionAndMapsEveryFixedTrickToIt() {
    for (String t : FIXED) assertThat(ServletStyleUpstream.map(t)).as(t).isEqualTo("/secret");
    // A session of this route (sessions are bound to where they may be used).
    String token = engine.open("alice", null, java.util.Map.of(), dev.curfew.core.Audience.route("/"), "gateway:/").token();
    RawExchange r = get("/secret", "Cookie: " + GatewayFixture.COOKIE + "=" + token + "\r\n");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).contains(ServletStyleUpstream.SECRET);
    assertThat(get("/login", "").status()).as("the login path passes without a session").isEqualTo(200);
  }

  @Test
  void noFixedTrickReachesTheSecret_eachIsA400ProblemNamingTheAmbiguity() {
    for (String t : FIXED) {
      RawExchange r = get(t, "");
      assertThat(r.status()).as(t + "\n" + r.head() + "\n" + r.body()).isEqualTo(400);
      assertThat(r.header("Content-Type")).as(t).startsWith("application/problem+json");
      assertThat(r.body()).as(t).contains("\"type\":\"" + PROBLEM + "\"").contains("\"title\"").contains("\"detail\"");
      assertThat(r.body()).as(t).doesNotContain(ServletStyleUpstream.SECRET);
    }
    assertThat(upstream.secretsServed.get()).isZero();
    assertThat(upstream.requests.get()).isZero();
  }

  @Test
  void noGeneratedVariantReachesTheSecret_withoutASession() {
    List<String> variants = generated(new Random(SEED), 1200);
    int n = 0;
    for (String t : variants) {
      RawExchange r = get(t, "");
      String what = "seed " + SEED + ", variant " + n + ": " + t + "\n" + r.head();
      assertThat(r.status()).as(what).isEqualTo(400);
      assertThat(r.body()).as(what).contains(PROBLEM).doesNotContain(ServletStyleUpstream.SECRET);
      n++;
    }
    assertThat(n).isEqualTo(variants.size());
    assertThat(upstream.secretsServed.get()).as("seed " + SEED).isZero();
    assertThat(upstream.requests.get()).as("seed " + SEED).isZero();
  }

  /** Encodings × positions × separators: a way up from a path that needs no session, then the secret. */
  static List<String> generated(Random random, int count) {
    List<String> starts = List.of("/login", "/login/x", "/login/x/y", "/login;a=b", "/_curfew/curfew.js",
        "/_curfew/session", "/api/poll", "/login%20", "/login/");
    List<String> ups = List.of("..", ".%2e", "%2e.", "%2e%2e", "%2E%2e", "%252e%252e", "%25%32%65%25%32%65",
        "%c0%ae%c0%ae", "%e0%80%ae%e0%80%ae", "%ef%bc%8e%ef%bc%8e", "..;", "..;x=1", ".%00.", "..%00", "%2e%2e;",
        "..%09", ".%u002e", "%%32%65%%32%65");
    List<String> seps = List.of("/", "\\", "%2f", "%2F", "%5c", "%5C", "%252f", "%255c", ";/", "/;/", "//", "/./",
        "/%2e/", "%ef%bc%8f", "%c0%af", "%e0%80%af", "%3b/", "/%00/", "%09/");
    List<String> targets = List.of("secret", "secret;x", "%73ecret", "secret%00.js", "secret/", "secret%3bx",
        "sec%72et", "SECRET".toLowerCase(java.util.Locale.ROOT));
    Set<String> out = new LinkedHashSet<>();
    while (out.size() < count) {
      StringBuilder b = new StringBuilder(pick(random, starts));
      int depth = 1 + random.nextInt(3);
      for (int i = 0; i < depth; i++) b.append(pick(random, seps)).append(pick(random, ups));
      b.append(pick(random, seps)).append(pick(random, targets));
      if (random.nextInt(4) == 0) b.append("?q=").append(random.nextInt(1000));
      out.add(b.toString());
    }
    return new ArrayList<>(out);
  }

  private static String pick(Random r, List<String> from) {
    return from.get(r.nextInt(from.size()));
  }

  @Test
  void everyRouteRefusesAmbiguousPaths_curfewsOwnIncluded_andNoControlByteIsEchoed() {
    for (String path : List.of("/_curfew/curfew.js", "/_curfew/session", "/_curfew/session/extend", "/api/poll",
        "/login", "/app")) {
      for (String trick : List.of("/%00", "/.", "/..", "/;x", "%2fx", "\\x", "//x", "/%01x", "/x%7f", "/%2e", "/%252e")) {
        for (String method : List.of("GET", "POST")) {
          RawExchange r = RawExchange.send(port, method + " " + path + trick + " HTTP/1.1\r\nHost: localhost\r\n"
              + "Content-Length: 0\r\nConnection: close\r\n\r\n", MalformedRequests.DEADLINE);
          String what = method + " " + path + trick;
          assertThat(r.status()).as(what).isEqualTo(400);
          assertThat(r.body()).as(what).contains(PROBLEM);
          assertThat(r.body().chars().noneMatch(c -> c < 0x20 || c == 0x7f)).as(what + ": " + r.body()).isTrue();
        }
      }
    }
    RawExchange raw = RawExchange.send(port, ("GET /login/\u0001/../secret HTTP/1.1\r\nHost: localhost\r\n"
        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1), MalformedRequests.DEADLINE);
    assertThat(raw.status()).isEqualTo(400);
    assertThat(raw.body().chars().noneMatch(c -> c < 0x20 || c == 0x7f)).as(raw.body()).isTrue();
    assertThat(upstream.requests.get()).isZero();
  }

  @Test
  void ordinaryPathsStillPass() {
    for (String ok : List.of("/login", "/login/", "/login/step-2?x=%2e%2e%2f", "/login/caf%C3%A9", "/login/a%20b",
        "/login/100%25", "/login/a:b@c,d+e=f!$&'()*", "/login/%E2%82%AC", "/login/a.b/c..d/...")) {
      RawExchange r = get(ok, "");
      assertThat(r.status()).as(ok + "\n" + r.body()).isEqualTo(200);
    }
    RawExchange options = RawExchange.send(port, "OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        MalformedRequests.DEADLINE);
    assertThat(options.status()).as(options.head()).isBetween(200, 499).isNotEqualTo(400);
  }

  private RawExchange get(String target, String headers) {
    return RawExchange.send(port, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n" + headers
        + "Connection: close\r\n\r\n", MalformedRequests.DEADLINE);
  }
}

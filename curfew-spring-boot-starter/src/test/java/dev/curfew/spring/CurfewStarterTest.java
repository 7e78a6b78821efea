package dev.curfew.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.client.CurfewClient;
import dev.curfew.client.CurfewProblem;
import dev.curfew.client.CurfewServerProcess;
import dev.curfew.client.SessionStatus;
import dev.curfew.core.audit.Json;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter in a plain Spring Boot app with form login (StarterTestApp), against a real
 * {@code curfew serve}: the session opened at sign-in, activity and passive requests, curfew.js's
 * endpoints, an ended session ending the app's, and logout ending Curfew's. Tomcat has
 * {@value #REQUEST_THREADS} request threads, so that what holds one for long shows.
 */
@SpringBootTest(classes = StarterTestApp.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"server.tomcat.threads.max=" + CurfewStarterTest.REQUEST_THREADS, "server.tomcat.threads.min-spare=1"})
class CurfewStarterTest {
  static final int REQUEST_THREADS = 4;
  static final String APP_KEY = "shop-app-key-for-starter-tests-0001";
  static CurfewServerProcess curfew;
  static CurfewClient admin;

  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void curfew(DynamicPropertyRegistry registry) throws Exception {
    curfew = CurfewServerProcess.start(Files.createTempDirectory("curfew-starter-test"), """
        api_keys:
          - name: shop
            key_env: CURFEW_TEST_SHOP_KEY
            scopes: [app]
        """, Map.of("CURFEW_TEST_SHOP_KEY", APP_KEY));
    admin = CurfewClient.builder(curfew.uri()).apiKey(CurfewServerProcess.ADMIN_KEY).build();
    registry.add("curfew.url", () -> curfew.uri().toString());
    registry.add("curfew.api-key", () -> APP_KEY);
    registry.add("curfew.passive-paths", () -> "/poll");
  }

  @AfterAll
  static void stop() throws Exception {
    if (curfew != null) curfew.close();
  }

  /** Signs in and answers the Curfew session id the app sees. */
  private String signIn(BrowserLike browser) {
    HttpResponse<String> login = browser.login("alice", "wonderland");
    assertThat(login.statusCode()).isEqualTo(302);
    HttpResponse<String> me = browser.get("/me", "application/json");
    assertThat(me.statusCode()).isEqualTo(200);
    Map<String, Object> body = Json.parseObject(me.body());
    assertThat(body).containsEntry("subject", "alice");
    return (String) body.get("session_id");
  }

  @Test
  void signingInOpensACurfewSession_whichEveryRequestKeepsAliveUnlessPassive() {
    BrowserLike browser = new BrowserLike(port);
    assertThat(browser.get("/me", "text/html").statusCode()).isEqualTo(302); // not signed in: Spring's login
    String sessionId = signIn(browser);
    SessionStatus opened = admin.sessionById(sessionId);
    assertThat(opened.subject()).isEqualTo("alice");
    assertThat(opened.audience()).containsExactly("app:shop");
    assertThat(signInAgainSeesTheSameSession(browser)).isEqualTo(sessionId);

    Instant before = admin.sessionById(sessionId).lastActivityAt();
    await().atMost(Duration.ofSeconds(30)).until(() -> Instant.now().isAfter(before.plusMillis(5)));
    assertThat(browser.get("/poll", "application/json").statusCode()).isEqualTo(200);
    assertThat(admin.sessionById(sessionId).lastActivityAt()).isEqualTo(before);
    assertThat(browser.get("/me", "application/json").statusCode()).isEqualTo(200);
    assertThat(admin.sessionById(sessionId).lastActivityAt()).isAfter(before);
  }

  private static String signInAgainSeesTheSameSession(BrowserLike browser) {
    return (String) Json.parseObject(browser.get("/me", "application/json").body()).get("session_id");
  }

  @Test
  void theFirstRequestsAfterSignInTogetherOpenOneSession() throws Exception {
    BrowserLike browser = new BrowserLike(port);
    assertThat(browser.login("alice", "wonderland").statusCode()).isEqualTo(302);
    java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> together = java.util.stream.IntStream.range(0, 6)
        .mapToObj(i -> java.util.concurrent.CompletableFuture.supplyAsync(() -> browser.get("/me", "application/json")))
        .toList();
    java.util.Set<Object> ids = new java.util.HashSet<>();
    for (var r : together) ids.add(Json.parseObject(r.get(30, java.util.concurrent.TimeUnit.SECONDS).body()).get("session_id"));
    assertThat(ids).hasSize(1);
  }

  @Test
  void curfewJsEndpointsAreServedWithTheAppsSession() {
    BrowserLike browser = new BrowserLike(port);
    assertThat(browser.get("/_curfew/session", "application/json").statusCode()).isEqualTo(401);
    HttpResponse<String> script = browser.get("/_curfew/curfew.js", "*/*");
    assertThat(script.statusCode()).isEqualTo(200);
    assertThat(script.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/javascript"));
    assertThat(script.body()).contains("curfew");

    String sessionId = signIn(browser);
    HttpResponse<String> status = browser.get("/_curfew/session", "application/json");
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(Json.parseObject(status.body())).containsEntry("session_id", sessionId).doesNotContainKey("token");

    HttpResponse<String> extended = browser.call("POST", "/_curfew/session/extend", "Sec-Fetch-Site", "same-origin");
    assertThat(extended.statusCode()).isEqualTo(200);
    assertThat(Json.parseObject(extended.body())).containsEntry("extensions_used", 1L);
    assertThat(admin.sessionById(sessionId).extensionsUsed()).isEqualTo(1);

    HttpResponse<String> crossSite = browser.call("POST", "/_curfew/session/extend", "Origin", "http://evil.example");
    assertThat(crossSite.statusCode()).isEqualTo(403);
    assertThat(admin.sessionById(sessionId).extensionsUsed()).isEqualTo(1);
    assertThat(browser.call("PUT", "/_curfew/session").statusCode()).isEqualTo(405);
    assertThat(browser.get("/_curfew/other", "application/json").statusCode()).isEqualTo(404);

    assertThat(browser.call("DELETE", "/_curfew/session", "Sec-Fetch-Site", "same-origin").statusCode()).isEqualTo(204);
    assertThat(gone(sessionId).reason()).hasValue("logged_out");
    assertThat(browser.get("/me", "text/html").statusCode()).isEqualTo(302); // the app's session ended too
  }

  @Test
  void aSessionCurfewEndedEndsTheAppsSession_pagesGoToTheLoginPathAndCallsGetTheProblem() {
    BrowserLike page = new BrowserLike(port);
    String sessionId = signIn(page);
    admin.revokeSession(sessionId);
    HttpResponse<String> navigation = page.get("/me?tab=2", "text/html");
    assertThat(navigation.statusCode()).isEqualTo(302);
    assertThat(navigation.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login?return=%2Fme%3Ftab%3D2"));
    HttpResponse<String> after = page.get("/me", "application/json"); // signed out: Spring's own entry point
    assertThat(after.statusCode()).isEqualTo(302);
    assertThat(after.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/login"));

    BrowserLike script = new BrowserLike(port);
    String other = signIn(script);
    admin.revokeSession(other);
    HttpResponse<String> call = script.get("/me", "application/json");
    assertThat(call.statusCode()).isEqualTo(401);
    assertThat(call.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(Json.parseObject(call.body())).containsEntry("reason", "revoked");
  }

  @Test
  void theLoginPathPassesUnchecked_andSigningInAgainAfterAnEndedSessionStartsAFreshOne() {
    BrowserLike page = new BrowserLike(port);
    String sessionId = signIn(page);
    admin.revokeSession(sessionId); // as an idle expiry curfew.js saw before the app did
    HttpResponse<String> login = page.get("/login?return=%2F", "text/html");
    assertThat(login.statusCode()).isNotEqualTo(302); // never /login?return=%2Flogin%3Freturn%3D%252F
    assertThat(page.get("/login/help", "text/html").statusCode()).isNotEqualTo(302);

    String fresh = signIn(page);
    assertThat(fresh).isNotEqualTo(sessionId);
    assertThat(admin.sessionById(fresh).subject()).isEqualTo("alice");
  }

  @Test
  void aChangeWithoutSecFetchSiteAndWithoutOriginIsRefused() {
    BrowserLike browser = new BrowserLike(port);
    String sessionId = signIn(browser);
    HttpResponse<String> bare = browser.call("POST", "/_curfew/session/extend");
    assertThat(bare.statusCode()).isEqualTo(403);
    assertThat(Json.parseObject(bare.body())).containsEntry("type", "urn:curfew:problem:cross-site-request");
    assertThat(admin.sessionById(sessionId).extensionsUsed()).isZero();
    HttpResponse<String> sameOrigin = browser.call("POST", "/_curfew/session/extend", "Origin", "http://localhost:" + port);
    assertThat(sameOrigin.statusCode()).isEqualTo(200);
    assertThat(browser.get("/_curfew/session", "application/json").statusCode()).isEqualTo(200); // reading needs neither
  }

  @Test
  void theEventStreamIsRelayedUntilTheSessionEnds() throws Exception {
    BrowserLike browser = new BrowserLike(port);
    String sessionId = signIn(browser);
    HttpResponse<java.util.stream.Stream<String>> events = browser.stream("/_curfew/session/events");
    assertThat(events.statusCode()).isEqualTo(200);
    assertThat(events.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
    java.util.concurrent.CompletableFuture<java.util.List<String>> names = java.util.concurrent.CompletableFuture.supplyAsync(() ->
        events.body().filter(l -> l.startsWith("event:")).map(l -> l.substring(6).trim()).toList());
    admin.revokeSession(sessionId); // the relay answered 200 only once Curfew's stream was open
    // The stream ends when Curfew closes it after the ending event.
    assertThat(names.get(30, java.util.concurrent.TimeUnit.SECONDS)).startsWith("status").endsWith("revoked");
    // Asked again, the ended session's stream is its problem, and the app's session ends with it.
    HttpResponse<String> again = browser.get("/_curfew/session/events", "text/event-stream");
    assertThat(again.statusCode()).isEqualTo(401);
    assertThat(again.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(Json.parseObject(again.body())).containsEntry("reason", "revoked");
    assertThat(browser.get("/me", "text/html").statusCode()).as("signed out of the app").isEqualTo(302);
  }

  /**
   * An open page keeps its event stream for as long as it is open; the relay holds no request
   * thread meanwhile, so more pages than the app has threads all get their events, and the app
   * still answers.
   */
  @Test
  void moreEventStreamsThanRequestThreads_allFlow_andTheAppStillAnswers() throws Exception {
    int pages = REQUEST_THREADS * 2;
    java.util.List<BrowserLike> browsers = new java.util.ArrayList<>();
    java.util.List<String> sessionIds = new java.util.ArrayList<>();
    for (int i = 0; i < pages; i++) {
      BrowserLike b = new BrowserLike(port);
      sessionIds.add(signIn(b));
      browsers.add(b);
    }
    java.util.List<java.util.concurrent.CompletableFuture<String>> firstEvents = new java.util.ArrayList<>();
    java.util.List<java.util.concurrent.CompletableFuture<java.util.List<String>>> allEvents = new java.util.ArrayList<>();
    for (BrowserLike b : browsers) {
      java.util.concurrent.CompletableFuture<String> first = new java.util.concurrent.CompletableFuture<>();
      firstEvents.add(first);
      allEvents.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        HttpResponse<java.util.stream.Stream<String>> events = b.stream("/_curfew/session/events");
        return events.body().filter(l -> l.startsWith("event:")).map(l -> l.substring(6).trim())
            .peek(first::complete).toList();
      }));
    }
    try {
      for (var first : firstEvents) assertThat(first.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo("status");
      HttpResponse<String> me = java.util.concurrent.CompletableFuture.supplyAsync(() -> browsers.get(0).get("/me", "application/json"))
          .get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(me.statusCode()).isEqualTo(200);
    } finally {
      for (String id : sessionIds) admin.revokeSession(id); // each stream ends after its ending event
    }
    for (var all : allEvents) assertThat(all.get(30, java.util.concurrent.TimeUnit.SECONDS)).endsWith("revoked");
  }

  @Test
  void loggingOutOfTheAppEndsTheCurfewSession() {
    BrowserLike browser = new BrowserLike(port);
    String sessionId = signIn(browser);
    HttpResponse<String> logout = browser.logout();
    assertThat(logout.statusCode()).isEqualTo(302);
    assertThat(gone(sessionId).reason()).hasValue("logged_out");
  }

  @Test
  void anotherUserSigningInOnTheSameBrowserGetsASessionOfTheirOwn() throws Exception {
    BrowserLike browser = new BrowserLike(port);
    String alices = signIn(browser);
    // Bob signs in without alice logging out; Spring keeps the HTTP session's attributes across it.
    assertThat(browser.login("bob", "builder").statusCode()).isEqualTo(302);
    // His first requests come together: each is his, in one new session, none refused as logged out.
    java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> together = java.util.stream.IntStream
        .range(0, 6).mapToObj(i -> java.util.concurrent.CompletableFuture.supplyAsync(() -> browser.get("/me", "application/json")))
        .toList();
    java.util.Set<Object> ids = new java.util.HashSet<>();
    for (var r : together) {
      HttpResponse<String> answer = r.get(30, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      ids.add(Json.parseObject(answer.body()).get("session_id"));
    }
    assertThat(ids).hasSize(1);
    Map<String, Object> me = Json.parseObject(browser.get("/me", "application/json").body());
    assertThat(me).containsEntry("subject", "bob");
    assertThat(me.get("session_id")).isNotEqualTo(alices);
    assertThat(admin.sessionById((String) me.get("session_id")).subject()).isEqualTo("bob");
    assertThat(gone(alices).reason()).hasValue("logged_out");
  }

  private static CurfewProblem gone(String sessionId) {
    try {
      admin.sessionById(sessionId);
    } catch (CurfewProblem p) {
      assertThat(p.status()).isEqualTo(410);
      return p;
    }
    throw new AssertionError("session " + sessionId + " is still live");
  }
}

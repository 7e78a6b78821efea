package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.COOKIE;
import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.Decision;
import dev.curfew.server.gateway.GatewayFixture.Received;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GatewayProxyTest {
  static final ObjectMapper JSON = new ObjectMapper();
  private final GatewayFixture f = new GatewayFixture();

  @AfterEach
  void close() {
    f.close();
  }

  static JsonNode json(HttpResponse<String> r) throws Exception {
    return JSON.readTree(r.body());
  }

  static String sessionCookieOf(HttpResponse<String> r) {
    return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(COOKIE + "=")).findFirst()
        .orElseThrow(() -> new AssertionError("no session cookie in " + r.headers().map()));
  }

  @Test
  void loginHandoffOpensTheSessionAndSetsTheCookieWithExactAttributes() throws Exception {
    HttpResponse<String> r = f.send("POST", "/login?as=alice");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("<p>welcome</p>");
    assertThat(r.headers().firstValue("Curfew-Login")).isEmpty();
    String c = sessionCookieOf(r);
    List<String> attrs = List.of(c.split(";\\s*"));
    assertThat(attrs.subList(1, attrs.size())).containsExactlyInAnyOrder("Path=/", "Secure", "HttpOnly", "SameSite=Lax");
    String token = attrs.get(0).substring(COOKIE.length() + 1);
    Decision d = f.engine.check(token, false);
    assertThat(d.allowed()).isTrue();
    assertThat(d.status().subject()).isEqualTo("alice");
    assertThat(d.status().policy()).isEqualTo("default");

    HttpResponse<String> page = f.get("/home", "Cookie", attrs.get(0));
    assertThat(page.statusCode()).isEqualTo(200);
  }

  @Test
  void loginHandoffIsIgnoredOnARouteWithoutItAndFromClients() throws Exception {
    String token = f.login("bob");
    HttpResponse<String> r = f.get("/strict/login-other", "Cookie", cookie(token));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Curfew-Login")).isEmpty();
    assertThat(r.headers().allValues("Set-Cookie")).isEmpty();

    // A client-sent Curfew-Login never reaches the upstream and opens nothing.
    f.received.clear();
    HttpResponse<String> c = f.get("/home", "Cookie", cookie(token), "Curfew-Login", "subject=root");
    assertThat(c.headers().allValues("Set-Cookie")).isEmpty();
    assertThat(f.lastReceived().headers().get("Curfew-Login")).isNull();
    assertThat(f.engine.sessionsOf("root")).isEmpty();
  }

  @Test
  void pageNavigationWithoutSessionIsRedirectedToLoginWithReturnUrl() {
    HttpResponse<String> r = f.get("/reports/q3?year=2026&x=a%20b", "Accept", "text/html,application/xhtml+xml");
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue("/login?return=%2Freports%2Fq3%3Fyear%3D2026%26x%3Da%2520b");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(f.received).isEmpty();

    HttpResponse<String> nav = f.get("/a", "Sec-Fetch-Mode", "navigate");
    assertThat(nav.statusCode()).isEqualTo(303);
  }

  @Test
  void theBrowsersFetchMetadataDecides_aFormPostIsANavigation_aFetchOfHtmlIsNot() throws Exception {
    HttpResponse<String> form = f.send("POST", "/orders/new", "Sec-Fetch-Mode", "navigate", "Accept", "text/html");
    assertThat(form.statusCode()).as("a form submitted after the end: to the login page, as a GET").isEqualTo(303);
    assertThat(form.headers().firstValue("Location")).hasValue("/login?return=%2Forders%2Fnew");
    HttpResponse<String> fetch = f.get("/fragment", "Sec-Fetch-Mode", "cors", "Accept", "text/html");
    assertThat(fetch.statusCode()).as("fetch('/fragment') asking for HTML: the script reads the reason").isEqualTo(401);
    assertThat(json(fetch).get("reason").asText()).isEqualTo("unknown");
    HttpResponse<String> img = f.get("/chart.png", "Sec-Fetch-Mode", "no-cors", "Accept", "text/html,image/*");
    assertThat(img.statusCode()).isEqualTo(401);
    assertThat(f.received).isEmpty();
  }

  @Test
  void returnUrlIsSameOriginOnly() {
    assertThat(SessionGate.loginLocation("/login", "//evil.example/x")).isEqualTo("/login?return=%2F");
    assertThat(SessionGate.loginLocation("/login", "http://evil.example/x")).isEqualTo("/login?return=%2F");
    assertThat(SessionGate.loginLocation("/login?app=1", "/a?b=c")).isEqualTo("/login?app=1&return=%2Fa%3Fb%3Dc");
  }

  @Test
  void apiCallWithoutSessionIsA401ProblemWithReason() throws Exception {
    HttpResponse<String> r = f.send("POST", "/api/orders", "Accept", "application/json");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(json(r).get("reason").asText()).isEqualTo("unknown");
    assertThat(r.headers().firstValue("Clear-Site-Data")).isEmpty(); // no cookie was sent: nothing to forget
    assertThat(f.received).isEmpty();
  }

  @Test
  void endedSessionAnswersCarryClearSiteDataAndAnExpiredCookie() throws Exception {
    String token = f.login("carol");
    f.advance(Duration.ofMinutes(16));
    HttpResponse<String> api = f.get("/api/x", "Cookie", cookie(token));
    assertThat(api.statusCode()).isEqualTo(401);
    assertThat(json(api).get("reason").asText()).isEqualTo("idle_timeout");
    assertEndedHeaders(api);

    HttpResponse<String> page = f.get("/dashboard", "Cookie", cookie(token), "Sec-Fetch-Mode", "navigate");
    assertThat(page.statusCode()).isEqualTo(303);
    assertThat(page.headers().firstValue("Location")).hasValue("/login?return=%2Fdashboard");
    assertEndedHeaders(page);

    String revoked = f.login("dave");
    f.engine.revoke(f.engine.check(revoked, false).status().sessionId(), "admin", null);
    HttpResponse<String> r = f.get("/api/x", "Cookie", cookie(revoked));
    assertThat(json(r).get("reason").asText()).isEqualTo("revoked");
    assertEndedHeaders(r);
    assertThat(f.received).isEmpty();
  }

  static void assertEndedHeaders(HttpResponse<String> r) {
    assertThat(r.headers().firstValue("Clear-Site-Data")).hasValue("\"cache\", \"cookies\", \"storage\"");
    String c = sessionCookieOf(r);
    assertThat(c).startsWith(COOKIE + "=;").contains("Max-Age=0").contains("Path=/").contains("Secure")
        .contains("HttpOnly").contains("SameSite=Lax");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
  }

  @Test
  void everyProxiedResponseIsNoStore() {
    String token = f.login("erin");
    HttpResponse<String> r = f.get("/cacheable", "Cookie", cookie(token));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().allValues("Cache-Control")).containsExactly("no-store");
    HttpResponse<String> login = f.get("/login/form");
    assertThat(login.headers().allValues("Cache-Control")).containsExactly("no-store");
  }

  @Test
  void upstreamNeverSeesTheSessionCookieNorClientCurfewHeadersButSeesTheVerifiedIdentity() throws Exception {
    String token = f.login("frank");
    f.get("/api/me", "Cookie", "theme=dark; " + cookie(token) + "; csrf=abc",
        "X-Curfew-Subject", "admin", "x-curfew-session-id", "forged", "X-Curfew-Passive", "1",
        // CGI, wsgiref and PHP read X_Curfew_Subject as X-Curfew-Subject (HTTP_X_CURFEW_SUBJECT)
        "X_Curfew_Subject", "admin", "x-curfew_session_id", "forged");
    Received got = f.lastReceived();
    assertThat(got.headers().names()).noneMatch(n -> n.replace('_', '-').toLowerCase(java.util.Locale.ROOT)
        .startsWith("x-curfew-") && n.contains("_"));
    assertThat(got.headers().getAll("Cookie")).containsExactly("theme=dark; csrf=abc");
    assertThat(got.headers().getAll("X-Curfew-Subject")).containsExactly("frank");
    String sid = f.engine.check(token, false).status().sessionId();
    assertThat(got.headers().getAll("X-Curfew-Session-Id")).containsExactly(sid);
    assertThat(got.headers().get("X-Curfew-Expires-At")).isEqualTo("2026-11-26T22:15:00.000Z");
    assertThat(got.headers().get("X-Curfew-Passive")).isNull();
    assertThat(got.headers().toString()).doesNotContain(token);
  }

  @Test
  void requestsReachTheUpstreamWithTheirPathAndQueryAndTouchTheSession() throws Exception {
    String token = f.login("gina");
    f.advance(Duration.ofMinutes(10));
    HttpResponse<String> r = f.get("/api/items?page=2", "Cookie", cookie(token));
    assertThat(json(r).get("uri").asText()).isEqualTo("/api/items?page=2");
    // touched: the idle deadline moved to now + 15 min
    assertThat(f.engine.check(token, false).status().idleExpiresAtMs())
        .isEqualTo(f.clock.millis() + Duration.ofMinutes(15).toMillis());
  }

  @Test
  void passivePathNeverMovesTheIdleDeadline() {
    String token = f.login("hank");
    long idle = f.engine.check(token, false).status().idleExpiresAtMs();
    for (int i = 0; i < 5; i++) {
      f.advance(Duration.ofMinutes(2));
      assertThat(f.get("/api/poll", "Cookie", cookie(token)).statusCode()).isEqualTo(200);
      assertThat(f.get("/api/poll/deeper?x=1", "Cookie", cookie(token)).statusCode()).isEqualTo(200);
    }
    assertThat(f.engine.check(token, false).status().idleExpiresAtMs()).isEqualTo(idle);
    f.advance(Duration.ofMinutes(6));
    assertThat(f.get("/api/poll", "Cookie", cookie(token)).statusCode()).isEqualTo(401);
  }

  @Test
  void dotSegmentsCannotPassAsTheLoginPath() {
    HttpResponse<String> r = f.get("/login/../admin");
    assertThat(r.statusCode()).as("refused as ambiguous before the exemption is looked at").isEqualTo(400);
    assertThat(f.received).isEmpty();
  }

  @Test
  void upstreamDownIsA502Problem() throws Exception {
    String token = f.login("ivan");
    HttpResponse<String> r = f.get("/down/x", "Cookie", cookie(token));
    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(json(r).get("status").asInt()).isEqualTo(502);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
  }

  @Test
  void upstreamTooSlowIsA504Problem() throws Exception {
    String token = f.login("judy");
    long t0 = System.nanoTime();
    HttpResponse<String> r = f.get("/slow", "Cookie", cookie(token));
    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(json(r).get("type").asText()).isEqualTo("urn:curfew:problem:upstream-timeout");
    // The upstream timeout (3 s here) answered, not the client's own: a generous bound for a loaded machine.
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void aBodyOver64KiBToTheSessionEndpoints_is413_andChangesNothing() throws Exception {
    String token = f.login("kyle");
    int before = json(f.get("/_curfew/session", "Cookie", cookie(token))).get("extensions_used").asInt();
    for (String path : List.of("/_curfew/session/extend", "/_curfew/session/activity")) {
      HttpResponse<String> r = f.http.send(java.net.http.HttpRequest.newBuilder(f.uri(path)).timeout(Duration.ofSeconds(30))
          .header("Cookie", cookie(token)).POST(java.net.http.HttpRequest.BodyPublishers.ofString("x".repeat(100_000)))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path).isEqualTo(413);
      assertThat(json(r).get("type").asText()).isEqualTo("urn:curfew:problem:payload-too-large");
    }
    assertThat(json(f.get("/_curfew/session", "Cookie", cookie(token))).get("extensions_used").asInt())
        .as("the refused extension was not used").isEqualTo(before);
  }

  @Test
  void curfewEndpointsAreServedByTheGatewayWithTheCookie() throws Exception {
    String token = f.login("kate");
    HttpResponse<String> s = f.get("/_curfew/session", "Cookie", cookie(token));
    assertThat(s.statusCode()).isEqualTo(200);
    assertThat(json(s).get("subject").asText()).isEqualTo("kate");
    assertThat(f.send("POST", "/_curfew/session/activity", "Cookie", cookie(token)).statusCode()).isEqualTo(200);
    assertThat(f.send("POST", "/_curfew/session/extend", "Cookie", cookie(token)).statusCode()).isEqualTo(200);
    // no warning was sent yet: nothing to acknowledge
    assertThat(f.send("POST", "/_curfew/session/warning-ack", "Cookie", cookie(token)).statusCode()).isEqualTo(409);
    HttpResponse<String> out = f.send("DELETE", "/_curfew/session", "Cookie", cookie(token));
    assertThat(out.statusCode()).isEqualTo(204);
    assertEndedHeaders(out);
    HttpResponse<String> after = f.get("/_curfew/session", "Cookie", cookie(token));
    assertThat(after.statusCode()).isEqualTo(401);
    assertThat(json(after).get("reason").asText()).isEqualTo("logged_out");
    assertEndedHeaders(after);
    assertThat(f.received).isEmpty();
  }

  @Test
  void curfewScriptIsServedFromTheClasspathOrIsA404Problem() {
    HttpResponse<String> r = f.get("/_curfew/curfew.js");
    if (Gateway.class.getResource(Gateway.SCRIPT_RESOURCE) == null) {
      assertThat(r.statusCode()).isEqualTo(404);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    } else {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
    }
    assertThat(f.get("/_curfew/other").statusCode()).isEqualTo(404);
    assertThat(f.received).isEmpty();
  }
}

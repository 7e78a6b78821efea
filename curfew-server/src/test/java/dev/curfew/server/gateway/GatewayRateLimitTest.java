package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.COOKIE;
import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
import dev.curfew.server.security.RateLimiter.Rate;
import dev.curfew.server.security.RateLimits;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rate limits at the gateway: failed cookie checks per address, extensions and handoff opens per subject. */
class GatewayRateLimitTest {
  private final ManualClock limitClock = new ManualClock(Instant.parse("2029-02-03T04:05:06.000Z"));
  private final GatewayFixture f = new GatewayFixture(Gateway.Settings.defaults().withInstances(2)
      .withUpstreamTimeout(Duration.ofSeconds(3))
      .withRateLimits(new RateLimits(new RateLimits.Settings(true, Rate.of(100, Duration.ofMinutes(1)),
          Rate.of(2, Duration.ofMinutes(1)), Rate.of(1, Duration.ofMinutes(1)), Rate.of(100, Duration.ofMinutes(1)),
          Rate.of(2, Duration.ofMinutes(1)), 1000, List.of()), limitClock)));

  @AfterEach
  void close() {
    f.close();
  }

  private static void assertLimited(HttpResponse<String> r, String limit) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("30");
    assertThat(r.body()).contains("\"limit\":\"" + limit + "\"");
  }

  @Test
  void unknownCookiesFromOneAddress_thenEvenAValidCookieIsRefusedBeforeTheUpstream() throws Exception {
    String token = f.login("alice");
    for (int i = 0; i < 2; i++) {
      assertThat(f.get("/home", "Cookie", cookie("cft_" + String.format("%043d", i))).statusCode()).isEqualTo(401);
    }
    f.received.clear();
    assertLimited(f.get("/home", "Cookie", cookie(token)), "failed_checks_per_address");
    assertLimited(f.get("/_curfew/session", "Cookie", cookie(token)), "failed_checks_per_address");
    assertThat(f.received).as("nothing reached the upstream").isEmpty();
    // without a credential the login page and the script stay reachable
    assertThat(f.get("/login").statusCode()).isEqualTo(200);
    assertThat(f.get("/_curfew/curfew.js").statusCode()).isIn(200, 404);
    limitClock.advance(Duration.ofSeconds(30));
    assertThat(f.get("/home", "Cookie", cookie(token)).statusCode()).isEqualTo(200);
  }

  @Test
  void unknownBearerTokensOnAnMcpRouteAreFailedChecks_andRecordedRefusals() {
    try (GatewayFixture m = new GatewayFixture(Gateway.Settings.defaults().withInstances(2)
        .withUpstreamTimeout(Duration.ofSeconds(3)).withRateLimits(new RateLimits(new RateLimits.Settings(true,
            Rate.of(100, Duration.ofMinutes(1)), Rate.of(2, Duration.ofMinutes(1)), Rate.of(1, Duration.ofMinutes(1)),
            Rate.of(100, Duration.ofMinutes(1)), Rate.of(2, Duration.ofMinutes(1)), 1000, List.of()), limitClock)), true)) {
      String token = m.engine.open("agent-7", null, java.util.Map.of(), dev.curfew.core.Audience.of("mcp:/mcp"),
          "platform").token();
      String ended = m.engine.open("agent-8", null, java.util.Map.of(), dev.curfew.core.Audience.of("mcp:/mcp"),
          "platform").token();
      m.engine.logout(ended);
      for (int i = 0; i < 3; i++) {
        assertThat(m.get("/mcp", "Authorization", "Bearer " + ended).statusCode()).as("an ended session is no failure")
            .isEqualTo(401);
      }
      for (int i = 0; i < 2; i++) {
        HttpResponse<String> r = m.get("/mcp", "Authorization", "Bearer cft_" + String.format("%043d", i));
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(r.body()).contains("\"reason\":\"unknown\"");
      }
      m.received.clear();
      assertLimited(m.get("/mcp", "Authorization", "Bearer " + token), "failed_checks_per_address");
      assertThat(m.received).as("nothing reached the upstream").isEmpty();
      assertThat(m.sink.records()).filteredOn(r -> r.type().equals("connection.refused"))
          .extracting(r -> r.data().get("why")).containsExactlyInAnyOrder("logged_out", "unknown");
      assertThat(m.sink.records()).filteredOn(r -> r.type().equals("connection.refused"))
          .allSatisfy(r -> assertThat(r.data()).containsEntry("protocol", "mcp").containsEntry("target", "/mcp"));
    }
  }

  @Test
  void endedSessionCookiesAreNotFailures() {
    String token = f.login("alice");
    f.engine.logout(token);
    for (int i = 0; i < 5; i++) assertThat(f.get("/home", "Cookie", cookie(token)).statusCode()).isEqualTo(401);
    assertThat(f.get("/home", "Cookie", cookie(f.login("bob"))).statusCode()).isEqualTo(200);
  }

  @Test
  void extensionsPerSubjectThroughTheSameOriginEndpoint() {
    String first = f.login("alice");
    String second = f.login("alice");
    assertThat(f.send("POST", "/_curfew/session/extend", "Cookie", cookie(first)).statusCode()).isEqualTo(200);
    HttpResponse<String> r = f.send("POST", "/_curfew/session/extend", "Cookie", cookie(second));
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.body()).contains("\"limit\":\"extend_per_subject\"");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("60");
  }

  @Test
  void anExtensionRefusedForAnotherOriginTakesNothingFromTheLimit() {
    String token = f.login("alice");
    for (String site : List.of("cross-site", "same-site")) {
      HttpResponse<String> r = f.send("POST", "/_curfew/session/extend", "Cookie", cookie(token), "Sec-Fetch-Site", site);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
    }
    HttpResponse<String> own = f.send("POST", "/_curfew/session/extend", "Cookie", cookie(token),
        "Sec-Fetch-Site", "same-origin");
    assertThat(own.statusCode()).as("the user's own extension: " + own.body()).isEqualTo(200);
  }

  @Test
  void loginHandoffsPerSubject_aRefusedOneOpensNothing() {
    assertThat(f.send("POST", "/login?as=carol").headers().allValues("Set-Cookie")).hasSize(1);
    assertThat(f.send("POST", "/login?as=carol").headers().allValues("Set-Cookie")).hasSize(1);
    int live = f.engine.liveSessions();
    HttpResponse<String> r = f.send("POST", "/login?as=carol");
    assertLimited(r, "open_per_subject");
    assertThat(r.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith(COOKIE + "="));
    assertThat(r.headers().firstValue("Curfew-Login")).isEmpty();
    assertThat(f.engine.liveSessions()).isEqualTo(live);
    assertThat(f.send("POST", "/login?as=dave").statusCode()).isEqualTo(200);
  }
}

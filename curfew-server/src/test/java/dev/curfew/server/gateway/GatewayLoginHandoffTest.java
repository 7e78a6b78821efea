package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.COOKIE;
import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import dev.curfew.core.Policy;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A login handoff ({@code Curfew-Login}) on a request outside the route's login path (issue 12,
 * item 8): honoured cleanly on a {@code login_handoff} route (the old session logged out, the new
 * cookie delivered with the app's whole answer, nothing orphaned), stripped and ignored elsewhere.
 */
class GatewayLoginHandoffTest {
  private final GatewayFixture f = new GatewayFixture();

  @AfterEach
  void close() {
    f.close();
  }

  static List<String> sessionCookies(HttpResponse<String> r) {
    return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(COOKIE + "=")).toList();
  }

  static String tokenOf(String setCookie) {
    return setCookie.substring(COOKIE.length() + 1, setCookie.indexOf(';'));
  }

  private long count(String type) {
    return f.sink.records().stream().filter(r -> r.type().equals(type)).count();
  }

  @Test
  void aHandoffOutsideTheLoginPathWhileASessionIsLiveReplacesItCleanly() throws Exception {
    String old = f.login("alice");
    String oldId = f.engine.check(old, false).status().sessionId();
    HttpResponse<String> r = f.get("/account/switch?as=bob", "Cookie", cookie(old));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("switched");
    assertThat(r.headers().firstValue("Curfew-Login")).isEmpty();
    List<String> set = sessionCookies(r);
    assertThat(set).hasSize(1);
    String token = tokenOf(set.get(0));
    Decision now = f.engine.check(token, false);
    assertThat(now.allowed()).isTrue();
    assertThat(now.status().subject()).isEqualTo("bob");
    assertThat(f.engine.get(oldId).reason()).isEqualTo(EndReason.LOGGED_OUT);
    assertThat(f.engine.sessionsOf("alice")).isEmpty();
    assertThat(f.engine.sessionsOf("bob")).hasSize(1);
    assertThat(count("session.created")).isEqualTo(2);
    assertThat(count("session.logged_out")).isEqualTo(1);
    assertThat(f.get("/home", "Cookie", cookie(token)).statusCode()).isEqualTo(200);
    assertThat(f.get("/home", "Cookie", cookie(old)).statusCode()).isEqualTo(401);
  }

  @Test
  void aHandoffOnTheRequestThatRotatedTheTokenLogsOutTheSessionNotAReplay() throws Exception {
    f.engine.changePolicy(Policy.builder("default").renewEvery(Duration.ofMinutes(1)).maxExtensions(2).build(),
        false, "test");
    String old = f.login("alice");
    String oldId = f.engine.check(old, false).status().sessionId();
    f.advance(Duration.ofMinutes(2));
    HttpResponse<String> r = f.get("/account/switch?as=carol", "Cookie", cookie(old));
    assertThat(r.statusCode()).isEqualTo(200);
    List<String> set = sessionCookies(r);
    assertThat(set).as("only the new session's cookie, not the rotated one").hasSize(1);
    assertThat(f.engine.check(tokenOf(set.get(0)), false).status().subject()).isEqualTo("carol");
    assertThat(f.engine.get(oldId).reason()).isEqualTo(EndReason.LOGGED_OUT);
  }

  @Test
  void aHandoffWhoseAnswerNeverReachesTheBrowserLeavesNoSessionBehind() throws Exception {
    String old = f.login("erin");
    try (Socket s = new Socket("127.0.0.1", f.port)) {
      s.getOutputStream().write(("GET /account/switch?as=frank HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie(old)
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int c = in.read();
        if (c < 0) break;
        head.append((char) c);
      }
      assertThat(head).contains("200", "Set-Cookie: " + COOKIE + "=cft_");
    } // the browser goes away before the body has ended
    await().atMost(Duration.ofSeconds(30)).until(() -> f.engine.sessionsOf("frank").isEmpty());
    assertThat(f.engine.sessionsOf("erin")).isEmpty();
  }

  @Test
  void aHandoffOnARouteWithoutLoginHandoffIsStrippedAndOpensNothing() throws Exception {
    String token = f.login("dave");
    HttpResponse<String> r = f.get("/strict/login-other", "Cookie", cookie(token));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("no handoff here");
    assertThat(r.headers().firstValue("Curfew-Login")).isEmpty();
    assertThat(sessionCookies(r)).isEmpty();
    assertThat(f.engine.sessionsOf("mallory")).isEmpty();
    assertThat(f.engine.check(token, false).allowed()).isTrue();
    assertThat(count("session.created")).isEqualTo(1);
  }

  @Test
  void aLoginOverTheSubjectsConcurrencyLimit_refuseNew_isA409WithoutACookie_andRecorded() throws Exception {
    f.engine.changePolicy(Policy.builder("default").maxExtensions(2)
        .concurrency(dev.curfew.core.ConcurrencyLimit.of(2, "refuse_new", null)).build(), false, "test");
    assertThat(sessionCookies(f.send("POST", "/login?as=alice"))).hasSize(1);
    assertThat(sessionCookies(f.send("POST", "/login?as=alice"))).hasSize(1);
    HttpResponse<String> third = f.send("POST", "/login?as=alice");
    assertThat(third.statusCode()).isEqualTo(409);
    assertThat(third.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith(
        "application/problem+json"));
    assertThat(third.body()).contains("\"reason\":\"concurrency_limit\"").contains("concurrency-limit");
    assertThat(sessionCookies(third)).isEmpty();
    assertThat(f.engine.sessionsOf("alice")).hasSize(2);
    assertThat(count("session.refused")).isEqualTo(1);
  }

  @Test
  void aLoginOverTheSubjectsConcurrencyLimit_endOldest_displacesTheOldestSession() throws Exception {
    f.engine.changePolicy(Policy.builder("default").maxExtensions(2)
        .concurrency(dev.curfew.core.ConcurrencyLimit.of(1, "end_oldest", null)).build(), false, "test");
    String first = tokenOf(sessionCookies(f.send("POST", "/login?as=alice")).get(0));
    String second = tokenOf(sessionCookies(f.send("POST", "/login?as=alice")).get(0));
    assertThat(f.engine.check(second, false).allowed()).isTrue();
    Decision old = f.engine.check(first, false);
    assertThat(old.reason()).isEqualTo(EndReason.CONCURRENCY_LIMIT);
    HttpResponse<String> r = f.get("/home", "Cookie", cookie(first), "Accept", "application/json");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("concurrency_limit");
  }

  @Test
  void theHolderEndsItsOtherSessionsThroughTheGateway_notFromAnotherSite() throws Exception {
    String mine = f.login("alice");
    String other = f.login("alice");
    HttpResponse<String> cross = f.send("POST", "/_curfew/session/end-others", "Cookie", cookie(mine),
        "Sec-Fetch-Site", "cross-site");
    assertThat(cross.statusCode()).isEqualTo(403);
    assertThat(f.engine.check(other, false).allowed()).isTrue();
    HttpResponse<String> r = f.send("POST", "/_curfew/session/end-others", "Cookie", cookie(mine));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"ended\":1}");
    assertThat(f.engine.check(other, false).reason()).isEqualTo(EndReason.REVOKED);
    assertThat(f.engine.check(mine, false).allowed()).isTrue();
  }
}

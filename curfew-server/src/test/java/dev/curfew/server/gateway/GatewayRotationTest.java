package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.COOKIE;
import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.EndReason;
import dev.curfew.core.Policy;
import dev.curfew.core.RotationGrace;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Token rotation through the gateway (issue 12, item 6): a page's parallel requests at the instant
 * of a rotation all get an answer and the new cookie, none ends the session; the old cookie after
 * the grace is a replay, ended and audited once.
 */
class GatewayRotationTest {
  private GatewayFixture f;

  @BeforeEach
  void rotatingDefaultPolicy() {
    // Generous timeouts: these bursts run on a shared, loaded machine; a timeout is not what they test.
    f = new GatewayFixture(Gateway.Settings.defaults().withInstances(2).withUpstreamTimeout(Duration.ofSeconds(20)));
    f.engine.changePolicy(Policy.builder("default").idleTimeout(Duration.ofMinutes(15))
        .absoluteTimeout(Duration.ofHours(12)).warnBefore(Duration.ofMinutes(2)).maxExtensions(2)
        .renewEvery(Duration.ofMinutes(1)).build(), false, "test");
  }

  @AfterEach
  void close() {
    f.close();
  }

  /** The session cookie a response sets, or null. */
  static String newToken(HttpResponse<String> r) {
    return r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(COOKIE + "=cft_"))
        .map(c -> c.substring(COOKIE.length() + 1, c.indexOf(';'))).findFirst().orElse(null);
  }

  private CompletableFuture<HttpResponse<String>> async(String path, String token) {
    HttpRequest req = HttpRequest.newBuilder(f.uri(path)).timeout(Duration.ofSeconds(30))
        .header("Cookie", cookie(token)).GET().build();
    return f.http.sendAsync(req, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return async(path, token).get(30, TimeUnit.SECONDS);
  }

  @Test
  void burstsOfParallelRequestsAcrossRotationsAreAllAnsweredAndNoneLogsOut() throws Exception {
    String token = f.login("alice");
    String sessionId = f.engine.check(token, false).status().sessionId();
    int rotations = 5;
    int burst = 6;
    for (int round = 0; round < rotations; round++) {
      f.advance(Duration.ofMinutes(1));
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < burst; i++) {
        answers.add(async(i % 3 == 2 ? "/api/poll/" + i : "/page/" + round + "/" + i, token));
      }
      Set<String> handedOut = new HashSet<>();
      for (int i = 0; i < burst; i++) {
        HttpResponse<String> r = answers.get(i).get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).as("round %d request %d: %s", round, i, r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"uri\"");
        String next = newToken(r);
        if (next != null) handedOut.add(next);
      }
      assertThat(handedOut).as("round %d: one new token for the whole burst", round).hasSize(1);
      token = handedOut.iterator().next();
      assertThat(get("/after/" + round, token).statusCode()).isEqualTo(200);
    }
    assertThat(f.engine.get(sessionId).allowed()).isTrue();
    assertThat(f.sink.records().stream().filter(r -> r.type().equals("session.rotated"))).hasSize(rotations);
    assertThat(f.sink.records().stream().filter(r -> r.type().equals("session.revoked"))).isEmpty();
  }

  @Test
  void theOldCookieAfterTheGraceIsAReplay_endedAndAuditedOnce() throws Exception {
    String t1 = f.login("bob");
    f.advance(Duration.ofMinutes(1));
    String t2 = newToken(get("/a", t1));
    assertThat(t2).isNotNull();
    long graceMs = RotationGrace.DEFAULT.duration().toMillis();
    f.advance(Duration.ofMillis(graceMs - 1));
    HttpResponse<String> late = get("/b", t1);
    assertThat(late.statusCode()).isEqualTo(200);
    assertThat(newToken(late)).isEqualTo(t2);

    f.advance(Duration.ofMillis(1));
    HttpResponse<String> replay = get("/c", t1);
    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(replay.body()).contains("\"reason\":\"replayed\"");
    assertThat(get("/d", t2).statusCode()).isEqualTo(401);
    assertThat(get("/e", t1).statusCode()).isEqualTo(401);
    assertThat(f.engine.check(t2, false).reason()).isEqualTo(EndReason.REPLAYED);
    assertThat(f.sink.records().stream().filter(r -> r.type().equals("session.revoked")
        && "replayed".equals(r.data().get("reason")))).hasSize(1);
  }
}

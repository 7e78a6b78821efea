package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertJson;
import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.RotationGrace;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A rotated token reaches a Bearer client in the body, a cookie client only in its HttpOnly cookie. */
class ApiRotationTest {
  private final ApiFixture f = new ApiFixture();

  @BeforeEach
  void rotatingPolicy() {
    assertJson(f.backend("PUT", "/v1/policies/rotating",
        "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\",\"warn_before\":\"2m\",\"renew_every\":\"1m\"}"), 200);
  }

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  private String open() {
    return ApiFixture.json(f.backend("POST", "/v1/sessions", "{\"subject\":\"alice\",\"policy\":\"rotating\"}"))
        .get("token").asText();
  }

  @Test
  void aBearerClientGetsTheNewTokenInTheBody() {
    String token = open();
    f.clock.advance(Duration.ofMinutes(1));
    JsonNode b = assertJson(f.holder("POST", "/v1/session/activity", token), 200);
    String next = b.path("token").asText();
    assertThat(next).startsWith("cft_").isNotEqualTo(token);
    assertJson(f.holder("GET", "/v1/session", next), 200);
  }

  @Test
  void aCookieClientGetsItOnlyInTheHttpOnlyCookie_neverInAnAnswerAScriptCouldRead() {
    String token = open();
    f.clock.advance(Duration.ofMinutes(1));
    HttpResponse<String> r = f.call("POST", "/v1/session/activity", null, "Cookie", "__Host-curfew=" + token);
    JsonNode b = assertJson(r, 200);
    assertThat(b.has("token")).isFalse();
    String set = r.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(set).startsWith("__Host-curfew=cft_").contains("HttpOnly", "Secure");
    String next = set.substring("__Host-curfew=".length(), set.indexOf(';'));
    assertThat(r.body()).doesNotContain(next);
    assertJson(f.call("GET", "/v1/session", null, "Cookie", "__Host-curfew=" + next), 200);
    f.clock.advance(RotationGrace.DEFAULT.duration());
    assertProblem(f.call("GET", "/v1/session", null, "Cookie", "__Host-curfew=" + token), 401, "replayed");
  }

  @Test
  void withinTheRotationGraceThePreviousTokenLearnsTheCurrentOneTheWayItCame() {
    String token = open();
    f.clock.advance(Duration.ofMinutes(1));
    String next = assertJson(f.holder("POST", "/v1/session/activity", token), 200).path("token").asText();
    f.clock.advance(RotationGrace.DEFAULT.duration().minusMillis(1));
    // Bearer: in the body, on the passive status as on activity and /v1/check.
    assertThat(assertJson(f.holder("GET", "/v1/session", token), 200).path("token").asText()).isEqualTo(next);
    assertThat(assertJson(f.holder("POST", "/v1/session/activity", token), 200).path("token").asText()).isEqualTo(next);
    assertThat(assertJson(f.backend("POST", "/v1/check", "{\"token\":\"" + token + "\"}"), 200).path("token").asText())
        .isEqualTo(next);
    // Cookie: only in Set-Cookie.
    HttpResponse<String> r = f.call("GET", "/v1/session", null, "Cookie", "__Host-curfew=" + token);
    assertThat(assertJson(r, 200).has("token")).isFalse();
    assertThat(r.headers().firstValue("Set-Cookie").orElseThrow()).startsWith("__Host-curfew=" + next + ";");
    f.clock.advance(Duration.ofMillis(1));
    assertProblem(f.holder("GET", "/v1/session", token), 401, "replayed");
  }
}

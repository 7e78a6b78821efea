package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertEmpty;
import static dev.curfew.server.http.ApiAssertions.assertJson;
import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApiSessionLifecycleTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void createAnswers201WithStatusAndToken() {
    HttpResponse<String> r = f.backend("POST", "/v1/sessions",
        "{\"subject\":\"alice\",\"policy\":\"default\",\"attributes\":{\"ip\":\"10.0.0.1\",\"n\":3,\"tags\":[\"a\",true]}}");
    JsonNode b = assertJson(r, 201);
    assertThat(b.get("token").asText()).startsWith("cft_");
    assertThat(b.get("session_id").asText()).startsWith("s_");
    assertThat(b.get("subject").asText()).isEqualTo("alice");
    assertThat(b.get("policy").asText()).isEqualTo("default");
    assertThat(b.get("policy_version").asInt()).isEqualTo(1);
    assertThat(b.get("created_at").asText()).isEqualTo("2026-11-26T22:00:00.000Z");
    assertThat(b.get("idle_expires_at").asText()).isEqualTo("2026-11-26T22:15:00.000Z");
    assertThat(b.get("absolute_expires_at").asText()).isEqualTo("2026-11-27T10:00:00.000Z");
    assertThat(b.get("expires_at").asText()).isEqualTo("2026-11-26T22:15:00.000Z");
    assertThat(b.get("warning_at").asText()).isEqualTo("2026-11-26T22:13:00.000Z");
    assertThat(b.get("extensions_used").asInt()).isZero();
    assertThat(b.get("extensions_left").asInt()).isEqualTo(2);
    assertThat(b.has("server_time")).isTrue();
    assertThat(r.headers().firstValue("Location")).hasValue("/v1/sessions/" + b.get("session_id").asText());
    assertThat(f.sink.lines()).hasSize(1).allSatisfy(l -> assertThat(l).doesNotContain(b.get("token").asText()));
  }

  @Test
  void fullLifecycle_passiveReadDoesNotMoveIdleDeadline_activityDoes_endedIsFinal() {
    ApiFixture.Created s = f.open("alice");
    f.clock.advance(Duration.ofMinutes(5));

    JsonNode passive = assertJson(f.holder("GET", "/v1/session", s.token()), 200);
    assertThat(passive.get("idle_expires_at").asText()).isEqualTo("2026-11-26T22:15:00.000Z");
    assertThat(passive.get("server_time").asText()).isEqualTo("2026-11-26T22:05:00.000Z");

    JsonNode active = assertJson(f.holder("POST", "/v1/session/activity", s.token()), 200);
    assertThat(active.get("idle_expires_at").asText()).isEqualTo("2026-11-26T22:20:00.000Z");
    assertThat(active.get("last_activity_at").asText()).isEqualTo("2026-11-26T22:05:00.000Z");
    assertThat(active.has("token")).isFalse();

    f.advance(Duration.ofMinutes(15));
    assertProblem(f.holder("GET", "/v1/session", s.token()), 401, "idle_timeout");
    assertProblem(f.holder("POST", "/v1/session/activity", s.token()), 401, "idle_timeout");
    assertProblem(f.holder("POST", "/v1/session/extend", s.token()), 401, "idle_timeout");
    assertProblem(f.holder("GET", "/v1/session", s.token()), 401, "idle_timeout");
    assertProblem(f.backend("GET", "/v1/sessions/" + s.sessionId(), null), 410, "idle_timeout");
  }

  @Test
  void exactDeadlineIsEnforcedEvenWhenNoTimerFired() {
    ApiFixture.Created s = f.open("alice");
    f.clock.advance(Duration.ofMinutes(15).minusMillis(1));
    assertJson(f.holder("GET", "/v1/session", s.token()), 200);
    f.clock.advanceMillis(1);
    assertProblem(f.holder("GET", "/v1/session", s.token()), 401, "idle_timeout");
  }

  @Test
  void extendResetsIdleDeadline_thenRefusesWith409WhenNoneLeft() {
    ApiFixture.Created s = f.open("alice");
    f.clock.advance(Duration.ofMinutes(10));
    JsonNode once = assertJson(f.holder("POST", "/v1/session/extend", s.token()), 200);
    assertThat(once.get("expires_at").asText()).isEqualTo("2026-11-26T22:25:00.000Z");
    assertThat(once.get("extensions_left").asInt()).isEqualTo(1);
    assertJson(f.holder("POST", "/v1/session/extend", s.token()), 200);
    JsonNode p = assertProblem(f.holder("POST", "/v1/session/extend", s.token()), 409, "extension_refused");
    assertThat(p.get("detail").asText()).contains("no extensions left");
    assertJson(f.holder("GET", "/v1/session", s.token()), 200);
  }

  @Test
  void extendRefusedUnderAPolicyWithoutExtensions() {
    String token = f.json(f.backend("POST", "/v1/sessions", "{\"subject\":\"bob\",\"policy\":\"strict\"}")).get("token").asText();
    JsonNode p = assertProblem(f.holder("POST", "/v1/session/extend", token), 409, "extension_refused");
    assertThat(p.get("detail").asText()).contains("no extensions");
  }

  @Test
  void warningAckIs204AndAudited() {
    ApiFixture.Created s = f.open("alice");
    f.advance(java.time.Duration.ofMinutes(13)); // the warning is sent 2m before the 15m idle deadline
    assertEmpty(f.holder("POST", "/v1/session/warning-ack", s.token()), 204);
    assertThat(f.sink.records()).extracting(r -> r.type()).contains("session.warning_acknowledged");
  }

  @Test
  void logoutIs204_thenTheTokenIs401LoggedOut() {
    ApiFixture.Created s = f.open("alice");
    assertEmpty(f.holder("DELETE", "/v1/session", s.token()), 204);
    assertProblem(f.holder("GET", "/v1/session", s.token()), 401, "logged_out");
    assertProblem(f.holder("DELETE", "/v1/session", s.token()), 401, "logged_out");
    assertProblem(f.holder("POST", "/v1/session/activity", s.token()), 401, "logged_out");
  }

  @Test
  void theSessionCookieWorksLikeTheBearerToken() {
    ApiFixture.Created s = f.open("alice");
    JsonNode b = assertJson(f.call("GET", "/v1/session", null, "Cookie", "__Host-curfew=" + s.token()), 200);
    assertThat(b.get("session_id").asText()).isEqualTo(s.sessionId());
    HttpResponse<String> out = f.call("DELETE", "/v1/session", null, "Cookie", "other=1; __Host-curfew=" + s.token());
    assertEmpty(out, 204);
    assertThat(out.headers().firstValue("Set-Cookie")).hasValueSatisfying(c ->
        assertThat(c).startsWith("__Host-curfew=;").contains("Max-Age=0").contains("Secure").contains("Path=/"));
    assertProblem(f.call("GET", "/v1/session", null, "Cookie", "__Host-curfew=" + s.token()), 401, "logged_out");
  }

  @Test
  void cookieAuthenticatedChangeFromAnotherSiteIsRefused() {
    ApiFixture.Created s = f.open("alice");
    assertProblem(f.call("POST", "/v1/session/activity", null, "Cookie", "__Host-curfew=" + s.token(),
        "Sec-Fetch-Site", "cross-site"), 403, null);
    // The gateway's page on another port of the same host: same site, another origin.
    assertProblem(f.call("POST", "/v1/session/extend", null, "Cookie", "__Host-curfew=" + s.token(),
        "Sec-Fetch-Site", "same-site"), 403, null);
    assertProblem(f.call("DELETE", "/v1/session", null, "Cookie", "__Host-curfew=" + s.token(),
        "Origin", "http://evil.example"), 403, null);
    assertJson(f.call("POST", "/v1/session/activity", null, "Cookie", "__Host-curfew=" + s.token(),
        "Sec-Fetch-Site", "same-origin"), 200);
  }

  @Test
  void missingOrUnknownTokenIs401Unknown() {
    assertProblem(f.call("GET", "/v1/session", null), 401, "unknown");
    assertProblem(f.holder("GET", "/v1/session", "cft_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 401, "unknown");
    assertProblem(f.holder("GET", "/v1/session", "not a token at all"), 401, "unknown");
    assertProblem(f.call("GET", "/v1/session", null, "Authorization", "Basic Zm9vOmJhcg=="), 401, "unknown");
    assertProblem(f.call("POST", "/v1/session/extend", null, "Cookie", "__Host-curfew="), 401, "unknown");
  }

  @Test
  void aSessionIdIsNotAToken() {
    ApiFixture.Created s = f.open("alice");
    assertProblem(f.holder("GET", "/v1/session", s.sessionId()), 401, "unknown");
  }

  @Test
  void absoluteDeadlineWinsWhenBothFallOnTheSameInstant() {
    String token = f.json(f.backend("POST", "/v1/sessions", "{\"subject\":\"bob\",\"policy\":\"strict\"}")).get("token").asText();
    for (int minute = 4; minute <= 24; minute += 4) {
      f.clock.advance(Duration.ofMinutes(4));
      assertJson(f.holder("POST", "/v1/session/activity", token), 200);
    }
    f.clock.advance(Duration.ofMinutes(1));
    JsonNode last = assertJson(f.holder("POST", "/v1/session/activity", token), 200);
    // Activity at 22:25 → idle deadline 22:30, which is also the absolute deadline.
    assertThat(last.get("idle_expires_at").asText()).isEqualTo(last.get("absolute_expires_at").asText());
    f.advance(Duration.ofMinutes(5));
    assertProblem(f.holder("GET", "/v1/session", token), 401, "absolute_timeout");
  }

  @Test
  void unwritableAuditLogFailsClosedWith503() {
    ApiFixture.Created s = f.open("alice");
    f.sink.setWritable(false);
    assertProblem(f.holder("GET", "/v1/session", s.token()), 503, null);
    assertProblem(f.holder("POST", "/v1/session/activity", s.token()), 503, null);
    assertProblem(f.backend("POST", "/v1/sessions", "{\"subject\":\"bob\"}"), 503, null);
    f.sink.setWritable(true);
    assertJson(f.holder("GET", "/v1/session", s.token()), 200);
  }

  @Test
  void aChangeIsNotAcknowledgedWhenItsRecordFailsToBecomeDurable() {
    ApiFixture.Created s = f.open("alice");
    f.durability.mode = ApiFixture.ControlledSink.Mode.FAIL;
    assertProblem(f.backend("POST", "/v1/sessions", "{\"subject\":\"bob\"}"), 503, null);
    assertProblem(f.holder("POST", "/v1/session/extend", s.token()), 503, null);
    assertProblem(f.holder("DELETE", "/v1/session", s.token()), 503, null);
  }

  @Test
  void aChangeWhoseRecordNeverBecomesDurableIsAnswered503AfterTheTimeout() throws Exception {
    try (ApiFixture slow = new ApiFixture(ApiServer.Settings.defaults().withInstances(1)
        .withDurableTimeout(Duration.ofMillis(200)), 3)) {
      slow.durability.mode = ApiFixture.ControlledSink.Mode.NEVER;
      long start = System.nanoTime();
      assertProblem(slow.backend("POST", "/v1/sessions", "{\"subject\":\"bob\"}"), 503, null);
      // The 200 ms durable timeout answered, not a hang: a generous bound for a loaded machine.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }
  }
}

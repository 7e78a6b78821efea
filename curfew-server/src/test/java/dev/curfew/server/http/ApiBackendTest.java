package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertEmpty;
import static dev.curfew.server.http.ApiAssertions.assertJson;
import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApiBackendTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void missingOrWrongApiKeyIs401WithoutReason() {
    assertProblem(f.call("POST", "/v1/sessions", "{\"subject\":\"alice\"}"), 401, null);
    assertProblem(f.call("POST", "/v1/sessions", "{\"subject\":\"alice\"}", "Authorization", "Bearer wrong"), 401, null);
    assertProblem(f.call("GET", "/v1/sessions?subject=alice", null, "Authorization", "Bearer " + ApiFixture.KEY + "x"), 401, null);
    assertProblem(f.call("GET", "/v1/audit", null, "Authorization", basic("app-backend", "nope")), 401, null);
    // The right key under the wrong name is refused.
    assertProblem(f.call("GET", "/v1/audit", null, "Authorization", basic("admin", ApiFixture.KEY)), 401, null);
    assertProblem(f.call("GET", "/v1/audit", null, "Authorization", "Basic !!!not-base64"), 401, null);
    // A session token is not an API key.
    ApiFixture.Created s = f.open("alice");
    assertProblem(f.call("GET", "/v1/sessions/" + s.sessionId(), null, "Authorization", "Bearer " + s.token()), 401, null);
    assertThat(f.sink.lines()).hasSize(1);
  }

  @Test
  void basicAuthWithKeyNameAndKeyWorks() {
    HttpResponse<String> r = f.call("POST", "/v1/sessions", "{\"subject\":\"alice\"}",
        "Authorization", basic("app-backend", ApiFixture.KEY));
    assertJson(r, 201);
    assertJson(f.call("GET", "/v1/sessions?subject=alice", null, "Authorization", basic("admin", ApiFixture.OTHER_KEY)), 200);
    assertThat(f.sink.records().get(0).type()).isEqualTo("session.created");
  }

  @Test
  void getByIdIsTheLiveStatus_404WhenUnknown() {
    ApiFixture.Created s = f.open("alice");
    JsonNode b = assertJson(f.backend("GET", "/v1/sessions/" + s.sessionId(), null), 200);
    assertThat(b.get("session_id").asText()).isEqualTo(s.sessionId());
    assertThat(b.has("token")).isFalse();
    assertProblem(f.backend("GET", "/v1/sessions/s_doesnotexist", null), 404, null);
  }

  @Test
  void revokeByIdIs204_thenGetIs410Revoked_andTheTokenIs401Revoked() {
    ApiFixture.Created s = f.open("alice");
    assertEmpty(f.backend("DELETE", "/v1/sessions/" + s.sessionId(), "{\"reason_text\":\"stolen laptop\"}"), 204);
    JsonNode gone = assertProblem(f.backend("GET", "/v1/sessions/" + s.sessionId(), null), 410, "revoked");
    assertThat(gone.get("session_id").asText()).isEqualTo(s.sessionId());
    assertThat(gone.get("subject").asText()).isEqualTo("alice");
    assertThat(gone.get("ended_reason").asText()).isEqualTo("revoked");
    assertThat(dev.curfew.core.audit.Times.parse(gone.get("ended_at").asText())).isPositive();
    assertThat(gone.get("status").asInt()).as("the problem's own members stay").isEqualTo(410);
    assertProblem(f.holder("GET", "/v1/session", s.token()), 401, "revoked");
    assertProblem(f.backend("DELETE", "/v1/sessions/" + s.sessionId(), null), 410, "revoked");
    assertProblem(f.backend("DELETE", "/v1/sessions/s_unknown", null), 404, null);
    var revoked = f.sink.records().stream().filter(r -> r.type().equals("session.revoked")).findFirst().orElseThrow();
    assertThat(revoked.data()).containsEntry("actor", "app-backend").containsEntry("reason_text", "stolen laptop");
  }

  @Test
  void revokeWithoutBodyWorks_andAWrongBodyIs400() {
    ApiFixture.Created s = f.open("alice");
    assertProblem(f.backend("DELETE", "/v1/sessions/" + s.sessionId(), "{\"reason_text\":5}"), 400, null);
    assertProblem(f.backend("DELETE", "/v1/sessions/" + s.sessionId(), "{\"why\":\"x\"}"), 400, null);
    assertJson(f.holder("GET", "/v1/session", s.token()), 200);
    assertEmpty(f.backend("DELETE", "/v1/sessions/" + s.sessionId(), null), 204);
  }

  @Test
  void subjectRevokeEndsEveryLiveSessionOfTheSubject() {
    ApiFixture.Created a1 = f.open("alice");
    ApiFixture.Created a2 = f.open("alice");
    ApiFixture.Created b = f.open("bob");
    JsonNode list = assertJson(f.backend("GET", "/v1/sessions?subject=alice", null), 200);
    assertThat(list.get("sessions")).hasSize(2);
    JsonNode r = assertJson(f.backend("POST", "/v1/subjects/alice/revoke", null), 200);
    assertThat(r.get("revoked").asInt()).isEqualTo(2);
    assertProblem(f.holder("GET", "/v1/session", a1.token()), 401, "revoked");
    assertProblem(f.holder("GET", "/v1/session", a2.token()), 401, "revoked");
    assertJson(f.holder("GET", "/v1/session", b.token()), 200);
    assertThat(assertJson(f.backend("GET", "/v1/sessions?subject=alice", null), 200).get("sessions")).isEmpty();
    assertThat(assertJson(f.backend("POST", "/v1/subjects/alice/revoke", "{\"reason_text\":\"again\"}"), 200)
        .get("revoked").asInt()).isZero();
    assertThat(assertJson(f.backend("POST", "/v1/subjects/nobody/revoke", null), 200).get("revoked").asInt()).isZero();
  }

  @Test
  void listWithoutSubjectIs400() {
    assertProblem(f.backend("GET", "/v1/sessions", null), 400, null);
    assertProblem(f.backend("GET", "/v1/sessions?subject=", null), 400, null);
  }

  @Test
  void subjectsWithReservedCharactersRoundTrip() {
    ApiFixture.Created s = f.open("alice@example.com");
    JsonNode list = assertJson(f.backend("GET", "/v1/sessions?subject=alice%40example.com", null), 200);
    assertThat(list.get("sessions").get(0).get("session_id").asText()).isEqualTo(s.sessionId());
    assertThat(assertJson(f.backend("POST", "/v1/subjects/alice%40example.com/revoke", null), 200)
        .get("revoked").asInt()).isEqualTo(1);
  }

  @Test
  void introspectIsActiveForALiveToken_passive_andInactiveOtherwise() {
    ApiFixture.Created s = f.open("alice");
    f.clock.advance(Duration.ofMinutes(3));
    JsonNode b = assertJson(f.form("/v1/introspect", "token=" + s.token()), 200);
    assertThat(b.get("active").asBoolean()).isTrue();
    assertThat(b.get("sub").asText()).isEqualTo("alice");
    assertThat(b.get("sid").asText()).isEqualTo(s.sessionId());
    long created = java.time.Instant.parse("2026-11-26T22:00:00Z").getEpochSecond();
    assertThat(b.get("iat").asLong()).isEqualTo(created);
    assertThat(b.get("exp").asLong()).isEqualTo(created + 15 * 60);
    assertThat(b.get("curfew").get("session_id").asText()).isEqualTo(s.sessionId());
    // Passive: the idle deadline did not move.
    assertThat(b.get("curfew").get("idle_expires_at").asText()).isEqualTo("2026-11-26T22:15:00.000Z");

    JsonNode inactive = assertJson(f.form("/v1/introspect", "token=cft_nope"), 200);
    assertThat(inactive.toString()).isEqualTo("{\"active\":false}");
    f.advance(Duration.ofMinutes(13));
    assertThat(assertJson(f.form("/v1/introspect", "token=" + s.token() + "&token_type_hint=access_token"), 200)
        .toString()).isEqualTo("{\"active\":false}");
    assertProblem(f.form("/v1/introspect", "nothing=here"), 400, null);
  }

  @Test
  void introspectNeedsAnApiKey() {
    ApiFixture.Created s = f.open("alice");
    HttpResponse<String> r = f.send(f.request("/v1/introspect")
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("token=" + s.token()))
        .header("Content-Type", "application/x-www-form-urlencoded"));
    assertProblem(r, 401, null);
  }

  @Test
  void rfc7009RevokeIsAlways200_andEndsTheSession() {
    ApiFixture.Created s = f.open("alice");
    assertThat(f.form("/v1/revoke", "token=" + s.token() + "&token_type_hint=refresh_token").statusCode()).isEqualTo(200);
    assertProblem(f.holder("GET", "/v1/session", s.token()), 401, "revoked");
    HttpResponse<String> again = f.form("/v1/revoke", "token=" + s.token());
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(f.form("/v1/revoke", "token=garbage").statusCode()).isEqualTo(200);
    assertThat(f.form("/v1/revoke", "token=cft_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").statusCode()).isEqualTo(200);
  }

  @Test
  void checkAnswersTheStatus_touchingOnlyWhenAsked() {
    ApiFixture.Created s = f.open("alice");
    f.clock.advance(Duration.ofMinutes(2));
    JsonNode passive = assertJson(f.backend("POST", "/v1/check", "{\"token\":\"" + s.token() + "\"}"), 200);
    assertThat(passive.get("idle_expires_at").asText()).isEqualTo("2026-11-26T22:15:00.000Z");
    JsonNode touched = assertJson(f.backend("POST", "/v1/check", "{\"token\":\"" + s.token() + "\",\"touch\":true}"), 200);
    assertThat(touched.get("idle_expires_at").asText()).isEqualTo("2026-11-26T22:17:00.000Z");
    assertProblem(f.backend("POST", "/v1/check", "{\"token\":\"cft_bad\",\"touch\":true}"), 401, "unknown");
    assertProblem(f.backend("POST", "/v1/check", "{\"token\":\"" + s.token() + "\",\"touch\":\"yes\"}"), 400, null);
    assertProblem(f.backend("POST", "/v1/check", "{\"token\":42}"), 400, null);
    assertProblem(f.backend("POST", "/v1/check", "{}"), 400, null);
    f.advance(Duration.ofMinutes(15));
    assertProblem(f.backend("POST", "/v1/check", "{\"token\":\"" + s.token() + "\",\"touch\":true}"), 401, "idle_timeout");
  }

  @Test
  void forwardAuthWithCookieOrBearer_countsAsActivityUnlessPassive() {
    ApiFixture.Created s = f.open("alice");
    f.clock.advance(Duration.ofMinutes(4));
    HttpResponse<String> passive = f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend",
        "Cookie", "__Host-curfew=" + s.token(), "X-Curfew-Passive", "1");
    assertEmpty(passive, 200);
    assertThat(passive.headers().firstValue("X-Curfew-Subject")).hasValue("alice");
    assertThat(passive.headers().firstValue("X-Curfew-Session-Id")).hasValue(s.sessionId());
    assertThat(passive.headers().firstValue("X-Curfew-Expires-At")).hasValue("2026-11-26T22:15:00.000Z");

    HttpResponse<String> active = f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Authorization", "Bearer " + s.token());
    assertEmpty(active, 200);
    assertThat(active.headers().firstValue("X-Curfew-Expires-At")).hasValue("2026-11-26T22:19:00.000Z");

    // Envoy ext_authz forwards the original method and appends the original path.
    assertThat(f.call("POST", "/v1/forward-auth/app/orders?x=1", "{}", "X-Curfew-Audience", "app:app-backend", "Cookie", "__Host-curfew=" + s.token())
        .statusCode()).isEqualTo(200);

    HttpResponse<String> none = f.call("GET", "/v1/forward-auth", null);
    assertProblem(none, 401, "unknown");
    assertThat(none.headers().firstValue("X-Curfew-Reason")).hasValue("unknown");

    f.advance(Duration.ofMinutes(15));
    HttpResponse<String> ended = f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Cookie", "__Host-curfew=" + s.token());
    assertProblem(ended, 401, "idle_timeout");
    assertThat(ended.headers().firstValue("X-Curfew-Reason")).hasValue("idle_timeout");
  }

  @Test
  void forwardAuthEncodesSubjectsThatAreNotPlainAscii() {
    String subject = "jos\u00e9 %x\\r\\nInjected: 1";
    HttpResponse<String> r = f.backend("POST", "/v1/sessions", "{\"subject\":\"" + subject + "\"}");
    String token = assertJson(r, 201).get("token").asText();
    HttpResponse<String> fa = f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "app:app-backend", "Authorization", "Bearer " + token);
    assertThat(fa.statusCode()).isEqualTo(200);
    assertThat(fa.headers().firstValue("X-Curfew-Subject")).hasValue("jos%C3%A9%20%25x%0D%0AInjected:%201");
    assertThat(fa.headers().firstValue("Injected")).isEmpty();
    assertThat(java.net.URLDecoder.decode(fa.headers().firstValue("X-Curfew-Subject").orElseThrow(),
        StandardCharsets.UTF_8)).isEqualTo("jos\u00e9 %x\r\nInjected: 1");
  }

  @Test
  void healthzAndMetrics() {
    JsonNode h = assertJson(f.call("GET", "/healthz", null), 200);
    assertThat(h.toString()).isEqualTo("{\"status\":\"ok\"}");
    ApiFixture.Created s = f.open("alice");
    f.holder("GET", "/v1/session", s.token());
    f.holder("GET", "/v1/session", "cft_bad");
    f.advance(Duration.ofMinutes(16));
    HttpResponse<String> m = f.call("GET", "/metrics", null);
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(m.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
    assertThat(m.body())
        .contains("curfew_live_sessions 0.0")
        .contains("curfew_checks_total{outcome=\"valid\"} 1.0")
        .contains("curfew_checks_total{outcome=\"unknown\"} 1.0")
        .contains("curfew_expiry_lateness_seconds_bucket{detected_by=\"timer\"")
        .contains("curfew_expiry_lateness_seconds_count{detected_by=\"timer\"} 1")
        .contains("curfew_audit_fsync_seconds_count 0")
        .contains("curfew_http_requests_total{route=\"/v1/sessions\",status=\"201\"} 1.0")
        .contains("curfew_http_requests_total{route=\"/v1/session\",status=\"401\"} 1.0")
        .contains("curfew_http_requests_total{route=\"/healthz\",status=\"200\"} 1.0");
  }

  @Test
  void metricsCanRequireAnApiKey() throws Exception {
    try (ApiFixture locked = new ApiFixture(ApiServer.Settings.defaults().withInstances(1).withMetricsRequireApiKey(true), 3)) {
      assertProblem(locked.call("GET", "/metrics", null), 401, null);
      assertThat(locked.backend("GET", "/metrics", null).statusCode()).isEqualTo(200);
      assertJson(locked.call("GET", "/healthz", null), 200);
    }
  }

  @Test
  void liveSessionsGaugeFollowsTheEngine() {
    f.open("alice");
    f.open("bob");
    assertThat(f.call("GET", "/metrics", null).body()).contains("curfew_live_sessions 2.0");
    f.metrics.auditFsync(2_000_000);
    f.metrics.auditRecords(3);
    assertThat(f.call("GET", "/metrics", null).body()).contains("curfew_audit_fsync_seconds_count 1")
        .contains("curfew_audit_records_total 3.0");
  }

  @Test
  void aClientThatExpects100ContinueIsNotLeftWaiting() {
    HttpResponse<String> r = f.send(f.request("/v1/sessions").expectContinue(true)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"subject\":\"alice\"}"))
        .header("Authorization", "Bearer " + ApiFixture.KEY).header("Content-Type", "application/json"));
    assertJson(r, 201);
  }

  static String basic(String name, String key) {
    return "Basic " + Base64.getEncoder().encodeToString((name + ":" + key).getBytes(StandardCharsets.UTF_8));
  }
}

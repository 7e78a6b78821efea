package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertJson;
import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.audit.AuditRecord;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code resume_within} over HTTP: the policy field, and {@code resumed_from} in the answer of {@code POST /v1/sessions}. */
class ApiResumeWithinTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void policyField_isReadAsDurationOrMilliseconds_shownWithThePolicy_andBadValuesAre400NamingTheField() {
    JsonNode v2 = assertJson(f.backend("PUT", "/v1/policies/default", "{\"idle_timeout\":\"15m\","
        + "\"absolute_timeout\":\"12h\",\"warn_before\":\"2m\",\"max_extensions\":2,\"resume_within\":\"30m\"}"), 200);
    assertThat((v2.has("policy") ? v2.get("policy") : v2).get("resume_within_ms").asLong()).isEqualTo(1_800_000L);
    assertThat(assertJson(f.backend("GET", "/v1/policies/default", null), 200).get("resume_within_ms").asLong())
        .isEqualTo(1_800_000L);
    String base = "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\",";
    assertThat(assertProblem(f.backend("PUT", "/v1/policies/default", base + "\"resume_within_ms\":0}"), 400, null)
        .get("detail").asText()).contains("\"resume_within\": must be more than 0s");
    assertThat(assertProblem(f.backend("PUT", "/v1/policies/default", base + "\"resume_within\":\"2d\"}"), 400, null)
        .get("detail").asText()).contains("\"resume_within\": 2d is longer than 1d");
  }

  @Test
  void aSessionOpenedSoonAfterAnIdleExpiry_answersWithResumedFrom_andTheOldTokenStaysDead() {
    assertJson(f.backend("PUT", "/v1/policies/default", "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\","
        + "\"warn_before\":\"2m\",\"max_extensions\":2,\"resume_within\":\"30m\"}"), 200);
    ApiFixture.Created old = f.open("alice");
    assertThat(old.body().has("resumed_from")).isFalse();
    f.advance(Duration.ofMinutes(20)); // idle expiry at 15 min, 5 min ago

    ApiFixture.Created fresh = f.open("alice");

    assertThat(fresh.body().get("resumed_from").asText()).isEqualTo(old.sessionId());
    assertThat(assertJson(f.backend("GET", "/v1/sessions/" + fresh.sessionId(), null), 200).get("resumed_from").asText())
        .isEqualTo(old.sessionId());
    assertProblem(f.holder("GET", "/v1/session", old.token()), 401, "idle_timeout");
    List<AuditRecord> resumed = f.sink.records().stream().filter(r -> r.type().equals("session.resumed")).toList();
    assertThat(resumed).singleElement().satisfies(r -> {
      assertThat(r.sessionId()).isEqualTo(old.sessionId());
      assertThat(r.data()).containsEntry("resumed_by", fresh.sessionId()).containsEntry("actor", "app-backend");
    });
  }
}

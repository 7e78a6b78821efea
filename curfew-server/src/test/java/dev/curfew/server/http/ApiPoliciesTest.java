package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertJson;
import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApiPoliciesTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void listAndGetShowVersionsAndValues() {
    JsonNode all = assertJson(f.backend("GET", "/v1/policies", null), 200);
    assertThat(all.get("default_policy").asText()).isEqualTo("default");
    assertThat(all.get("policies")).hasSize(2);
    JsonNode one = assertJson(f.backend("GET", "/v1/policies/strict", null), 200);
    assertThat(one.get("version").asInt()).isEqualTo(1);
    assertThat(one.get("idle_timeout_ms").asLong()).isEqualTo(300_000);
    assertProblem(f.backend("GET", "/v1/policies/nope", null), 404, null);
    assertProblem(f.call("GET", "/v1/policies", null), 401, null);
  }

  @Test
  void put_createsAVersionAuditedWithTheActor_liveSessionsKeepTheirs() {
    ApiFixture.Created s = f.open("alice");
    JsonNode v2 = assertJson(f.backend("PUT", "/v1/policies/default",
        "{\"idle_timeout\":\"10m\",\"absolute_timeout_ms\":3600000,\"warn_before\":\"1m\",\"max_extensions\":10}"), 200);
    assertThat(v2.get("version").asInt()).isEqualTo(2);
    assertThat(v2.get("applied_to_live").asInt()).isZero();
    assertThat(assertJson(f.holder("GET", "/v1/session", s.token()), 200).get("policy_version").asInt()).isEqualTo(1);
    assertThat(f.open("bob").body().get("policy_version").asInt()).isEqualTo(2);
    String changed = f.sink.lines().stream().filter(l -> l.contains("\"policy.changed\"")).findFirst().orElseThrow();
    assertThat(changed).contains("\"actor\":\"app-backend\"", "\"idle_timeout_ms\":600000");
  }

  @Test
  void put_applyToLiveShortensOnly() {
    ApiFixture.Created s = f.open("alice");
    f.advance(Duration.ofMinutes(6));
    assertProblem(f.backend("PUT", "/v1/policies/default",
        "{\"idle_timeout\":\"20m\",\"absolute_timeout\":\"12h\",\"apply_to_live\":true}"), 400, null);
    JsonNode v2 = assertJson(f.backend("PUT", "/v1/policies/default",
        "{\"idle_timeout\":\"5m\",\"absolute_timeout\":\"12h\",\"apply_to_live\":true}"), 200);
    assertThat(v2.get("applied_to_live").asInt()).isEqualTo(1);
    assertProblem(f.holder("GET", "/v1/session", s.token()), 401, "idle_timeout");
  }

  @Test
  void put_badPoliciesAre400NamingTheField() {
    String[] bodies = {
        "{\"idle_timeout\":\"2h\",\"absolute_timeout\":\"1h\"}",
        "{\"idle_timeout\":\"5m\",\"absolute_timeout\":\"1h\",\"warn_before\":\"5m\"}",
        "{\"idle_timeout\":\"5x\",\"absolute_timeout\":\"1h\"}",
        "{\"absolute_timeout\":\"1h\"}",
        "{\"idle_timeout_ms\":\"a\",\"absolute_timeout\":\"1h\"}",
        "{\"idle_timeout\":\"20m\",\"absolute_timeout\":\"1h\",\"comply_with\":[\"pci-dss-4.0\"]}",
        "{\"idle_timeout\":\"5m\",\"absolute_timeout\":\"1h\",\"colour\":1}",
        "{\"idle_timeout_ms\":60000,\"absolute_timeout_ms\":3600000,\"comply_with\":[\"nope\"]}",
        "{\"idle_timeout_ms\":60000,\"absolute_timeout_ms\":3600000,\"comply_with\":[\"\"]}",
        "[1]",
        "{",
    };
    for (String b : bodies) {
      JsonNode p = assertProblem(f.backend("PUT", "/v1/policies/default", b), 400, null);
      assertThat(p.get("detail").asText()).as(b).isNotBlank();
    }
    assertThat(f.sink.lines()).noneMatch(l -> l.contains("policy.changed"));
  }

  @Test
  void check_reportsRulesWithCitationsOnBothSidesOfTheLimit() {
    JsonNode pass = assertJson(f.backend("POST", "/v1/policies/check",
        "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\",\"against\":[\"pci-dss-4.0\"]}"), 200);
    assertThat(pass.get("status").asText()).isEqualTo("pass");
    JsonNode fail = assertJson(f.backend("POST", "/v1/policies/check",
        "{\"idle_timeout_ms\":900001,\"absolute_timeout\":\"12h\",\"comply_with\":[\"pci-dss-4.0\"]}"), 200);
    assertThat(fail.get("status").asText()).isEqualTo("fail");
    assertThat(fail.toString()).contains("PCI DSS v4.0.1 req. 8.2.8");
    assertProblem(f.backend("POST", "/v1/policies/check", "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\"}"), 400, null);
    assertProblem(f.backend("POST", "/v1/policies/check",
        "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\",\"against\":[\"sox\"]}"), 400, null);
  }

  @Test
  void explain_livesTheTraceOnAVirtualClockAndAnswersEventsTextAndPicture() {
    JsonNode e = assertJson(f.backend("POST", "/v1/policies/explain",
        "{\"name\":\"draft\",\"idle_timeout\":\"10m\",\"absolute_timeout\":\"1h\",\"warn_before\":\"2m\","
            + "\"max_extensions\":1,\"activity\":\"0s,5m,14m:extend\"}"), 200);
    assertThat(e.get("policy").get("name").asText()).isEqualTo("draft");
    assertThat(e.get("events").findValuesAsText("type")).containsExactly("session.created", "activity", "activity",
        "session.warning_sent", "session.extended", "session.warning_sent", "session.expired");
    JsonNode warning = e.get("events").get(3);
    assertThat(warning.get("offset_ms").asLong()).isEqualTo(Duration.ofMinutes(13).toMillis());
    assertThat(warning.get("expires_at_offset_ms").asLong()).isEqualTo(Duration.ofMinutes(15).toMillis());
    assertThat(e.get("end_offset_ms").asLong()).isEqualTo(Duration.ofMinutes(24).toMillis());
    assertThat(e.get("end_reason").asText()).isEqualTo("idle_timeout");
    assertThat(e.get("text").asText()).contains("The session ends at +24m (idle_timeout).");
    assertThat(e.get("svg").asText()).startsWith("<svg").contains("ends: idle_timeout");
    // Nothing about the explained session reaches the real audit log.
    assertThat(f.sink.lines()).isEmpty();
  }

  @Test
  void explain_badTracesAre400() {
    String policy = "\"idle_timeout\":\"10m\",\"absolute_timeout\":\"1h\"";
    assertProblem(f.backend("POST", "/v1/policies/explain", "{" + policy + ",\"activity\":\"5m,1m\"}"), 400, null);
    assertProblem(f.backend("POST", "/v1/policies/explain", "{" + policy + ",\"activity\":\"1m:dance\"}"), 400, null);
    assertProblem(f.backend("POST", "/v1/policies/explain", "{" + policy + ",\"activity\":\"999999999999d\"}"), 400, null);
    assertProblem(f.backend("POST", "/v1/policies/explain", "{" + policy + ",\"activity\":\""
        + "1s,".repeat(1001) + "\"}"), 400, null);
    assertProblem(f.call("POST", "/v1/policies/explain", "{" + policy + "}"), 401, null);
  }
}

package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertJson;
import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.audit.AuditRecord;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * max_sessions_per_subject over HTTP: the policy fields, the 409 problem of refuse_new, the
 * displaced session's 401 reason, a subject's sessions for its app, and the holder ending its other sessions.
 */
class ApiConcurrencyLimitTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  private JsonNode limitDefault(int max, String when) {
    return assertJson(f.backend("PUT", "/v1/policies/default", "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\","
        + "\"warn_before\":\"2m\",\"max_extensions\":2,\"max_sessions_per_subject\":" + max
        + ",\"when_exceeded\":\"" + when + "\"}"), 200);
  }

  @Test
  void policyFields_areReadFromJson_shownWithThePolicy_andBadValuesAre400NamingTheField() {
    JsonNode v2 = limitDefault(3, "end_oldest");
    JsonNode shown = assertJson(f.backend("GET", "/v1/policies/default", null), 200);
    for (JsonNode p : List.of(v2, shown)) {
      JsonNode values = p.has("policy") ? p.get("policy") : p;
      assertThat(values.get("max_sessions_per_subject").asInt()).as(p.toString()).isEqualTo(3);
      assertThat(values.get("when_exceeded").asText()).isEqualTo("end_oldest");
      assertThat(values.get("limit_scope").asText()).isEqualTo("subject");
    }
    String base = "{\"idle_timeout\":\"15m\",\"absolute_timeout\":\"12h\",";
    assertThat(assertProblem(f.backend("PUT", "/v1/policies/default", base + "\"max_sessions_per_subject\":0}"), 400,
        null).get("detail").asText()).contains("max_sessions_per_subject");
    assertThat(assertProblem(f.backend("PUT", "/v1/policies/default",
        base + "\"max_sessions_per_subject\":2,\"when_exceeded\":\"kick\"}"), 400, null).get("detail").asText())
        .contains("\"when_exceeded\": must be refuse_new or end_oldest");
    assertThat(assertProblem(f.backend("PUT", "/v1/policies/default", base + "\"when_exceeded\":\"end_oldest\"}"), 400,
        null).get("detail").asText()).contains("\"when_exceeded\": needs max_sessions_per_subject");
  }

  @Test
  void refuseNew_isA409ConcurrencyLimitProblem_recordedAsSessionRefused() {
    limitDefault(2, "refuse_new");
    ApiFixture.Created a = f.open("alice");
    f.open("alice");
    HttpResponse<String> third = f.backend("POST", "/v1/sessions", "{\"subject\":\"alice\"}");
    JsonNode p = assertProblem(third, 409, "concurrency_limit");
    assertThat(p.get("type").asText()).isEqualTo("urn:curfew:problem:concurrency-limit");
    assertThat(p.get("detail").asText()).contains("\"alice\" already has 2 live sessions");
    assertThat(third.body()).doesNotContain("token");
    AuditRecord refused = f.sink.records().get(f.sink.records().size() - 1);
    assertThat(refused.type()).isEqualTo("session.refused");
    assertThat(refused.data()).containsEntry("reason", "concurrency_limit").containsEntry("actor", "app-backend");
    // Another subject is not limited by alice's sessions; alice has room again after a logout.
    f.open("bob");
    assertThat(f.holder("DELETE", "/v1/session", a.token()).statusCode()).isEqualTo(204);
    f.open("alice");
  }

  @Test
  void endOldest_theDisplacedTokenIs401WithReasonConcurrencyLimit() {
    limitDefault(1, "end_oldest");
    ApiFixture.Created first = f.open("alice");
    ApiFixture.Created second = f.open("alice");
    JsonNode p = assertProblem(f.holder("GET", "/v1/session", first.token()), 401, "concurrency_limit");
    assertThat(p.get("detail").asText()).contains("newer session");
    assertJson(f.holder("GET", "/v1/session", second.token()), 200);
    JsonNode gone = assertProblem(f.backend("GET", "/v1/sessions/" + first.sessionId(), null), 410, "concurrency_limit");
    assertThat(gone.get("detail").asText()).contains(first.sessionId());
    AuditRecord displaced = f.sink.records().stream().filter(r -> r.type().equals("session.revoked")).findFirst()
        .orElseThrow();
    assertThat(displaced.data()).containsEntry("displaced_by", second.sessionId());
  }

  @Test
  void subjectSessions_listsTheLiveSessionsOfTheSubject_withoutTokens_forAnAppKey() {
    ApiFixture.Created a = f.open("alice");
    ApiFixture.Created b = f.open("alice");
    f.open("bob");
    HttpResponse<String> r = f.call("GET", "/v1/subjects/alice/sessions", null, "Authorization",
        "Bearer " + ApiFixture.APP_KEY);
    JsonNode body = assertJson(r, 200);
    assertThat(body.get("subject").asText()).isEqualTo("alice");
    List<String> ids = new ArrayList<>();
    for (JsonNode s : body.get("sessions")) {
      ids.add(s.get("session_id").asText());
      assertThat(s.has("created_at") && s.has("last_activity_at") && s.has("expires_at") && s.has("audience")).isTrue();
    }
    assertThat(ids).containsExactly(a.sessionId(), b.sessionId());
    assertThat(r.body()).doesNotContain(a.token()).doesNotContain(b.token()).doesNotContain("\"token\"");
    assertProblem(f.call("GET", "/v1/subjects/alice/sessions", null), 401, null);
    assertProblem(f.call("GET", "/v1/subjects/alice/sessions", null, "Authorization", "Bearer " + ApiFixture.AUDITOR_KEY),
        403, null);
    assertThat(assertJson(f.backend("GET", "/v1/subjects/nobody/sessions", null), 200).get("sessions")).isEmpty();
  }

  @Test
  void endOthers_endsEveryOtherSessionOfTheHolder_auditedWithTheHolder_andKeepsItsOwn() {
    ApiFixture.Created mine = f.open("alice");
    ApiFixture.Created other1 = f.open("alice");
    ApiFixture.Created other2 = f.open("alice");
    ApiFixture.Created bobs = f.open("bob");
    JsonNode r = assertJson(f.holder("POST", "/v1/session/end-others", mine.token()), 200);
    assertThat(r.get("ended").asInt()).isEqualTo(2);
    assertJson(f.holder("GET", "/v1/session", mine.token()), 200);
    assertJson(f.holder("GET", "/v1/session", bobs.token()), 200);
    assertProblem(f.holder("GET", "/v1/session", other1.token()), 401, "revoked");
    assertProblem(f.holder("GET", "/v1/session", other2.token()), 401, "revoked");
    List<AuditRecord> revoked = f.sink.records().stream().filter(x -> x.type().equals("session.revoked")).toList();
    assertThat(revoked).hasSize(2).allSatisfy(x -> assertThat(x.data()).containsEntry("actor", "holder:" + mine.sessionId()));
    // Nothing else to end; an ended or unknown token ends nothing.
    assertThat(assertJson(f.holder("POST", "/v1/session/end-others", mine.token()), 200).get("ended").asInt()).isZero();
    assertProblem(f.holder("POST", "/v1/session/end-others", other1.token()), 401, "revoked");
    assertProblem(f.call("POST", "/v1/session/end-others", null), 401, "unknown");
  }
}

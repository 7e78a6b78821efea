package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real answers of a real server (a session's life, expiry, policies, the audit trail, refusals),
 * held to the OpenAPI document it serves by {@link DocumentedAnswers}.
 */
class OpenApiAnswersTest {
  private final ApiFixture api = new ApiFixture();
  private final JsonNode doc = ApiFixture.json(api.call("GET", "/openapi.json", null));
  private final DocumentedAnswers answers = new DocumentedAnswers(doc);
  private final List<String> checked = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    api.close();
  }

  @Test
  void aSessionsLifeAnswersAsDocumented() {
    HttpResponse<String> opened = conforms("POST", "/v1/sessions", api.backend("POST", "/v1/sessions",
        "{\"subject\": \"alice\", \"attributes\": {\"department\": \"sales\"}}"), 201);
    String token = ApiFixture.json(opened).get("token").asText();
    String id = ApiFixture.json(opened).get("session_id").asText();

    conforms("GET", "/v1/session", api.holder("GET", "/v1/session", token), 200);
    conforms("POST", "/v1/session/activity", api.holder("POST", "/v1/session/activity", token), 200);
    conforms("POST", "/v1/session/extend", api.holder("POST", "/v1/session/extend", token), 200);
    conforms("POST", "/v1/session/warning-ack", api.holder("POST", "/v1/session/warning-ack", token), 409);
    conforms("GET", "/v1/sessions", api.backend("GET", "/v1/sessions?subject=alice", null), 200);
    conforms("GET", "/v1/sessions/" + id, api.backend("GET", "/v1/sessions/" + id, null), 200);
    conforms("POST", "/v1/introspect", api.form("/v1/introspect", "token=" + token), 200);
    conforms("POST", "/v1/check", api.call("POST", "/v1/check", "{\"token\": \"" + token + "\", \"touch\": true}",
        "Authorization", "Bearer " + ApiFixture.GATEWAY_KEY), 200);
    conforms("GET", "/v1/forward-auth", api.call("GET", "/v1/forward-auth", null,
        "Authorization", "Bearer " + token, "X-Curfew-Audience", "app:app-backend"), 200);
    conforms("DELETE", "/v1/sessions/" + id, api.backend("DELETE", "/v1/sessions/" + id, "{\"reason_text\": \"left\"}"), 204);
    conforms("GET", "/v1/sessions/" + id, api.backend("GET", "/v1/sessions/" + id, null), 410);
    conforms("GET", "/v1/session", api.holder("GET", "/v1/session", token), 401);
    conforms("POST", "/v1/introspect", api.form("/v1/introspect", "token=" + token), 200);
    conforms("POST", "/v1/revoke", api.form("/v1/revoke", "token=" + token), 200);
    conforms("POST", "/v1/subjects/alice/revoke", api.backend("POST", "/v1/subjects/alice/revoke", null), 200);

    HttpResponse<String> second = api.backend("POST", "/v1/sessions", "{\"subject\": \"bob\"}");
    String other = ApiFixture.json(second).get("token").asText();
    conforms("DELETE", "/v1/session", api.holder("DELETE", "/v1/session", other), 204);
    assertThat(checked).hasSizeGreaterThan(15);
  }

  @Test
  void theExpiryAndTheEventStreamAnswerAsDocumented() {
    String token = api.open("carol").token();
    api.advance(Duration.ofMinutes(16));

    conforms("GET", "/v1/session", api.holder("GET", "/v1/session", token), 401);
    conforms("GET", "/v1/session/events", api.holder("GET", "/v1/session/events", token), 401);
    conforms("POST", "/v1/check", api.call("POST", "/v1/check", "{\"token\": \"" + token + "\"}",
        "Authorization", "Bearer " + ApiFixture.KEY), 401);
  }

  @Test
  void policiesAnswerAsDocumented() {
    conforms("GET", "/v1/policies", api.backend("GET", "/v1/policies", null), 200);
    conforms("GET", "/v1/policies/default", api.backend("GET", "/v1/policies/default", null), 200);
    conforms("GET", "/v1/policies/nothing", api.backend("GET", "/v1/policies/nothing", null), 404);
    String policy = "\"idle_timeout\": \"15m\", \"absolute_timeout\": \"8h\", \"warn_before\": \"2m\", \"max_extensions\": 10";
    conforms("POST", "/v1/policies/check", api.backend("POST", "/v1/policies/check",
        "{" + policy + ", \"against\": [\"pci-dss-4.0\", \"wcag-2.2\"]}"), 200);
    conforms("POST", "/v1/policies/explain", api.backend("POST", "/v1/policies/explain",
        "{" + policy + ", \"activity\": \"0s,5m,9m:extend\"}"), 200);
    conforms("PUT", "/v1/policies/default", api.backend("PUT", "/v1/policies/default", "{" + policy + "}"), 200);
    conforms("PUT", "/v1/policies/default", api.backend("PUT", "/v1/policies/default",
        "{\"idle_timeout\": \"15m\"}"), 400);
  }

  @Test
  void concurrentSessionsAnswerAsDocumented() {
    conforms("PUT", "/v1/policies/default", api.backend("PUT", "/v1/policies/default", "{\"idle_timeout\": \"15m\", "
        + "\"absolute_timeout\": \"12h\", \"max_sessions_per_subject\": 2, \"when_exceeded\": \"refuse_new\"}"), 200);
    conforms("GET", "/v1/policies/default", api.backend("GET", "/v1/policies/default", null), 200);
    String token = api.open("frank").token();
    api.open("frank");
    conforms("POST", "/v1/sessions", api.backend("POST", "/v1/sessions", "{\"subject\": \"frank\"}"), 409);
    HttpResponse<String> listed = conforms("GET", "/v1/subjects/frank/sessions",
        api.call("GET", "/v1/subjects/frank/sessions", null, "Authorization", "Bearer " + ApiFixture.APP_KEY), 200);
    assertThat(ApiFixture.json(listed).get("sessions")).hasSize(2);
    conforms("GET", "/v1/subjects/%20/sessions", api.backend("GET", "/v1/subjects/%20/sessions", null), 400);
    conforms("GET", "/v1/subjects/frank/sessions", api.call("GET", "/v1/subjects/frank/sessions", null,
        "Authorization", "Bearer " + ApiFixture.AUDITOR_KEY), 403);
    HttpResponse<String> ended = conforms("POST", "/v1/session/end-others",
        api.holder("POST", "/v1/session/end-others", token), 200);
    assertThat(ApiFixture.json(ended).get("ended").asInt()).isEqualTo(1);
    conforms("POST", "/v1/session/end-others", api.holder("POST", "/v1/session/end-others", "cft_nothing"), 401);
  }

  @Test
  void theAuditTrailAndOperationsAnswerAsDocumented() {
    api.open("dave");
    conforms("GET", "/v1/audit", api.backend("GET", "/v1/audit?subject=dave&limit=10", null), 200);
    conforms("GET", "/v1/audit", api.backend("GET", "/v1/audit?limit=0", null), 400);
    conforms("GET", "/v1/audit/evidence", api.backend("GET", "/v1/audit/evidence", null), 400);
    conforms("GET", "/v1/audit/consistency", api.backend("GET", "/v1/audit/consistency?from=2&to=1", null), 400);
    conforms("GET", "/healthz", api.call("GET", "/healthz", null), 200);
    conforms("GET", "/metrics", api.call("GET", "/metrics", null), 200);
    conforms("GET", "/openapi.json", api.call("GET", "/openapi.json", null), 200);
  }

  @Test
  void refusalsAnswerAsDocumented() {
    conforms("POST", "/v1/sessions", api.call("POST", "/v1/sessions", "{\"subject\": \"erin\"}"), 401);
    conforms("POST", "/v1/sessions", api.backend("POST", "/v1/sessions", "{\"subjekt\": \"erin\"}"), 400);
    conforms("GET", "/v1/sessions", api.call("GET", "/v1/sessions?subject=erin", null,
        "Authorization", "Bearer " + ApiFixture.AUDITOR_KEY), 403);
    conforms("GET", "/v1/sessions/s_nobody", api.backend("GET", "/v1/sessions/s_nobody", null), 404);
    conforms("GET", "/v1/session", api.call("GET", "/v1/session", null), 401);
    conforms("GET", "/v1/forward-auth", api.call("GET", "/v1/forward-auth", null, "Authorization", "Bearer nope"), 400);
    conforms("POST", "/v1/introspect", api.form("/v1/introspect", "token="), 400);
    conforms("POST", "/v1/sessions", api.send(api.request("/v1/sessions")
        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\": \"" + "x".repeat(70_000) + "\"}"))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + ApiFixture.KEY)), 413);
  }

  @Test
  void theCheckCanFail() {
    // A status the operation does not document, a body that breaks its schema: both reported.
    assertThat(answers.problems("GET", "/v1/session", 200, "application/json; charset=utf-8", "{\"session_id\": 7}"))
        .anyMatch(p -> p.contains("session_id") || p.contains("required"));
    assertThat(answers.problems("DELETE", "/v1/session", 200, null, "")).anyMatch(p -> p.contains("200 is not documented"));
  }

  /** Asserts the answer's status, then that it is what the document says; returns it. */
  private HttpResponse<String> conforms(String method, String path, HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(status);
    String type = r.headers().firstValue("Content-Type").orElse(null);
    assertThat(answers.problems(method, path, r.statusCode(), type, r.body())).as("%s %s answered %d", method, path, status)
        .isEmpty();
    checked.add(method + " " + path + " " + status);
    return r;
  }
}

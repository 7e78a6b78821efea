package dev.curfew.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.http.DocumentedAnswers;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console's answers, from a real server over a real store, held to the OpenAPI document it serves. */
class ConsoleAnswersTest {
  @TempDir Path dir;
  private ConsoleFixture f;
  private DocumentedAnswers answers;

  @BeforeEach
  void start() throws Exception {
    f = new ConsoleFixture(dir);
    answers = new DocumentedAnswers(ConsoleFixture.json(f.get("/openapi.json", null)));
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
  }

  @Test
  void theConsolesPagesAndCallsAnswerAsDocumented() {
    String id = f.open("alice").get("session_id").asText();
    conforms("GET", "/console/login", f.get("/console/login", null), 200);
    conforms("GET", "/console/sessions", f.get("/console/sessions", null), 303);
    ConsoleFixture.Operator op = f.signIn(ConsoleFixture.KEY);
    String t = op.token();

    conforms("GET", "/console", f.get("/console", t), 200);
    conforms("GET", "/console/static/console.css", f.get("/console/static/console.css", t), 200);
    conforms("GET", "/console/session", f.get("/console/session", t), 200);
    conforms("GET", "/console/api/me", f.get("/console/api/me", t), 200);
    conforms("GET", "/console/api/sessions", f.get("/console/api/sessions?q=ali", t), 200);
    conforms("GET", "/console/api/sessions/" + id, f.get("/console/api/sessions/" + id, t), 200);
    conforms("GET", "/console/api/sessions/" + id + "/records", f.get("/console/api/sessions/" + id + "/records", t), 200);
    conforms("GET", "/console/api/evidence", f.get("/console/api/evidence?session_id=" + id, t), 200);
    conforms("GET", "/console/api/audit", f.get("/console/api/audit", t), 200);
    conforms("GET", "/console/api/audit/records", f.get("/console/api/audit/records?limit=5", t), 200);
    conforms("GET", "/console/api/audit/public-key", f.get("/console/api/audit/public-key", t), 200);
    conforms("GET", "/console/api/metrics", f.get("/console/api/metrics", t), 200);
    conforms("GET", "/console/api/presets", f.get("/console/api/presets", t), 200);
    conforms("GET", "/console/api/policies", f.get("/console/api/policies", t), 200);
    conforms("GET", "/console/api/policies/standard", f.get("/console/api/policies/standard", t), 200);
    conforms("GET", "/console/api/subjects/alice/sessions", f.get("/console/api/subjects/alice/sessions", t), 200);
    conforms("GET", "/console/api/subjects/%20/sessions", f.get("/console/api/subjects/%20/sessions", t), 400);
    conforms("POST", "/console/session/end-others", f.change("POST", "/console/session/end-others", op, null), 200);
    conforms("POST", "/console/api/audit/verify", f.change("POST", "/console/api/audit/verify", op, null), 202);
    conforms("POST", "/console/api/policies/check", f.change("POST", "/console/api/policies/check", op,
        "{\"idle_timeout\": \"15m\", \"absolute_timeout\": \"8h\", \"against\": [\"pci-dss-4.0\"]}"), 200);
    conforms("DELETE", "/console/api/sessions/" + id, f.change("DELETE", "/console/api/sessions/" + id, op, null), 204);
    conforms("POST", "/console/api/subjects/alice/revoke", f.change("POST", "/console/api/subjects/alice/revoke", op,
        null), 200);
    conforms("DELETE", "/console/api/sessions/" + id, f.change("DELETE", "/console/api/sessions/" + id, op, null,
        "X-Curfew-CSRF", "wrong"), 403);
    conforms("DELETE", "/console/session", f.change("DELETE", "/console/session", op, null), 204);
    conforms("GET", "/console/api/me", f.get("/console/api/me", t), 401);
  }

  private void conforms(String method, String path, HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(status);
    assertThat(answers.problems(method, path, r.statusCode(), r.headers().firstValue("Content-Type").orElse(null),
        r.body())).as("%s %s answered %d", method, path, status).isEmpty();
  }
}

package dev.curfew.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.MalformedRequests;
import dev.curfew.server.RawExchange;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No request goes unanswered on the API port (issue 12, item 4): every route of the API and of the
 * console mounted on it, authenticated or not, answers each malformed request with a 4xx problem
 * within the deadline. The first of them ({@code PUT /v1/forward-auth?a=%} with a form body) once
 * hung until the 120 s idle timeout.
 */
class MalformedRequestAnswerTest {
  private static final List<String> API_PATHS = List.of("/v1/session", "/v1/session/activity", "/v1/session/extend",
      "/v1/session/warning-ack", "/v1/session/events", "/v1/sessions", "/v1/sessions/s_nope",
      "/v1/subjects/alice/revoke", "/v1/introspect", "/v1/revoke", "/v1/check", "/v1/forward-auth",
      "/v1/forward-auth/x/y", "/v1/policies", "/v1/policies/check", "/v1/policies/explain", "/v1/policies/standard",
      "/v1/audit", "/v1/audit/checkpoint", "/v1/audit/evidence", "/v1/audit/consistency", "/healthz", "/metrics",
      "/no/such/route");
  private static final List<String> CONSOLE_PATHS = List.of("/console", "/console/login", "/console/sessions",
      "/console/session", "/console/session/extend", "/console/api/me", "/console/api/sessions",
      "/console/api/sessions/s_nope", "/console/api/subjects/alice/revoke", "/console/api/audit/verify",
      "/console/api/policies/check", "/console/api/policies/standard", "/console/static/app.js");

  @TempDir Path dir;
  private ConsoleFixture f;

  @BeforeEach
  void start() throws Exception {
    f = new ConsoleFixture(dir);
  }

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  @Test
  void putForwardAuthWithAFormBodyAndABadEscapeIsAnswered() {
    RawExchange r = RawExchange.send(f.port, "PUT /v1/forward-auth?a=% HTTP/1.1\r\nHost: localhost\r\n"
        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\nConnection: close\r\n\r\na=b",
        MalformedRequests.DEADLINE);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.header("Content-Type")).startsWith("application/problem+json");
    assertThat(r.body()).contains("\"status\":400");
  }

  @Test
  void everyApiRouteAnswersEveryMalformedRequest_authenticatedOrNot() {
    int n = MalformedRequests.assertAllAnswered(f.port, API_PATHS, List.of("POST", "PUT", "DELETE", "GET"),
        List.of("", "Authorization: Bearer " + ConsoleFixture.KEY + "\r\n"), true, true);
    assertThat(n).isGreaterThan(1000);
  }

  @Test
  void everyConsoleRouteAnswersEveryMalformedRequest_signedInOrNot() {
    ConsoleFixture.Operator op = f.signIn(ConsoleFixture.KEY);
    String signedIn = "Cookie: " + ConsoleGuard.COOKIE + "=" + op.token() + "\r\nX-Curfew-CSRF: " + op.csrf()
        + "\r\nSec-Fetch-Site: same-origin\r\n";
    int n = MalformedRequests.assertAllAnswered(f.port, CONSOLE_PATHS, List.of("POST", "PUT", "DELETE", "GET"),
        List.of("", signedIn), true, true);
    assertThat(n).isGreaterThan(500);
  }
}

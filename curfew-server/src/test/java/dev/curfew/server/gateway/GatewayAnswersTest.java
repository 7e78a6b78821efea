package dev.curfew.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.server.http.DocumentedAnswers;
import dev.curfew.server.http.OpenApiDocument;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gateway's own endpoints under {@code /_curfew/}, answered by a real gateway, held to the OpenAPI document. */
class GatewayAnswersTest {
  private final GatewayFixture f = new GatewayFixture();
  private final DocumentedAnswers answers = new DocumentedAnswers(OpenApiDocument.tree());

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void theSameOriginEndpointsAnswerAsDocumented() {
    String cookie = GatewayFixture.cookie(f.login("alice"));
    String same = "same-origin";

    conforms("GET", "/_curfew/curfew.js", f.get("/_curfew/curfew.js"), 200);
    conforms("GET", "/_curfew/session", f.get("/_curfew/session", "Cookie", cookie), 200);
    conforms("POST", "/_curfew/session/activity", f.send("POST", "/_curfew/session/activity", "Cookie", cookie,
        "Sec-Fetch-Site", same), 200);
    conforms("POST", "/_curfew/session/extend", f.send("POST", "/_curfew/session/extend", "Cookie", cookie,
        "Sec-Fetch-Site", same), 200);
    conforms("POST", "/_curfew/session/warning-ack", f.send("POST", "/_curfew/session/warning-ack", "Cookie", cookie,
        "Sec-Fetch-Site", same), 409);
    conforms("POST", "/_curfew/session/end-others", f.send("POST", "/_curfew/session/end-others", "Cookie", cookie,
        "Sec-Fetch-Site", same), 200);
    conforms("POST", "/_curfew/session/activity", f.send("POST", "/_curfew/session/activity", "Cookie", cookie,
        "Sec-Fetch-Site", "cross-site"), 403);
    conforms("DELETE", "/_curfew/session", f.send("DELETE", "/_curfew/session", "Cookie", cookie,
        "Sec-Fetch-Site", same), 204);
    conforms("GET", "/_curfew/session", f.get("/_curfew/session", "Cookie", cookie), 401);
    conforms("GET", "/_curfew/session/events", f.get("/_curfew/session/events", "Cookie", cookie), 401);

    String expiring = GatewayFixture.cookie(f.login("bob"));
    f.advance(Duration.ofHours(13));
    conforms("GET", "/_curfew/session", f.get("/_curfew/session", "Cookie", expiring), 401);
  }

  private void conforms(String method, String path, HttpResponse<String> r, int status) {
    assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(status);
    assertThat(answers.problems(method, path, r.statusCode(), r.headers().firstValue("Content-Type").orElse(null),
        r.body())).as("%s %s answered %d", method, path, status).isEmpty();
  }
}

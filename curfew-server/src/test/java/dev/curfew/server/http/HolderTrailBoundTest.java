package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A session holder (or whoever has its token) hammers every endpoint that takes the token: the
 * trail grows by a bounded number of records per session per second, not by one per request.
 */
class HolderTrailBoundTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  private long recordsOf(String sessionId) {
    return f.sink.lines().stream().filter(l -> l.contains("\"session_id\":\"" + sessionId + "\"")).count();
  }

  @Test
  void everyHolderEndpoint_hammeredWithinOneSecond_writesABoundedNumberOfRecords() {
    ApiFixture.Created s = f.open("alice");
    // a second session of another place, which the app-backend key checks (and is refused)
    HttpResponse<String> elsewhere = f.backend("POST", "/v1/sessions", "{\"subject\":\"bob\",\"audience\":[\"route:/\"]}");
    assertThat(elsewhere.statusCode()).isEqualTo(201);
    String other = ApiFixture.json(elsewhere).get("token").asText();
    String otherId = ApiFixture.json(elsewhere).get("session_id").asText();
    long before = recordsOf(s.sessionId());
    long otherBefore = recordsOf(otherId);
    int acks = 0;
    for (int i = 0; i < 60; i++) {
      f.holder("GET", "/v1/session", s.token());
      f.holder("POST", "/v1/session/activity", s.token());
      f.holder("POST", "/v1/session/extend", s.token());
      HttpResponse<String> ack = f.holder("POST", "/v1/session/warning-ack", s.token());
      if (ack.statusCode() == 409) acks++;
      assertThat(f.call("GET", "/v1/forward-auth", null, "X-Curfew-Audience", "route:/elsewhere",
          "Authorization", "Bearer " + s.token()).statusCode()).isEqualTo(403);
      assertThat(f.backend("POST", "/v1/check", "{\"token\":\"" + other + "\",\"touch\":true}").statusCode()).isEqualTo(403);
    }
    assertThat(acks).as("no warning was sent: every acknowledgement refused").isEqualTo(60);
    // two extensions (the policy's max_extensions), and one refusal record for everything else
    assertThat(recordsOf(s.sessionId()) - before).isEqualTo(3);
    assertThat(recordsOf(otherId) - otherBefore).isEqualTo(1);

    f.holder("DELETE", "/v1/session", s.token());
    for (int i = 0; i < 60; i++) {
      f.holder("GET", "/v1/session", s.token());
      f.holder("POST", "/v1/session/extend", s.token());
      f.holder("DELETE", "/v1/session", s.token());
    }
    // the logout; the refusals of the ended token fall in the same second as the last refusal record
    assertThat(recordsOf(s.sessionId()) - before).isEqualTo(4);
    f.clock.advance(Duration.ofSeconds(1));
    f.holder("GET", "/v1/session", s.token());
    assertThat(recordsOf(s.sessionId()) - before).isEqualTo(5);
  }

  @Test
  void warningAck_isAcceptedOnceForAWarningThatWasSent() {
    ApiFixture.Created s = f.open("carol");
    HttpResponse<String> early = f.holder("POST", "/v1/session/warning-ack", s.token());
    assertThat(early.statusCode()).isEqualTo(409);
    assertThat(ApiFixture.json(early).get("type").asText()).isEqualTo("urn:curfew:problem:warning-ack-refused");
    f.advance(Duration.ofMinutes(13)); // default policy: idle 15m, warn_before 2m
    assertThat(f.sink.lines()).anyMatch(l -> l.contains("\"session.warning_sent\""));
    assertThat(f.holder("POST", "/v1/session/warning-ack", s.token()).statusCode()).isEqualTo(204);
    assertThat(f.holder("POST", "/v1/session/warning-ack", s.token()).statusCode()).isEqualTo(409);
    assertThat(f.sink.lines().stream().filter(l -> l.contains("\"session.warning_acknowledged\""))).hasSize(1);
  }
}

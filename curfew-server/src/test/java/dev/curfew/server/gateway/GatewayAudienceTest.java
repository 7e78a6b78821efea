package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.Audience;
import dev.curfew.core.Decision;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each gateway route admits only sessions whose audience names it; a refused session lives on, untouched. */
class GatewayAudienceTest {
  private final GatewayFixture f = new GatewayFixture();

  @AfterEach
  void close() {
    f.close();
  }

  private static String reason(HttpResponse<String> r) throws Exception {
    return new ObjectMapper().readTree(r.body()).get("reason").asText();
  }

  @Test
  void aTokenHandedOffOnOneRoute_isRefusedOnAnother_andLivesOnUntouched() throws Exception {
    HttpResponse<String> login = f.send("POST", "/login?as=alice");
    String c = GatewayProxyTest.sessionCookieOf(login).split(";", 2)[0];
    String token = c.substring(GatewayFixture.COOKIE.length() + 1);
    assertThat(f.sink.lines().stream().filter(l -> l.contains("\"session.created\"")).findFirst().orElseThrow())
        .contains("\"actor\":\"gateway:/\"").contains("\"audience\":[\"route:/\"]");
    f.clock.advance(Duration.ofMinutes(5));
    f.received.clear();

    HttpResponse<String> other = f.get("/strict/report", "Cookie", c);
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(reason(other)).isEqualTo("wrong_audience");
    assertThat(other.headers().allValues("Set-Cookie")).as("the cookie is kept").isEmpty();
    assertThat(other.headers().firstValue("Clear-Site-Data")).isEmpty();
    assertThat(f.received).as("nothing reached the upstream").isEmpty();

    Decision now = f.engine.check(token, false);
    assertThat(now.allowed()).isTrue();
    assertThat(now.status().lastActivityAtMs()).as("not touched").isEqualTo(now.status().createdAtMs());
    assertThat(f.get("/home", "Cookie", c).statusCode()).isEqualTo(200);
    assertThat(f.sink.lines()).anyMatch(l -> l.contains("\"session.refused\"") && l.contains("\"wrong_audience\"")
        && l.contains("\"used_at\":[\"route:/strict\"]"));
  }

  @Test
  void consoleAndAppSessions_doNotPassTheGateway() throws Exception {
    String console = f.engine.open("console:ops", null, Map.of(), Audience.CONSOLE, "console").token();
    String app = f.engine.open("alice", null, Map.of(), Audience.app("app-backend"), "app-backend").token();
    for (String token : new String[] {console, app}) {
      HttpResponse<String> r = f.get("/home", "Cookie", cookie(token), "Accept", "text/html");
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(reason(r)).isEqualTo("wrong_audience");
    }
    // the holder endpoints act on the session's own holder, whatever its audience
    assertThat(f.get("/_curfew/session", "Cookie", cookie(console)).statusCode()).isEqualTo(200);
  }

  @Test
  void refusalsOfOneSession_areRecordedAtMostOnceASecond() {
    String token = f.login("bob", "/strict");
    for (int i = 0; i < 40; i++) assertThat(f.get("/home", "Cookie", cookie(token)).statusCode()).isEqualTo(403);
    assertThat(f.sink.lines().stream().filter(l -> l.contains("\"session.refused\""))).hasSize(1);
    f.clock.advance(Duration.ofSeconds(1));
    f.get("/home", "Cookie", cookie(token));
    assertThat(f.sink.lines().stream().filter(l -> l.contains("\"session.refused\""))).hasSize(2);
    assertThat(f.sink.lines().get(f.sink.lines().size() - 1)).contains("\"repeats\":39");
  }
}

package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.COOKIE;
import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Decision;
import dev.curfew.core.EndReason;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Session fixation: a cookie planted before the login never becomes the logged-in session. */
class GatewayFixationTest {
  private final GatewayFixture f = new GatewayFixture();

  @AfterEach
  void close() {
    f.close();
  }

  @Test
  void aLoginOverAPresentedSessionGivesANewTokenAndEndsTheOldSession() {
    String planted = f.login("mallory"); // the attacker's own session, its cookie set in the victim's browser
    HttpResponse<String> login = f.send("POST", "/login?as=alice", "Cookie", cookie(planted));
    String set = login.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(COOKIE + "=")).findFirst()
        .orElseThrow();
    String fresh = set.substring(COOKIE.length() + 1, set.indexOf(';'));
    assertThat(fresh).isNotEqualTo(planted);
    Decision now = f.engine.check(fresh, false);
    assertThat(now.allowed()).isTrue();
    assertThat(now.status().subject()).isEqualTo("alice");
    Decision old = f.engine.check(planted, false);
    assertThat(old.allowed()).isFalse();
    assertThat(old.reason()).isEqualTo(EndReason.LOGGED_OUT);
  }
}

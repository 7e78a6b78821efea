package dev.curfew.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LoginHandoffTest {
  @Test
  void idpAndIdpSid_becomeTheAttributesAnIdpLogoutMatches() {
    LoginHandoff h = LoginHandoff.parse("subject=alice; idp=keycloak; idp_sid=\"0b8d-44f1\"");
    assertThat(h.attributes("/")).isEqualTo(Map.of("via", "gateway", "route", "/", "idp", "keycloak", "idp_sid", "0b8d-44f1"));
  }

  @Test
  void withoutThem_theAttributesAreAsBefore_andAnOverlongSidInvalidatesTheHeader() {
    assertThat(LoginHandoff.parse("subject=alice").attributes("/app")).isEqualTo(Map.of("via", "gateway", "route", "/app"));
    assertThat(LoginHandoff.parse("subject=alice; idp_sid=" + "x".repeat(257))).isNull();
  }
}

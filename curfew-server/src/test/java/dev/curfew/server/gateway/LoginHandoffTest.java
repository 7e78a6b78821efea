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

  @Test
  void aQuotedValueMayHoldSemicolonsQuotesAndBackslashes_asRfc9110QuotedStringsDo() {
    assertThat(LoginHandoff.parse("subject=\"a;b\"; policy=short").subject()).isEqualTo("a;b");
    assertThat(LoginHandoff.parse("subject=\"a;b\"; policy=short").policy()).isEqualTo("short");
    assertThat(LoginHandoff.parse("subject=\"Jane \\\"JD\\\" Doe\"").subject()).isEqualTo("Jane \"JD\" Doe");
    assertThat(LoginHandoff.parse("subject=\"c:\\\\users\"").subject()).isEqualTo("c:\\users");
    assertThat(LoginHandoff.parse("subject = alice@example.com ;policy=dba").subject()).isEqualTo("alice@example.com");
  }

  @Test
  void anythingNotWhollyUnderstood_isNoLogin() {
    for (String bad : new String[] {"subject=\"a;b", "subject=\"a\"b\"", "subject=\"a\" x", "subject=a\"b",
        "subject=\"\"", "subject=", "policy=short", "subject=a; colour=red", "subject=a;;=b", "subject=\"a\\\""}) {
      assertThat(LoginHandoff.parse(bad)).as(bad).isNull();
    }
  }
}

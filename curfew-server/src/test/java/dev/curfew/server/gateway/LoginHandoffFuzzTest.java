package dev.curfew.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/** The upstream's Curfew-Login header: understood whole, or not at all (null), never an exception. */
class LoginHandoffFuzzTest {
  @FuzzTest
  void header_isUnderstoodWholeOrNotAtAll(byte[] input) {
    String header = new String(input, StandardCharsets.UTF_8);
    LoginHandoff h = LoginHandoff.parse(header);
    if (h == null) return;
    assertThat(h.subject()).isNotEmpty();
    assertThat(header.toLowerCase(java.util.Locale.ROOT)).contains("subject");
    if (h.policy() != null) assertThat(h.policy()).isNotEmpty();
  }
}

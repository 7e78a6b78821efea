package dev.curfew.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OriginCheckTest {
  @ParameterizedTest
  @ValueSource(strings = {"localhost", "127.0.0.1", "10.0.0.7", "255.255.255.255", "0.0.0.0", "[::1]", "::1",
      "[2001:db8::7]", "[::ffff:127.0.0.1]"})
  void addressesAndLocalhost_needNoDnsAnswer(String host) {
    assertThat(OriginCheck.resolvesWithoutDns(host)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "256.0.0.1", "1.2.3",
      "0x7f000001", "2130706433", "01.2.3.4", "[evil.example]", "local-host", ""})
  void namesAndOddNumerals_doNot(String host) {
    assertThat(OriginCheck.resolvesWithoutDns(host)).isFalse();
  }
}

package dev.curfew.server.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressesTest {
  private final ClientAddresses direct = ClientAddresses.direct();
  private final ClientAddresses behindProxies = ClientAddresses.trusting(List.of("10.0.0.0/8", "::1", "fd00::/8"));

  @Test
  void withoutTrustedProxies_thePeerIsTheClient_andXForwardedForIsIgnored() {
    assertThat(direct.clientKey("203.0.113.7", List.of("198.51.100.1"))).isEqualTo("203.0.113.7");
    assertThat(direct.clientKey("203.0.113.7", null)).isEqualTo("203.0.113.7");
  }

  @Test
  void aTrustedPeersXForwardedFor_isReadFromTheRight_skippingTrustedHops() {
    // client (forged entry first), then the real client as the edge proxy saw it, then an inner proxy
    assertThat(behindProxies.clientKey("10.1.2.3", List.of("6.6.6.6, 198.51.100.9, 10.9.9.9")))
        .isEqualTo("198.51.100.9");
    assertThat(behindProxies.clientKey("10.1.2.3", List.of("6.6.6.6", "198.51.100.9"))).as("several header lines")
        .isEqualTo("198.51.100.9");
    assertThat(behindProxies.clientKey("10.1.2.3", List.of("10.0.0.5"))).as("only proxies: the leftmost")
        .isEqualTo("10.0.0.5");
    assertThat(behindProxies.clientKey("10.1.2.3", List.of("198.51.100.9, not-an-address"))).as("garbage stops the walk")
        .isEqualTo("10.1.2.3");
    assertThat(behindProxies.clientKey("10.1.2.3", List.of())).isEqualTo("10.1.2.3");
    assertThat(behindProxies.clientKey("192.0.2.1", List.of("198.51.100.9"))).as("an untrusted peer speaks for itself")
        .isEqualTo("192.0.2.1");
  }

  @Test
  void ipv6IsCountedPerSlash64_ipv4MappedAsIpv4() {
    assertThat(direct.clientKey("2001:db8:1:2:aaaa::1", null)).isEqualTo("2001:db8:1:2::/64");
    assertThat(direct.clientKey("2001:db8:1:2:bbbb::99", null)).isEqualTo("2001:db8:1:2::/64");
    assertThat(direct.clientKey("2001:db8:1:3::1", null)).isEqualTo("2001:db8:1:3::/64");
    assertThat(direct.clientKey("::ffff:192.0.2.5", null)).isEqualTo("192.0.2.5");
    assertThat(behindProxies.clientKey("::1", List.of("2001:db8::7"))).isEqualTo("2001:db8::/64");
    assertThat(ClientAddresses.trusting(List.of("127.0.0.1")).clientKey("::ffff:127.0.0.1", List.of("192.0.2.8")))
        .as("a mapped peer matches its IPv4 network").isEqualTo("192.0.2.8");
  }

  @Test
  void badProxyEntriesSayWhichOne() {
    assertThatThrownBy(() -> ClientAddresses.trusting(List.of("proxy.example.com"))).hasMessageContaining("\"proxy.example.com\"");
    assertThatThrownBy(() -> ClientAddresses.trusting(List.of("10.0.0.0/33"))).hasMessageContaining("0-32");
    assertThatThrownBy(() -> ClientAddresses.trusting(List.of("10.0.0.0/x"))).hasMessageContaining("\"10.0.0.0/x\"");
    assertThat(ClientAddresses.trusting(List.of("0.0.0.0/0")).clientKey("192.0.2.1", List.of("198.51.100.1")))
        .isEqualTo("198.51.100.1");
  }

  @Test
  void trusts_isTheRuleThatClientKeyUses() {
    assertThat(behindProxies.trusts("10.1.2.3")).isTrue();
    assertThat(behindProxies.trusts("::1")).isTrue();
    assertThat(behindProxies.trusts("::ffff:10.0.0.1")).as("IPv4-mapped").isTrue();
    assertThat(behindProxies.trusts("192.0.2.1")).isFalse();
    assertThat(behindProxies.trusts("not an address")).isFalse();
    assertThat(behindProxies.trusts(null)).isFalse();
    assertThat(direct.trusts("127.0.0.1")).isFalse();
  }
}

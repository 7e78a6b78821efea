package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class TokenHashTest {
  @Property(tries = 500, seed = "20261128")
  void of_isSha256OfTheAsciiBytes(@ForAll String s) throws Exception {
    byte[] expected = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
    assertThat(TokenHash.of(s).toHex()).isEqualTo(HexFormat.of().formatHex(expected));
  }

  @Property(tries = 500, seed = "20261205")
  void leadingByte_isTheFirstByteUnsigned(@ForAll String s) {
    TokenHash h = TokenHash.of(s);
    assertThat(h.leadingByte()).isEqualTo(h.toBytes()[0] & 0xFF).isBetween(0, 255);
  }

  @Test
  void knownVector() {
    // SHA-256("abc"), FIPS 180-2 appendix B.1
    assertThat(TokenHash.of("abc").toHex())
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(TokenHash.of("abc").leadingByte()).isEqualTo(0xba);
    String t = Tokens.newToken();
    assertThat(TokenHash.of(t)).isEqualTo(TokenHash.of(t)).hasSameHashCodeAs(TokenHash.of(t));
    assertThat(TokenHash.of(t).toString()).doesNotContain(t);
  }
}

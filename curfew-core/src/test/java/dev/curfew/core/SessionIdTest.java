package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.Base64;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class SessionIdTest {
  @Property(tries = 2000, seed = "20261128")
  void toString_isBase64urlOfTheSixteenBytes(@ForAll long hi, @ForAll long lo) {
    byte[] b = ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
    String expected = "s_" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    SessionId id = SessionId.parse(expected);
    assertThat(id).isNotNull();
    assertThat(id.toString()).isEqualTo(expected);
  }

  @Test
  void parse_roundTripsNewIds_andRefusesNonCanonicalSpellings() {
    for (int i = 0; i < 1000; i++) {
      String s = Tokens.newSessionId();
      assertThat(SessionId.parse(s)).hasToString(s);
    }
    assertThat(SessionId.parse("s_AAAAAAAAAAAAAAAAAAAAAA")).hasToString("s_AAAAAAAAAAAAAAAAAAAAAA");
    assertThat(SessionId.parse("s_AAAAAAAAAAAAAAAAAAAAAB")).isNull(); // non-zero padding bits
    assertThat(SessionId.parse("s_________________________")).isNull();
  }
}

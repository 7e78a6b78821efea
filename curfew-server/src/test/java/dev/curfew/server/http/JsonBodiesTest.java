package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A malformed body's 400 says what is wrong and where, in the body's terms, not the parser's. */
class JsonBodiesTest {
  private static void refused(String body, String message) {
    assertThatThrownBy(() -> JsonBodies.object(body.getBytes(StandardCharsets.UTF_8), false))
        .isInstanceOf(JsonBodies.BadInput.class).hasMessage(message);
  }

  @Test
  void aMalformedBody_namesTheProblemAndItsPlace_withoutTheParsersInternals() {
    // Before: "... (start marker at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1])"
    refused("{", "malformed JSON: Unexpected end-of-input: expected close marker for Object (line 1, column 2)");
    refused("{\"token\":\"x\" \"y\"}", "malformed JSON: Unexpected character ('\"' (code 34)): was expecting comma to separate "
        + "Object entries (line 1, column 14)");
  }
}

package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  /** Half a surrogate pair is not text (I-JSON, RFC 7493 section 2.1): refused, escaped or not, key or value. */
  @Test
  void aStringWithALoneSurrogate_isRefused() {
    for (String json : List.of("\"\\udddd\"", "\"a\\ud800\"", "\"\\ud800\\u0041\"", "\"\\ude00\\ud83d\"",
        "{\"\\ud800\":1}", "[\"x\", \"\\udfff\"]", "\"\ud800\"", "\"a\udc00b\"")) {
      assertThatThrownBy(() -> Json.parse(json)).as(json)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("lone surrogate");
    }
  }

  @Test
  void aSurrogatePair_isText() {
    assertThat(Json.parse("\"\\ud83d\\ude00\"")).isEqualTo("\ud83d\ude00");
    assertThat(Json.parse("\"\ud83d\ude00 and \\ud83d\ude00\"")).isEqualTo("\ud83d\ude00 and \ud83d\ude00");
    assertThat(Json.parseObject("{\"\\ud83d\\ude00\":\"x\"}")).isEqualTo(Map.of("\ud83d\ude00", "x"));
  }
}

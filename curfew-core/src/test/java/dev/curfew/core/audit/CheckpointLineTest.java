package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CheckpointLineTest {
  @Test
  void aLine_writesBackTheSame() {
    String json = new CheckpointLine(7, "curfew.example/log\n7\nabc=\n\n— curfew.example/log xyz\n").toJson();
    assertThat(CheckpointLine.parse(json).toJson()).isEqualTo(json);
  }

  /**
   * JSON escapes can name half of a surrogate pair, which no UTF-8 text holds: a signed note never
   * contains one, and the line could not be written back (CheckpointFuzzTest found it). {@link Json}
   * refuses such a string, here as everywhere.
   */
  @Test
  void aNoteWithALoneSurrogate_isRefusedWhenRead() {
    assertThatThrownBy(() -> CheckpointLine.parse("{\"note\":\"origin\\n1\\n\\udddd\\n\",\"tree_size\":1}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lone surrogate");
    assertThatThrownBy(() -> CheckpointLine.parse("{\"note\":\"\\ud800\",\"tree_size\":1}"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(CheckpointLine.parse("{\"note\":\"\\ud83d\\ude00\",\"tree_size\":1}").note()).isEqualTo("\ud83d\ude00");
  }
}

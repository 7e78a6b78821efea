package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void parse_readsTheShortAndIsoForms() {
    assertThat(Durations.parse("1500ms")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse("PT15M")).isEqualTo(Duration.ofMinutes(15));
    assertThat(Durations.parse(Durations.format(Durations.MAX))).isEqualTo(Durations.MAX);
  }

  /** Issue 20: these parsed, and the first toMillis() (a policy's error message, a trace) overflowed. */
  @Test
  void parse_refusesDurationsBeyondTheLimit_insteadOfOverflowingLater() {
    for (String huge : new String[] {"999999999999d", "999999999999h", "PT2562047788015215H", "P106751991167300D",
        "PT9223372036854775807S", "365251d", "8766001h"}) {
      assertThatThrownBy(() -> Durations.parse(huge)).as(huge)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than");
    }
  }

  @Test
  void parse_refusesNegativeAndMalformed() {
    for (String bad : new String[] {"-PT1S", "-1s", "1e400s", "1.5s", "", "PT", "15", "0x10s", "P-1D"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void format_neverThrows_evenForDurationsParseRefuses() {
    assertThat(Durations.format(Duration.ofSeconds(Long.MAX_VALUE))).isNotEmpty();
    assertThat(Durations.format(Duration.ofDays(1_000_000_000_000L))).isEqualTo("1000000000000d");
  }
}

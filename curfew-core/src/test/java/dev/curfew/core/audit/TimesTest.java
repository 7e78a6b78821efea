package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class TimesTest {
  private static final DateTimeFormatter REFERENCE =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  @Property(tries = 5000)
  void format_agreesWithJavaTime(@ForAll @LongRange(min = -62_167_219_200_000L, max = 253_402_300_799_999L) long ms) {
    assertThat(Times.format(ms)).isEqualTo(REFERENCE.format(Instant.ofEpochMilli(ms)));
    assertThat(Times.parse(Times.format(ms))).isEqualTo(ms);
  }

  @Test
  void format_edges() {
    assertThat(Times.format(0)).isEqualTo("1970-01-01T00:00:00.000Z");
    assertThat(Times.format(951_782_400_000L)).isEqualTo("2000-02-29T00:00:00.000Z");
    assertThat(Times.format(-1)).isEqualTo("1969-12-31T23:59:59.999Z");
    assertThat(Times.format(1_798_761_599_999L)).isEqualTo("2026-12-31T23:59:59.999Z");
  }
}

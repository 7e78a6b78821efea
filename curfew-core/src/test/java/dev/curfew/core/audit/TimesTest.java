package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  @Property(tries = 5000, seed = "20261128")
  void format_agreesWithJavaTime(@ForAll @LongRange(min = -62_167_219_200_000L, max = 253_402_300_799_999L) long ms) {
    assertThat(Times.format(ms)).isEqualTo(REFERENCE.format(Instant.ofEpochMilli(ms)));
    assertThat(Times.parse(Times.format(ms))).isEqualTo(ms);
  }

  /** {@link Times#write} writes format's text at an offset and leaves the bytes around it alone. */
  @Property(tries = 2000, seed = "20261204")
  void write_isFormatsText(@ForAll @LongRange(min = -62_167_219_200_000L, max = 253_402_300_799_999L) long ms) {
    byte[] out = new byte[Times.LENGTH + 4];
    java.util.Arrays.fill(out, (byte) '#');
    assertThat(Times.write(ms, out, 2)).isTrue();
    assertThat(new String(out, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("##" + Times.format(ms) + "##");
  }

  @Test
  void write_leavesYearsOutside0000To9999ToFormat() {
    byte[] out = new byte[Times.LENGTH];
    assertThat(Times.write(Times.MIN_MS - 1, out, 0)).isFalse();
    assertThat(Times.write(Times.MAX_MS + 1, out, 0)).isFalse();
    assertThat(out).containsOnly(0);
    assertThat(Times.format(Times.MAX_MS + 1)).isEqualTo(REFERENCE.format(Instant.ofEpochMilli(Times.MAX_MS + 1)));
  }

  @Test
  void format_edges() {
    assertThat(Times.format(0)).isEqualTo("1970-01-01T00:00:00.000Z");
    assertThat(Times.format(951_782_400_000L)).isEqualTo("2000-02-29T00:00:00.000Z");
    assertThat(Times.format(-1)).isEqualTo("1969-12-31T23:59:59.999Z");
    assertThat(Times.format(1_798_761_599_999L)).isEqualTo("2026-12-31T23:59:59.999Z");
  }

  /** Issue 20: found by fuzzing; java.time reads it, and toEpochMilli overflowed. */
  @Test
  void parse_refusesAYearFarOutOfRange_insteadOfOverflowing() {
    assertThatThrownBy(() -> Times.parse("-444440001-12-15T00:00Z"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0000-9999");
    assertThatThrownBy(() -> Times.parse("+999999999-12-31T23:59:59.999999999Z"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** RFC 3339 section 5.6: date-fullyear = 4DIGIT. What format writes is what parse accepts. */
  @Test
  void parse_acceptsExactlyTheYears0000To9999() {
    assertThat(Times.parse("0000-01-01T00:00:00Z")).isEqualTo(-62_167_219_200_000L);
    assertThat(Times.parse("9999-12-31T23:59:59.999Z")).isEqualTo(253_402_300_799_999L);
    for (String outside : new String[] {"+10000-01-01T00:00:00Z", "-0001-12-31T23:59:59Z",
        "0000-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"}) {
      assertThatThrownBy(() -> Times.parse(outside)).as(outside).isInstanceOf(IllegalArgumentException.class);
    }
  }
}

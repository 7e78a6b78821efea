package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** RFC 3339 times from untrusted text (audit query parameters, records given to verify). */
class TimesFuzzTest {

  /**
   * Parse returns an instant of years 0000-9999 or throws IllegalArgumentException (never an
   * ArithmeticException: finding-year-out-of-range); what it returns formats and parses back.
   */
  @FuzzTest
  void parse_returnsOrRefuses_andFormatParsesBack(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    long ms;
    try {
      ms = Times.parse(text);
    } catch (IllegalArgumentException refused) {
      return;
    }
    String formatted = Times.format(ms);
    assertThat(Times.parse(formatted)).as("%s -> %s", text, formatted).isEqualTo(ms);
    // Only years 0000-9999 are accepted (RFC 3339 section 5.6): always the form records use.
    assertThat(formatted).as("%s -> %s", text, formatted).hasSize(24);
    assertThat(AuditVerifier.parseTimeMs(formatted)).as("the verifier reads what format writes").isEqualTo(ms);
  }

  /** The verifier's hand-written reader of record times accepts exactly what format writes. */
  @FuzzTest
  void verifierTimeReader_acceptsExactlyTheRecordForm(byte[] input) {
    String text = new String(input, StandardCharsets.UTF_8);
    long ms = AuditVerifier.parseTimeMs(text);
    if (ms != Long.MIN_VALUE) {
      assertThat(Times.format(ms)).isEqualTo(text);
    } else if (text.length() == 24) {
      try {
        long strict = Times.parse(text);
        assertThat(Times.format(strict)).as("java.time reads %s, the verifier does not", text).isNotEqualTo(text);
      } catch (IllegalArgumentException refusedByBoth) {
        // fine
      }
    }
  }

  /** Format agrees with java.time on every instant it can be given (the input's first 8 bytes). */
  @FuzzTest
  void format_agreesWithJavaTime(byte[] input) {
    long epochMs = ByteBuffer.wrap(java.util.Arrays.copyOf(input, 8)).getLong();
    java.time.Instant instant;
    try {
      instant = java.time.Instant.ofEpochMilli(epochMs);
    } catch (java.time.DateTimeException outOfRange) {
      return;
    }
    if (instant.isBefore(java.time.Instant.parse("0000-01-01T00:00:00Z"))
        || !instant.isBefore(java.time.Instant.parse("+10000-01-01T00:00:00Z"))) {
      return; // the record format covers years 0000-9999
    }
    String expected = java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
        .withZone(java.time.ZoneOffset.UTC).format(instant);
    assertThat(Times.format(epochMs)).isEqualTo(expected);
  }
}

package dev.curfew.core.audit;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** RFC 3339 UTC instants with milliseconds, the only time format of the API and the records. */
public final class Times {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private Times() {}

  public static String format(long epochMs) {
    return FORMAT.format(Instant.ofEpochMilli(epochMs));
  }

  /** Parses any RFC 3339 instant ({@code Z} or an offset); throws IllegalArgumentException. */
  public static long parse(String text) {
    try {
      return java.time.OffsetDateTime.parse(text).toInstant().toEpochMilli();
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IllegalArgumentException("not an RFC 3339 time: \"" + text + "\"");
    }
  }
}

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

  /**
   * {@code uuuu-MM-ddTHH:mm:ss.SSSZ} for years 0000 to 9999, written by hand: it runs for every
   * record and status body, and java.time's formatter costs microseconds per call. The calendar
   * arithmetic is the days-to-civil algorithm of H. Hinnant, "chrono-Compatible Low-Level Date
   * Algorithms" (proleptic Gregorian); other years go through java.time.
   */
  public static String format(long epochMs) {
    byte[] b = new byte[LENGTH];
    if (!write(epochMs, b, 0)) return FORMAT.format(Instant.ofEpochMilli(epochMs));
    return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  /** How many characters {@link #format} writes for years 0000 to 9999. */
  public static final int LENGTH = 24;

  /**
   * Writes {@link #format}'s text of {@code epochMs} as {@link #LENGTH} ASCII bytes into {@code out}
   * at {@code at}, for a body written byte by byte; false, with nothing written, for a year outside
   * 0000 to 9999 (use {@link #format}).
   */
  public static boolean write(long epochMs, byte[] out, int at) {
    long days = Math.floorDiv(epochMs, 86_400_000L);
    int msOfDay = (int) Math.floorMod(epochMs, 86_400_000L);
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long doe = z - era * 146_097;
    long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    int day = (int) (doy - (153 * mp + 2) / 5 + 1);
    int month = (int) (mp < 10 ? mp + 3 : mp - 9);
    long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) return false;
    digits(out, at, (int) year, 4);
    out[at + 4] = '-';
    digits(out, at + 5, month, 2);
    out[at + 7] = '-';
    digits(out, at + 8, day, 2);
    out[at + 10] = 'T';
    digits(out, at + 11, msOfDay / 3_600_000, 2);
    out[at + 13] = ':';
    digits(out, at + 14, msOfDay / 60_000 % 60, 2);
    out[at + 16] = ':';
    digits(out, at + 17, msOfDay / 1000 % 60, 2);
    out[at + 19] = '.';
    digits(out, at + 20, msOfDay % 1000, 3);
    out[at + 23] = 'Z';
    return true;
  }

  private static void digits(byte[] b, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      b[i] = (byte) ('0' + value % 10);
      value /= 10;
    }
  }

  /** The first instant {@link #parse} accepts: 0000-01-01T00:00:00.000Z. */
  public static final long MIN_MS = -62_167_219_200_000L;
  /** The last instant {@link #parse} accepts: 9999-12-31T23:59:59.999Z. */
  public static final long MAX_MS = 253_402_300_799_999L;

  /**
   * Parses an RFC 3339 instant ({@code Z} or an offset) of years 0000 to 9999; throws
   * IllegalArgumentException for anything else. RFC 3339 section 5.6 writes the year with four
   * digits; java.time also reads signed years of up to nine digits, whose milliseconds may not fit
   * a long ({@code -444440001-12-15T00:00Z}) and which the record form cannot write, so the range
   * is checked on the instant, before it becomes milliseconds.
   */
  public static long parse(String text) {
    Instant instant;
    try {
      instant = java.time.OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException | NullPointerException e) {
      throw new IllegalArgumentException("not an RFC 3339 time: \"" + shorten(text) + "\"");
    }
    if (instant.isBefore(FIRST) || instant.isAfter(LAST)) {
      throw new IllegalArgumentException("an RFC 3339 time must be within the years 0000-9999 (UTC): \""
          + shorten(text) + "\"");
    }
    return instant.toEpochMilli();
  }

  private static final Instant FIRST = Instant.ofEpochMilli(MIN_MS);
  private static final Instant LAST = Instant.ofEpochMilli(MAX_MS).plusNanos(999_999);

  private static String shorten(String text) {
    return text != null && text.length() > 64 ? text.substring(0, 64) + "..." : text;
  }
}

package dev.curfew.core;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them in configuration: {@code 1500ms}, {@code 2s}, {@code 15m},
 * {@code 12h}, {@code 30d}, or ISO-8601 ({@code PT15M}).
 */
public final class Durations {
  /**
   * The longest duration accepted: 1000 years (365,250 days). Far beyond any timeout a policy allows
   * ({@link Policy#MAX_TIMEOUT}), and small enough that its milliseconds added to any instant of
   * the years 0000-9999 fit a long: without a limit, {@code 999999999999d} parsed and the first
   * {@code toMillis()} overflowed.
   */
  public static final Duration MAX = Duration.ofDays(365_250);
  private static final Duration LONGEST_IN_MS = Duration.ofMillis(Long.MAX_VALUE);
  private static final Pattern SHORT = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");

  private Durations() {}

  /** Parses {@code text}; throws {@link IllegalArgumentException} naming the text when malformed. */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("duration is missing");
    }
    String t = text.trim();
    Matcher m = SHORT.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "ms": return atMostMax(Duration.ofMillis(n), text);
        case "s": return atMostMax(Duration.ofSeconds(n), text);
        case "m": return atMostMax(Duration.ofMinutes(n), text);
        case "h": return atMostMax(Duration.ofHours(n), text);
        default: return atMostMax(Duration.ofDays(n), text);
      }
    }
    if (t.startsWith("P") || t.startsWith("p")) {
      try {
        Duration d = Duration.parse(t);
        if (d.isNegative()) {
          throw new IllegalArgumentException("negative duration: \"" + text + "\"");
        }
        return atMostMax(d, text);
      } catch (DateTimeParseException e) {
        // fall through to the common message
      }
    }
    throw new IllegalArgumentException(
        "not a duration: \"" + text + "\" (write e.g. 1500ms, 2s, 15m, 12h, 30d or PT15M)");
  }

  private static Duration atMostMax(Duration d, String text) {
    if (d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("duration longer than " + format(MAX) + ": \"" + text + "\"");
    }
    return d;
  }

  /** The shortest exact short form: {@code 15m}, {@code 1500ms}, {@code 0s}. */
  public static String format(Duration d) {
    if (d.compareTo(LONGEST_IN_MS) > 0) {
      // Too long for milliseconds in a long (only code, not parse, can make one): whole seconds.
      return d.getNano() == 0 && d.getSeconds() % 86_400 == 0 ? d.getSeconds() / 86_400 + "d" : d.toString();
    }
    if (d.getNano() % 1_000_000 != 0) {
      // Finer than a millisecond (only ISO-8601 can say so): exact, in milliseconds.
      return new java.math.BigDecimal(d.toNanos()).movePointLeft(6).stripTrailingZeros().toPlainString() + "ms";
    }
    long ms = d.toMillis();
    if (ms == 0) return "0s";
    if (ms % 86_400_000L == 0) return ms / 86_400_000L + "d";
    if (ms % 3_600_000L == 0) return ms / 3_600_000L + "h";
    if (ms % 60_000L == 0) return ms / 60_000L + "m";
    if (ms % 1_000L == 0) return ms / 1_000L + "s";
    return ms + "ms";
  }
}

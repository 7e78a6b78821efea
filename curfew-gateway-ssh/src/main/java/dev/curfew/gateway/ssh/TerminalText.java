package dev.curfew.gateway.ssh;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The words the gateway writes into a terminal (spec/protocol-gateways.md: the warning on its own
 * line, with a bell, naming the time left; at the end a last line naming the reason), and the text of
 * the disconnect. Lines start with CR LF so that they stand on their own line whatever the cursor's
 * column, and end with CR LF because a terminal in raw mode does not translate LF.
 */
final class TerminalText {
  private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
  private static final String BELL = "\u0007";

  private TerminalText() {}

  /**
   * The warning ({@code curfew: this session ends at 14:32:05Z (idle timeout) in 60 s; ...}, the
   * spec's wording); what follows the semicolon says what the person can do about it.
   */
  static String warning(long expiresAtMs, long secondsLeft, boolean absolute) {
    return "\r\n" + BELL + "curfew: this session ends at " + CLOCK.format(Instant.ofEpochMilli(expiresAtMs))
        + (absolute ? " (absolute timeout)" : " (idle timeout)") + " in " + secondsLeft + " s; "
        + (absolute ? "it cannot be extended, save your work" : "any keystroke keeps it open") + "\r\n";
  }

  /** The last line of a terminal whose session ended. */
  static String endLine(String reason) {
    return "\r\n" + BELL + disconnectText(reason) + "\r\n";
  }

  /** The disconnect message, also the exit-signal's message: names the reason. */
  static String disconnectText(String reason) {
    return "curfew: session ended (" + reason + ")";
  }

  /** The disconnect message of a login refused: names the session's reason or what else is wrong. */
  static String refusedText(String why) {
    return "curfew: login refused (" + why + ")";
  }
}

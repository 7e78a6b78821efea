package dev.curfew.gateway.mcp;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** The words of the warning an agent (and the person behind it) reads in its MCP log messages. */
final class McpNotices {
  private static final DateTimeFormatter CLOCK_TIME = DateTimeFormatter.ofPattern("HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private McpNotices() {}

  /**
   * {@code curfew: this session ends at 14:32:05Z (idle timeout) in 60 s; a tool call keeps it
   * active}; at the absolute deadline no call helps, so the advice is to finish and start a new session.
   */
  static String warning(long expiresAtMs, boolean absolute, long secondsLeft) {
    return "curfew: this session ends at " + CLOCK_TIME.format(Instant.ofEpochMilli(expiresAtMs))
        + (absolute ? " (absolute timeout) in " : " (idle timeout) in ") + secondsLeft + " s; "
        + (absolute ? "finish the work in hand and start a new session" : "a tool call keeps it active");
  }
}

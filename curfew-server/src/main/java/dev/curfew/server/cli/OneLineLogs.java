package dev.curfew.server.cli;

import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The process's log lines (spec/cli-and-config.md: {@code serve} "logs one line per
 * request-independent event"): {@code 2026-12-05T16:40:00.123Z WARNING logger: message}, and for an
 * exception its class, message, causes and stack frames on the same line, separated by {@code " | "}.
 * Line breaks inside a message are written as {@code \n}. The JDK's default format takes two lines
 * an event and more for a stack trace, which a line-oriented collector splits into unrelated events.
 */
final class OneLineLogs extends Formatter {

  /**
   * Gives the root logger's handlers this format, unless the JDK's logging was configured
   * ({@code -Djava.util.logging.config.file} or {@code .config.class}): that configuration decides.
   */
  static void install() {
    if (System.getProperty("java.util.logging.config.file") != null
        || System.getProperty("java.util.logging.config.class") != null) {
      return;
    }
    for (Handler h : Logger.getLogger("").getHandlers()) h.setFormatter(new OneLineLogs());
  }

  @Override
  public String format(LogRecord r) {
    StringBuilder b = new StringBuilder(160);
    b.append(Instant.ofEpochMilli(r.getMillis())).append(' ').append(r.getLevel().getName()).append(' ')
        .append(r.getLoggerName() == null ? "-" : r.getLoggerName()).append(": ");
    oneLine(b, formatMessage(r));
    for (Throwable t = r.getThrown(), seen = null; t != null && t != seen; seen = t, t = t.getCause()) {
      b.append(t == r.getThrown() ? " | " : " | caused by ");
      oneLine(b, t.toString());
      for (StackTraceElement f : t.getStackTrace()) b.append(" | at ").append(f);
    }
    return b.append(System.lineSeparator()).toString();
  }

  private static void oneLine(StringBuilder b, String s) {
    if (s == null) return;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\n') b.append("\\n");
      else if (c != '\r') b.append(c);
    }
  }
}

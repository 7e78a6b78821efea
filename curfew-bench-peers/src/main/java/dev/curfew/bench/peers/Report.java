package dev.curfew.bench.peers;

import java.util.Locale;
import org.HdrHistogram.Histogram;

/**
 * Prints each measured row twice: for people, and as one {@code RESULT|...} line with fixed fields
 * that {@code run.sh} turns into the comparison table.
 */
final class Report {
  private Report() {}

  /**
   * @param peer what was measured, e.g. {@code spring-session} or {@code curfew-redis}
   * @param mode {@code threads} (closed loops) or {@code in-flight} (asynchronous, bounded)
   * @param concurrency threads, or requests in flight
   * @param commands Redis commands per operation, or null when nothing went through Redis
   */
  static void row(String peer, String mode, int concurrency, Load.Result r, RedisServer.CommandsPerOp commands) {
    Histogram h = r.latencyNanos();
    String cmds = commands == null ? "-" : String.format(Locale.ROOT, "%.2f", commands.total());
    String breakdown = commands == null ? "-" : commands.breakdown();
    System.out.printf(Locale.ROOT,
        "%-22s %-9s %4d: %,10.0f ops/s  p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  refused %d  failed %d"
            + "  JVM CPU %.1f µs/op  Redis commands/op %s (%s)%n",
        peer, mode, concurrency, r.perSecond(), ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9),
        ms(h.getMaxValue()), r.refused(), r.failed(), r.cpuMicrosPerAnswer(), cmds, breakdown);
    System.out.printf(Locale.ROOT, "RESULT|%s|%s|%d|%.0f|%s|%s|%s|%s|%s|%d|%d|%s|%s%n",
        peer, mode, concurrency, r.perSecond(), ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9),
        ms(h.getMaxValue()), r.refused(), r.failed(), cmds, breakdown);
    System.out.flush();
  }

  /** The {@code RESULT} line of a peer that could not be measured (same fields, empty). */
  static String notRun(String peer) {
    return "RESULT|" + peer + "|not-run|0" + "|".repeat(10);
  }

  private static String ms(Histogram h, double percentile) {
    return ms(h.getValueAtPercentile(percentile));
  }

  /** Milliseconds with three decimals. */
  private static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }
}

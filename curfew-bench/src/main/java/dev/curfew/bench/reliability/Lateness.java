package dev.curfew.bench.reliability;

import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.Times;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Expiry lateness as the audit trail proves it: {@code lateness_ms} of every {@code
 * session.expired} a timer detected, within a time window, read from a stopped server's log.
 */
final class Lateness {
  /** The distribution, in ms, and how many expiries requests and recovery found before the timer did. */
  record Figures(long timerExpiries, long otherExpiries, long p50, long p99, long p999, long max, long warnings) {
    String describe() {
      return String.format("%d expiries detected by the timer (p50 %d ms, p99 %d ms, p99.9 %d ms, max %d ms),"
          + " %d first seen by a request or recovery; %d warnings", timerExpiries, p50, p99, p999, max, otherExpiries, warnings);
    }
  }

  @SuppressWarnings("unchecked")
  static Figures read(Path dataDir, long fromMs, long toMs) throws IOException {
    long[] values = new long[1024];
    int n = 0;
    long other = 0;
    long warnings = 0;
    Path audit = dataDir.resolve("audit");
    try (Stream<Path> s = Files.list(audit)) {
      for (Path segment : s.filter(p -> p.getFileName().toString().matches("audit-\\d{20}\\.jsonl")).sorted().toList()) {
        for (String line : Files.readAllLines(segment, StandardCharsets.UTF_8)) {
          if (!line.contains("\"type\":\"session.expired\"") && !line.contains("\"type\":\"session.warning_sent\"")) continue;
          Map<String, Object> r = Json.parseObject(line);
          long time = Times.parse((String) r.get("time"));
          if (time < fromMs || time >= toMs) continue;
          if (r.get("type").equals("session.warning_sent")) {
            warnings++;
            continue;
          }
          Map<String, Object> data = (Map<String, Object>) r.get("data");
          if (!"timer".equals(data.get("detected_by"))) {
            other++;
            continue;
          }
          if (n == values.length) values = Arrays.copyOf(values, n * 2);
          values[n++] = ((Number) data.get("lateness_ms")).longValue();
        }
      }
    }
    long[] v = Arrays.copyOf(values, n);
    Arrays.sort(v);
    return new Figures(n, other, at(v, 0.50), at(v, 0.99), at(v, 0.999), n == 0 ? 0 : v[n - 1], warnings);
  }

  private static long at(long[] sorted, double q) {
    if (sorted.length == 0) return 0;
    return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  }

  private Lateness() {}
}

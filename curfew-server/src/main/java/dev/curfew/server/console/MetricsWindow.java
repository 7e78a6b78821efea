package dev.curfew.server.console;

import dev.curfew.core.Clock;
import dev.curfew.core.audit.Times;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The last five minutes of Curfew's own meters, for "metrics at a glance": sampled from the
 * Micrometer registry once a second (the same meters {@code /metrics} exports), so that rates and
 * percentiles can be shown without a Prometheus server.
 *
 * <ul>
 *   <li>live sessions: the gauge {@code curfew.live.sessions};
 *   <li>checks per second by outcome: the change of the counters {@code curfew.checks} over the
 *       last {@value #RATE_WINDOW_S} s;
 *   <li>expiry lateness: p50, p90, p99 from the change of the histogram {@code
 *       curfew.expiry.lateness} (every {@code detected_by}) over the window, each as the upper bound
 *       of the bucket it falls in (an upper bound, never an underestimate: the buckets grow by about
 *       a third, from 1 ms); and the timer's recent max;
 *   <li>audit append rate: the change of {@code curfew.audit.records} over the last {@value
 *       #RATE_WINDOW_S} s.
 * </ul>
 * Series for sparklines hold one point every {@value #POINT_S} s.
 */
final class MetricsWindow {
  static final int WINDOW_S = 300;
  static final int RATE_WINDOW_S = 10;
  static final int POINT_S = 5;

  private final MeterRegistry registry;
  private final Clock clock;
  private final ArrayDeque<Sample> samples = new ArrayDeque<>(); // guarded by this; oldest first

  /** The meters at one instant; counts are cumulative since the start of the process. */
  record Sample(long atMs, double live, Map<String, Double> checks, double auditRecords, double[] latenessBoundsMs,
      double[] latenessCumulative, double latenessCount) {}

  MetricsWindow(MeterRegistry registry, Clock clock) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Takes a sample now, and drops the ones older than the window. */
  void sample() {
    Sample s = read();
    synchronized (this) {
      samples.addLast(s);
      while (samples.size() > 1 && samples.peekFirst().atMs() < s.atMs() - WINDOW_S * 1000L - 500) samples.removeFirst();
    }
  }

  private Sample read() {
    Gauge live = registry.find("curfew.live.sessions").gauge();
    Map<String, Double> checks = new TreeMap<>();
    for (Counter c : registry.find("curfew.checks").counters()) {
      if (c.count() == 0) continue; // every outcome is registered from the start; the overview shows those seen
      checks.merge(String.valueOf(c.getId().getTag("outcome")), c.count(), Double::sum);
    }
    Counter audit = registry.find("curfew.audit.records").counter();
    double[] bounds = new double[0];
    double[] cumulative = new double[0];
    double count = 0;
    for (Timer t : registry.find("curfew.expiry.lateness").timers()) {
      HistogramSnapshot h = t.takeSnapshot();
      CountAtBucket[] buckets = h.histogramCounts();
      if (bounds.length == 0) {
        bounds = new double[buckets.length];
        cumulative = new double[buckets.length];
        for (int i = 0; i < buckets.length; i++) bounds[i] = buckets[i].bucket(TimeUnit.MILLISECONDS);
      }
      // Every detected_by timer has the same buckets (one builder); a mismatch is skipped, not misread.
      if (buckets.length != bounds.length) continue;
      for (int i = 0; i < buckets.length; i++) cumulative[i] += buckets[i].count();
      count += h.count();
    }
    return new Sample(clock.millis(), live == null ? 0 : live.value(), checks, audit == null ? 0 : audit.count(),
        bounds, cumulative, count);
  }

  /** The summary the console's overview shows (JSON shape in docs/console.md). */
  Map<String, Object> summary() {
    List<Sample> all;
    synchronized (this) {
      all = new ArrayList<>(samples);
    }
    Sample now = read();
    if (!all.isEmpty() && all.get(all.size() - 1).atMs() >= now.atMs()) all.remove(all.size() - 1);
    all.add(now);
    Sample rateBase = at(all, now.atMs() - RATE_WINDOW_S * 1000L);
    Sample windowBase = all.get(0);

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("sampled_at", Times.format(now.atMs()));
    out.put("window_s", Math.round((now.atMs() - windowBase.atMs()) / 1000.0));
    out.put("rate_window_s", Math.round((now.atMs() - rateBase.atMs()) / 1000.0));

    Map<String, Object> live = new LinkedHashMap<>();
    live.put("now", (long) now.live());
    live.put("series", series(all, s -> s.live()));
    out.put("live_sessions", live);

    Map<String, Object> checks = new LinkedHashMap<>();
    Map<String, Object> byOutcome = new LinkedHashMap<>();
    double total = 0;
    for (Map.Entry<String, Double> e : now.checks().entrySet()) {
      double r = rate(e.getValue(), rateBase.checks().getOrDefault(e.getKey(), 0.0), now, rateBase);
      byOutcome.put(e.getKey(), round(r));
      total += r;
    }
    checks.put("total", round(total));
    checks.put("by_outcome", byOutcome);
    checks.put("series", rateSeries(all, s -> s.checks().values().stream().mapToDouble(Double::doubleValue).sum()));
    out.put("checks_per_second", checks);

    out.put("expiry_lateness_ms", lateness(now, windowBase));

    Map<String, Object> audit = new LinkedHashMap<>();
    audit.put("now", round(rate(now.auditRecords(), rateBase.auditRecords(), now, rateBase)));
    audit.put("total", (long) now.auditRecords());
    audit.put("series", rateSeries(all, Sample::auditRecords));
    out.put("audit_records_per_second", audit);
    return out;
  }

  private Map<String, Object> lateness(Sample now, Sample base) {
    Map<String, Object> m = new LinkedHashMap<>();
    double[] delta = new double[now.latenessCumulative().length];
    boolean sameBuckets = base.latenessCumulative().length == delta.length;
    for (int i = 0; i < delta.length; i++) {
      delta[i] = now.latenessCumulative()[i] - (sameBuckets ? base.latenessCumulative()[i] : 0);
    }
    double count = now.latenessCount() - (sameBuckets ? base.latenessCount() : 0);
    m.put("count", (long) count);
    m.put("p50", quantile(0.50, now.latenessBoundsMs(), delta, count));
    m.put("p90", quantile(0.90, now.latenessBoundsMs(), delta, count));
    m.put("p99", quantile(0.99, now.latenessBoundsMs(), delta, count));
    double max = 0;
    for (Timer t : registry.find("curfew.expiry.lateness").timers()) max = Math.max(max, t.max(TimeUnit.MILLISECONDS));
    m.put("recent_max", count == 0 && max == 0 ? null : round(max));
    m.put("total", (long) now.latenessCount());
    return m;
  }

  /**
   * The q-quantile of a histogram of cumulative counts, as the upper bound of the bucket it falls
   * in: the quantile is at most this. Null without observations.
   */
  static Double quantile(double q, double[] upperBounds, double[] cumulative, double count) {
    if (count <= 0 || upperBounds.length == 0) return null;
    double rank = q * count;
    for (int i = 0; i < upperBounds.length; i++) {
      if (cumulative[i] >= rank) return round(upperBounds[i]);
    }
    return round(upperBounds[upperBounds.length - 1]); // beyond the last bound: at least this
  }

  private static Sample at(List<Sample> all, long atMs) {
    Sample best = all.get(0);
    for (Sample s : all) {
      if (s.atMs() <= atMs) best = s;
    }
    return best;
  }

  private static double rate(double now, double before, Sample a, Sample b) {
    double seconds = (a.atMs() - b.atMs()) / 1000.0;
    return seconds <= 0 ? 0 : Math.max(0, now - before) / seconds;
  }

  private interface Reading {
    double of(Sample s);
  }

  /** One value every POINT_S seconds, oldest first. */
  private static List<Double> series(List<Sample> all, Reading r) {
    List<Double> out = new ArrayList<>();
    long next = Long.MIN_VALUE;
    for (Sample s : all) {
      if (s.atMs() >= next) {
        out.add(round(r.of(s)));
        next = s.atMs() + POINT_S * 1000L - 500;
      }
    }
    return out;
  }

  /** The per-second rate between consecutive points, one every POINT_S seconds, oldest first. */
  private static List<Double> rateSeries(List<Sample> all, Reading r) {
    List<Double> out = new ArrayList<>();
    Sample previous = null;
    Iterator<Sample> it = all.iterator();
    while (it.hasNext()) {
      Sample s = it.next();
      if (previous == null) {
        previous = s;
      } else if (s.atMs() - previous.atMs() >= POINT_S * 1000L - 500 || (!it.hasNext() && s.atMs() > previous.atMs())) {
        out.add(round(rate(r.of(s), r.of(previous), s, previous)));
        previous = s;
      }
    }
    return out;
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}

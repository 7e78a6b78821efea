package dev.curfew.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
import dev.curfew.server.metrics.CurfewMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsWindowTest {
  private final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T22:00:00Z"));
  private final CurfewMetrics metrics = new CurfewMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  private final MetricsWindow window = new MetricsWindow(metrics.registry(), clock);

  private void second(Runnable during) {
    during.run();
    clock.advance(Duration.ofSeconds(1));
    window.sample();
  }

  @Test
  void checksAndAppendsAreRatesOverTheLastTenSeconds() {
    window.sample();
    for (int s = 0; s < 20; s++) {
      second(() -> {
        for (int i = 0; i < 30; i++) metrics.checked("valid");
        for (int i = 0; i < 3; i++) metrics.checked("idle_timeout");
        metrics.auditRecords(7);
      });
    }
    Map<String, Object> m = window.summary();
    Map<?, ?> checks = (Map<?, ?>) m.get("checks_per_second");
    assertThat(checks.get("total")).isEqualTo(33.0);
    assertThat(checks.get("by_outcome")).isEqualTo(Map.of("idle_timeout", 3.0, "valid", 30.0));
    assertThat((List<?>) checks.get("series")).hasSize(4).allMatch(v -> v.equals(33.0));
    Map<?, ?> audit = (Map<?, ?>) m.get("audit_records_per_second");
    assertThat(audit.get("now")).isEqualTo(7.0);
    assertThat(audit.get("total")).isEqualTo(140L);
    assertThat(m.get("window_s")).isEqualTo(20L);
  }

  @Test
  void latenessPercentilesComeFromTheHistogramOfTheWindow() {
    // Before the window: a slow expiry that must not count any more once it is five minutes old.
    metrics.expired("timer", 5_000);
    window.sample();
    clock.advance(Duration.ofMinutes(6));
    window.sample();
    for (int i = 0; i < 100; i++) metrics.expired(i < 90 ? "timer" : "request", i < 90 ? 2 : 40);
    clock.advance(Duration.ofSeconds(1));
    window.sample();
    Map<?, ?> l = (Map<?, ?>) window.summary().get("expiry_lateness_ms");
    assertThat(l.get("count")).isEqualTo(100L);
    assertThat(l.get("total")).isEqualTo(101L);
    assertThat((Double) l.get("p50")).isBetween(2.0, 2.7); // 2 ms, in a bucket up to ~2.45 ms
    assertThat((Double) l.get("p99")).isBetween(40.0, 54.0); // 40 ms, in a bucket up to ~44.7 ms
    assertThat((Double) l.get("p99")).isLessThan(5_000.0);
  }

  @Test
  void quantile_isTheUpperBoundOfItsBucket() {
    double[] bounds = {1, 2, 4, 8};
    double[] cumulative = {0, 10, 10, 20};
    assertThat(MetricsWindow.quantile(0.5, bounds, cumulative, 20)).isEqualTo(2.0);
    assertThat(MetricsWindow.quantile(0.75, bounds, cumulative, 20)).isEqualTo(8.0);
    assertThat(MetricsWindow.quantile(0.5, bounds, cumulative, 0)).isNull();
  }

  @Test
  void liveSessionsFollowTheGauge() {
    metrics.bindLiveSessions(() -> 42);
    window.sample();
    assertThat(((Map<?, ?>) window.summary().get("live_sessions")).get("now")).isEqualTo(42L);
  }
}

package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.curfew.core.EndReason;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fresh {@code curfew serve}'s {@code /metrics}, before any session or check: every Curfew meter is
 * already there (at 0), next to the JVM and process meters; and every query of the Grafana dashboard in
 * docs/grafana names a metric that this page lists.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ServeMetricsTest {
  private static final Path DASHBOARD = Path.of("..", "docs", "grafana", "curfew.json");
  /** A Prometheus metric name in a query: letters, digits, underscores, colons, not a function call. */
  private static final Pattern NAME = Pattern.compile("\\b([a-z_:][a-z0-9_:]*)\\b(?!\\s*\\()");

  @TempDir static Path dir;
  private ServerProcess server;
  private String metrics;

  @BeforeAll
  void start() throws Exception {
    server = ServerProcess.start(null, dir.resolve("data"));
    metrics = scrape();
  }

  private String scrape() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/metrics"))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  @AfterAll
  void stop() throws Exception {
    if (server != null) server.stop();
  }

  @Test
  void theStartEndsWithAReadyLineNamingTheReadinessCheck() {
    String ready = org.awaitility.Awaitility.await("a ready line in " + server.output()).atMost(Duration.ofSeconds(60))
        .until(() -> server.output().stream().filter(l -> l.startsWith("curfew: ready")).findFirst().orElse(null),
            java.util.Objects::nonNull);
    assertThat(ready).contains("http://localhost:" + server.port() + "/readyz");
    List<String> lines = List.copyOf(server.output());
    int key = -1;
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains("created an API key")) key = i;
    assertThat(key).as("the key line in %s", lines).isNotNegative();
    assertThat(lines.indexOf(ready)).as("the ready line comes after the key's in %s", lines).isGreaterThan(key);
    assertThat(Files.exists(dir.resolve("data").resolve(KeyBootstrap.KEY_FILE))).isTrue();
  }

  @Test
  void everyCurfewMeterIsThereBeforeItsFirstEvent() {
    List<String> expected = new ArrayList<>(List.of(
        "curfew_live_sessions 0.0",
        "curfew_checks_total{outcome=\"valid\"} 0.0",
        "curfew_audit_records_total",
        "curfew_audit_fsync_seconds_count",
        "curfew_audit_write_outages_total 0.0",
        "curfew_storage_writable{component=\"audit_log\"} 1.0"));
    for (EndReason r : EndReason.values()) expected.add("curfew_checks_total{outcome=\"" + r.wire() + "\"} 0.0");
    for (String by : List.of("timer", "request", "recovery")) {
      expected.add("curfew_expiry_lateness_seconds_count{detected_by=\"" + by + "\"} 0");
    }
    assertThat(metrics).contains(expected);
  }

  @Test
  void jvmAndProcessMetersStandNextToCurfews() {
    assertThat(metrics).contains("jvm_memory_used_bytes{", "jvm_threads_live_threads ", "jvm_classes_loaded_classes ",
        "process_uptime_seconds ", "system_cpu_count ", "jvm_gc_");
  }

  @Test
  void everyDashboardQueryNamesAMetricTheServerServes() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
    List<String> exprs = dashboard.findValuesAsText("expr");
    assertThat(exprs).as("queries in %s", DASHBOARD).isNotEmpty();
    Set<String> served = new TreeSet<>();
    // Scraped again: the HTTP counter has a series once a request (the first scrape) was answered.
    for (String line : scrape().split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) continue;
      served.add(line.split("[{ ]", 2)[0]);
    }
    Set<String> missing = new TreeSet<>();
    for (String expr : exprs) {
      // Label matchers and quoted strings name labels and values, not metrics.
      String bare = expr.replaceAll("\\{[^}]*}", "").replaceAll("\"[^\"]*\"", "")
          .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "")
          .replaceAll("\\[[^]]*]", "");
      Matcher m = NAME.matcher(bare);
      int names = 0;
      while (m.find()) {
        String name = m.group(1);
        if (name.matches("\\d.*")) continue;
        names++;
        if (!served.contains(name)) missing.add(name + " (in " + expr + ")");
      }
      assertThat(names).as("a metric name in %s", expr).isPositive();
    }
    assertThat(missing).as("metric names in %s that a fresh server's /metrics does not list", DASHBOARD).isEmpty();
  }
}

package dev.curfew.server.metrics;

import dev.curfew.core.EngineMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * Curfew's meters on a Prometheus registry, and the engine's {@link EngineMetrics} bound to them.
 * Prometheus names (Micrometer appends the unit and {@code _total}):
 * <ul>
 *   <li>{@code curfew_live_sessions} gauge;
 *   <li>{@code curfew_checks_total{outcome}}: token checks by outcome ({@code valid} or an end reason);
 *   <li>{@code curfew_expiry_lateness_seconds{detected_by}}: histogram of how late an expiry was
 *       detected after its deadline ({@code timer}, {@code request}, {@code recovery});
 *   <li>{@code curfew_http_requests_total{route,status}}: route is the route template, never the raw path;
 *   <li>{@code curfew_audit_fsync_seconds}: histogram of audit log fsync latency, reported by the store;
 *   <li>{@code curfew_audit_records_total}: audit records made durable, reported by the store.
 * </ul>
 * Every tag takes values from a closed set, so the number of series is bounded. Every meter whose tags
 * are known in advance is registered at 0 from the start (each check outcome, each {@code detected_by}),
 * so that a dashboard or an alert sees the series before its first event; {@code curfew_http_requests_total}
 * gets a series per route and status as they are answered. {@link #bindJvmAndProcess()} adds the JVM and
 * process meters ({@code jvm_*}, {@code process_*}, {@code system_*}).
 */
public final class CurfewMetrics implements EngineMetrics {
  private final PrometheusMeterRegistry registry;
  private final Map<String, Counter> checks = new ConcurrentHashMap<>();
  private final Map<String, Timer> lateness = new ConcurrentHashMap<>();
  private final Map<String, Counter> httpRequests = new ConcurrentHashMap<>();
  private final Timer auditFsync;
  private final Counter auditRecords;
  private volatile IntSupplier liveSessions = () -> 0;
  private final Counter auditOutages;
  private volatile java.util.function.Supplier<java.util.List<String>> unwritable = java.util.List::of;

  public CurfewMetrics(PrometheusMeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    Gauge.builder("curfew.live.sessions", this, m -> m.liveSessions.getAsInt())
        .description("Sessions that are live (not ended) in this node's engine")
        .strongReference(true)
        .register(registry);
    auditFsync = Timer.builder("curfew.audit.fsync")
        .description("Latency of one fsync of the audit log (one group commit)")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(10_000)) // 10 µs: a battery-backed cache
        .maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    auditRecords = Counter.builder("curfew.audit.records")
        .description("Audit records made durable (appended and fsynced)")
        .register(registry);
    // Registered from the start, so that an alert on 0 or on an increase sees the series before the first outage.
    for (String component : new String[] {"audit_log", "audit_trail", "snapshot"}) {
      Gauge.builder("curfew.storage.writable", this, m -> m.unwritable.get().contains(component) ? 0 : 1)
          .description("1 while this part of the node can write to its storage, 0 during an outage (a full disk)")
          .tag("component", component)
          .strongReference(true)
          .register(registry);
    }
    auditOutages = Counter.builder("curfew.audit.write.outages")
        .description("Times the audit log could not be written and refused changes until it could again")
        .register(registry);
    checked("valid", 0);
    for (dev.curfew.core.EndReason r : dev.curfew.core.EndReason.values()) checked(r.wire(), 0);
    for (String by : DETECTED_BY) expiryTimer(by);
  }

  /** Every {@code detected_by} of an expiry: the engine's timer, a request that met it, a recovery. */
  private static final java.util.List<String> DETECTED_BY = java.util.List.of("timer", "request", "recovery");

  /**
   * Adds the JVM's and the process's meters to this registry (memory, garbage collection, threads,
   * class loading, processor, uptime). Once per process: the garbage-collection binder listens to the
   * JVM until the process ends.
   */
  public CurfewMetrics bindJvmAndProcess() {
    new io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(registry);
    @SuppressWarnings("resource") // lives as long as the process
    var gc = new io.micrometer.core.instrument.binder.jvm.JvmGcMetrics();
    gc.bindTo(registry);
    new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(registry);
    new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(registry);
    return this;
  }

  /** Where the writable gauges read which components cannot write now. */
  public void bindUnwritable(java.util.function.Supplier<java.util.List<String>> components) {
    this.unwritable = Objects.requireNonNull(components, "components");
  }

  /** The audit log began an outage. */
  public void auditOutage() {
    auditOutages.increment();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Where the live-session gauge reads from (the engine, once it exists). */
  public void bindLiveSessions(IntSupplier source) {
    this.liveSessions = Objects.requireNonNull(source, "source");
  }

  @Override
  public void checked(String outcome) {
    checked(outcome, 1);
  }

  private void checked(String outcome, int by) {
    Counter known = checks.get(outcome); // every check comes here: no capturing lambda once the outcome is known
    if (known != null) {
      known.increment(by);
      return;
    }
    checks.computeIfAbsent(outcome, o -> Counter.builder("curfew.checks")
        .description("Session token checks by outcome")
        .tag("outcome", o)
        .register(registry)).increment(by);
  }

  @Override
  public void expired(String detectedBy, long latenessMs) {
    expiryTimer(detectedBy).record(Math.max(0, latenessMs), TimeUnit.MILLISECONDS);
  }

  private Timer expiryTimer(String detectedBy) {
    return lateness.computeIfAbsent(detectedBy, d -> Timer.builder("curfew.expiry.lateness")
        .description("How long after its deadline a session's expiry was detected")
        .tag("detected_by", d)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(1))
        .register(registry));
  }

  /** The store reports each audit log fsync here. */
  public void auditFsync(long nanos) {
    auditFsync.record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
  }

  /** The store made {@code records} more audit records durable (one group commit). */
  public void auditRecords(int records) {
    auditRecords.increment(Math.max(0, records));
  }

  /** One HTTP response: {@code route} is the route template (or {@code unmatched}). */
  public void httpRequest(String route, int status) {
    String key = route + ' ' + status;
    Counter c = httpRequests.get(key);
    if (c == null) {
      c = httpRequests.computeIfAbsent(key, k -> Counter.builder("curfew.http.requests")
          .description("HTTP responses by route template and status")
          .tag("route", route)
          .tag("status", Integer.toString(status))
          .register(registry));
    }
    c.increment();
  }

  /** The Prometheus text exposition of every meter in the registry. */
  public String scrape() {
    return registry.scrape();
  }
}

package dev.curfew.server.tracing;

import dev.curfew.server.config.TracingConfig;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Where Curfew's spans go: nowhere ({@link #OFF}, the default: a no-op tracer that records nothing),
 * or an OpenTelemetry SDK exporting them over OTLP/HTTP ({@code tracing:} in the configuration).
 * Spans name routes and outcomes, never a token (docs/configuration.md, {@code tracing}).
 */
public final class Tracing implements AutoCloseable {
  /** The instrumentation scope of every span. */
  static final String SCOPE = "dev.curfew";
  private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
  /** How long finished spans wait to be sent together; short, so that a trace shows up while one looks. */
  private static final Duration BATCH_DELAY = Duration.ofSeconds(1);

  public static final Tracing OFF = new Tracing(TracerProvider.noop().get(SCOPE), null);

  private final Tracer tracer;
  private final SdkTracerProvider provider; // null: off

  private Tracing(Tracer tracer, SdkTracerProvider provider) {
    this.tracer = tracer;
    this.provider = provider;
  }

  /** {@link #OFF} unless {@code tracing.enabled}; then batches exported to {@code tracing.endpoint}. */
  public static Tracing fromConfig(TracingConfig config) {
    if (!config.enabled()) return OFF;
    SpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(config.endpoint()).build();
    return over(BatchSpanProcessor.builder(exporter).setScheduleDelay(BATCH_DELAY).build(), config.serviceName());
  }

  /** Each span handed to {@code exporter} as it ends (tests, and tools that want every span at once). */
  public static Tracing exportingTo(SpanExporter exporter, String serviceName) {
    return over(SimpleSpanProcessor.create(Objects.requireNonNull(exporter, "exporter")), serviceName);
  }

  private static Tracing over(SpanProcessor processor, String serviceName) {
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, serviceName))))
        .addSpanProcessor(processor)
        .build();
    return new Tracing(provider.get(SCOPE), provider);
  }

  public boolean enabled() {
    return provider != null;
  }

  public Tracer tracer() {
    return tracer;
  }

  /** Sends what is still waiting, then stops exporting. */
  @Override
  public void close() {
    if (provider != null) provider.shutdown().join(10, TimeUnit.SECONDS);
  }
}

package dev.curfew.server.console;

import dev.curfew.core.Clock;
import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.Times;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * "Verify now": one verification of the whole audit log at a time, run on its own thread (it
 * reads every record, for as long as that takes), with its progress and the last result kept for
 * the console to show. A second request while one runs joins it. Results are kept in memory: the
 * page says when the log was last verified by this server process.
 */
final class LogVerification implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LogVerification.class.getName());

  private final AuditView audit;
  private final Clock clock;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "curfew-console-verify");
    t.setDaemon(true);
    return t;
  });

  // Guarded by this.
  private Run running;
  private Run last;

  /** One run: who asked, when, how far it got, and how it ended. */
  private static final class Run {
    final String actor;
    final long startedAtMs;
    final long total;
    volatile long done;
    long finishedAtMs;
    AuditView.Verified result;
    String error;

    Run(String actor, long startedAtMs, long total) {
      this.actor = actor;
      this.startedAtMs = startedAtMs;
      this.total = total;
    }
  }

  LogVerification(AuditView audit, Clock clock) {
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Starts a verification unless one runs; returns the state either way. */
  synchronized Map<String, Object> start(String actor) {
    if (running == null) {
      Run run = new Run(actor, clock.millis(), audit.records());
      running = run;
      worker.execute(() -> runToEnd(run));
    }
    return state();
  }

  private void runToEnd(Run run) {
    AuditView.Verified result = null;
    String error = null;
    try {
      result = audit.verify(n -> run.done = n);
    } catch (Exception | LinkageError e) {
      LOG.log(System.Logger.Level.WARNING, "console verification failed to run: " + e, e);
      error = e.getClass().getSimpleName() + ": " + e.getMessage();
    }
    synchronized (this) {
      run.finishedAtMs = clock.millis();
      run.result = result;
      run.error = error;
      if (result != null) run.done = result.verification().records();
      last = run;
      running = null;
      notifyAll();
    }
  }

  /** Waits until no verification runs (tests). */
  synchronized void awaitIdle(long timeoutMs) throws InterruptedException {
    long end = System.currentTimeMillis() + timeoutMs;
    while (running != null && System.currentTimeMillis() < end) wait(Math.max(1, end - System.currentTimeMillis()));
  }

  /** {@code {"running": {...} or null, "last": {...} or null}}. */
  synchronized Map<String, Object> state() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("running", running == null ? null : progress(running));
    m.put("last", last == null ? null : outcome(last));
    return m;
  }

  private static Map<String, Object> progress(Run r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("actor", r.actor);
    m.put("started_at", Times.format(r.startedAtMs));
    long done = r.done;
    m.put("records_done", done);
    // Records appended while it runs are verified too: the total grows with them.
    m.put("records_total", Math.max(r.total, done));
    return m;
  }

  private static Map<String, Object> outcome(Run r) {
    Map<String, Object> m = progress(r);
    m.put("finished_at", Times.format(r.finishedAtMs));
    m.put("duration_ms", r.finishedAtMs - r.startedAtMs);
    if (r.result == null) {
      m.put("ok", false);
      m.put("error", r.error);
      return m;
    }
    AuditVerification v = r.result.verification();
    m.put("ok", v.ok());
    m.put("records", v.records());
    m.put("sessions", v.sessions());
    m.put("first_time", v.firstTime() == null ? null : Times.format(v.firstTime().toEpochMilli()));
    m.put("last_time", v.lastTime() == null ? null : Times.format(v.lastTime().toEpochMilli()));
    m.put("checkpoints_verified", v.checkpointsVerified());
    m.put("checkpointed_size", v.checkpointedSize());
    if (!v.ok()) {
      m.put("failure", v.failure().toString());
      m.put("failure_where", v.failure().where().name().toLowerCase(java.util.Locale.ROOT));
      m.put("failure_position", v.failure().position());
      m.put("suspect_seq", r.result.suspectSeq() < 0 ? null : r.result.suspectSeq());
    }
    return m;
  }

  @Override
  public void close() {
    worker.shutdownNow();
  }
}

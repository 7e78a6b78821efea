package dev.curfew.store.embedded;

import dev.curfew.core.AuditSink;
import dev.curfew.core.Clock;
import dev.curfew.core.ClockStep;
import dev.curfew.core.ClockWatch;
import dev.curfew.core.DeadlineDriver;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.Replay;
import dev.curfew.core.RotationGrace;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import dev.curfew.core.SystemClock;
import dev.curfew.core.WriteOutage;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.RecordTypes;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The embedded (single node) store: the one entry point the server uses. Sessions live in the
 * engine's memory; the audit log on local disk doubles as the journal; periodic snapshots bound
 * recovery time. Use:
 *
 * <pre>{@code
 * EmbeddedStore store = EmbeddedStore.open(dataDir, options, node);  // repairs a torn log end
 * Policies policies = new Policies(configured, defaultName);
 * SessionEngine engine = new SessionEngine(clock, node, policies, store.log(), events, metrics, limits);
 * EmbeddedStore.Recovery r = store.recover(engine);  // snapshot + log + token journal, node.started
 * ... serve ...
 * store.close();                                      // node.stopped, final snapshot
 * }</pre>
 *
 * <p>Data directory (directories 0700, files 0600):
 * <pre>
 * audit/audit-&lt;first seq, 20 digits&gt;.jsonl   audit records, one canonical JSON line each
 * tokens-&lt;generation&gt;.jsonl                   token journal: session id, token hash, issued at
 * snapshot.json                                sessions and policies as of a log size
 * audit-signing.key, audit/checkpoints.jsonl, audit/tree/, audit/index/, audit/archive/: see AuditTrail and AuditFiles
 * </pre>
 */
public final class EmbeddedStore implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(EmbeddedStore.class.getName());

  /**
   * @param segmentMaxBytes an audit segment is closed before it would pass this size (64 MiB)
   * @param snapshotInterval time between snapshots (10 s)
   * @param maxQueuedRecords appends block while this many records wait for the writer (1,000,000)
   * @param maxBatchRecords most records in one group commit (100,000)
   * @param clock the deployment's clock: times of the store's own records and of snapshots
   * @param version the server version written in {@code node.started} and {@code node.stopped}
   * @param logMetrics told the fsync time of every group commit
   * @param leafListener told every record appended by this process, durable, in seq order (after the audit trail)
   * @param auditTrail the Merkle tree, checkpoints and retention settings (defaults)
   * @param closeTimeout how long closing the log waits for a disk outage to end before the records it
   *     still holds fail ({@link #DEFAULT_CLOSE_TIMEOUT}, 30 s)
   */
  public record Options(long segmentMaxBytes, Duration snapshotInterval, int maxQueuedRecords, int maxBatchRecords,
      Clock clock, String version, LogMetrics logMetrics, LeafListener leafListener, AuditTrail.Settings auditTrail,
      Duration closeTimeout) {
    public static final long DEFAULT_SEGMENT_MAX_BYTES = 64L << 20;
    /** The default {@code closeTimeout}. */
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    public Options {
      if (segmentMaxBytes < 1) throw new IllegalArgumentException("segmentMaxBytes < 1: " + segmentMaxBytes);
      Objects.requireNonNull(snapshotInterval, "snapshotInterval");
      if (snapshotInterval.isNegative() || snapshotInterval.isZero()) {
        throw new IllegalArgumentException("snapshotInterval <= 0: " + snapshotInterval);
      }
      if (maxQueuedRecords < 1) throw new IllegalArgumentException("maxQueuedRecords < 1: " + maxQueuedRecords);
      if (maxBatchRecords < 1) throw new IllegalArgumentException("maxBatchRecords < 1: " + maxBatchRecords);
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(version, "version");
      logMetrics = logMetrics == null ? LogMetrics.NONE : logMetrics;
      leafListener = leafListener == null ? LeafListener.NONE : leafListener;
      auditTrail = auditTrail == null ? AuditTrail.Settings.defaults() : auditTrail;
      Objects.requireNonNull(closeTimeout, "closeTimeout");
      if (closeTimeout.isNegative()) throw new IllegalArgumentException("closeTimeout < 0: " + closeTimeout);
    }

    public static Options defaults() {
      return new Options(DEFAULT_SEGMENT_MAX_BYTES, Duration.ofSeconds(10), 1_000_000, 100_000,
          new SystemClock(), "dev", LogMetrics.NONE, LeafListener.NONE, AuditTrail.Settings.defaults(), DEFAULT_CLOSE_TIMEOUT);
    }

    public Options withCloseTimeout(Duration d) {
      return new Options(segmentMaxBytes, snapshotInterval, maxQueuedRecords, maxBatchRecords, clock, version, logMetrics,
          leafListener, auditTrail, d);
    }

    public Options withSegmentMaxBytes(long bytes) {
      return new Options(bytes, snapshotInterval, maxQueuedRecords, maxBatchRecords, clock, version, logMetrics, leafListener, auditTrail, closeTimeout);
    }

    public Options withSnapshotInterval(Duration d) {
      return new Options(segmentMaxBytes, d, maxQueuedRecords, maxBatchRecords, clock, version, logMetrics, leafListener, auditTrail, closeTimeout);
    }

    public Options withClock(Clock c) {
      return new Options(segmentMaxBytes, snapshotInterval, maxQueuedRecords, maxBatchRecords, c, version, logMetrics, leafListener, auditTrail, closeTimeout);
    }

    public Options withVersion(String v) {
      return new Options(segmentMaxBytes, snapshotInterval, maxQueuedRecords, maxBatchRecords, clock, v, logMetrics, leafListener, auditTrail, closeTimeout);
    }

    public Options withLogMetrics(LogMetrics m) {
      return new Options(segmentMaxBytes, snapshotInterval, maxQueuedRecords, maxBatchRecords, clock, version, m, leafListener, auditTrail, closeTimeout);
    }

    public Options withLeafListener(LeafListener l) {
      return new Options(segmentMaxBytes, snapshotInterval, maxQueuedRecords, maxBatchRecords, clock, version, logMetrics, l, auditTrail, closeTimeout);
    }

    public Options withAuditTrail(AuditTrail.Settings t) {
      return new Options(segmentMaxBytes, snapshotInterval, maxQueuedRecords, maxBatchRecords, clock, version, logMetrics, leafListener, t, closeTimeout);
    }
  }

  /**
   * What {@link #recover} did.
   *
   * @param recoveredSessions live sessions installed in the engine
   * @param expiredDuringDowntime sessions whose deadline passed while the node was down, now ended
   * @param cleanShutdown the last record before this start was {@code node.stopped}
   * @param snapshotSeq log size of the snapshot started from (0: none)
   * @param recordsReplayed audit records applied after the snapshot
   * @param cutBytes bytes of a torn log end cut at open (0: none)
   */
  public record Recovery(int recoveredSessions, int expiredDuringDowntime, boolean cleanShutdown, long snapshotSeq,
      long recordsReplayed, long cutBytes) {}

  /** Records that commands write with the server stopped (docs/audit.md, legal holds): not the node's own. */
  private static final Set<Object> OFFLINE_TYPES = Set.of(RecordTypes.AUDIT_HOLD_PLACED, RecordTypes.AUDIT_HOLD_LIFTED);

  private final Path dataDir;
  private final Options options;
  private final String node;
  private final FileAuditLog log;
  private final AuditTrail trail;
  private final Snapshotter snapshotter;
  private final ScheduledExecutorService scheduler;
  /** The wall clock at open was behind the log's last record: recorded by {@link #recover}. */
  private final Optional<ClockStep> stepAtStart;
  private volatile SessionEngine engine;
  private volatile WriteOutage snapshotOutage; // written by the snapshot thread only
  private boolean closed;

  private EmbeddedStore(Path dataDir, Options options, String node, FileAuditLog log, AuditTrail trail,
      Optional<ClockStep> stepAtStart) {
    this.stepAtStart = stepAtStart;
    this.dataDir = dataDir;
    this.options = options;
    this.node = node;
    this.log = log;
    this.trail = trail;
    this.snapshotter = new Snapshotter(dataDir, log, options.clock(), node);
    java.util.concurrent.ScheduledThreadPoolExecutor snapshots = new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "curfew-snapshot");
      t.setDaemon(true);
      return t;
    });
    // The next snapshot is a delayed task: a stop must not wait for it.
    snapshots.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.scheduler = snapshots;
  }

  /**
   * Opens the data directory (creating it 0700), repairing a torn audit log end. When the clock is
   * a {@link SystemClock} and the log's last record is later than it, the clock is moved forward to
   * that record first (a wall clock that went back must not give sessions time back): build the
   * engine after this.
   */
  public static EmbeddedStore open(Path dataDir, Options options, String node) throws IOException {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(options, "options");
    Objects.requireNonNull(node, "node");
    AuditTrail trail = AuditTrail.open(dataDir, options.auditTrail(), node, options.clock());
    LeafListener user = options.leafListener();
    FileAuditLog log;
    try {
      log = FileAuditLog.open(dataDir, options.withLeafListener((seq, line) -> {
        trail.appended(seq, line);
        user.appended(seq, line);
      }), node);
    } catch (IOException | RuntimeException e) {
      trail.halt();
      throw e;
    }
    try {
      trail.attach(log);
    } catch (IOException | RuntimeException e) {
      log.close();
      trail.halt();
      throw e;
    }
    Optional<ClockStep> step = Optional.empty();
    long lastTimeMs = log.openReport().lastTimeMsAtOpen();
    if (options.clock() instanceof SystemClock system && lastTimeMs != Long.MIN_VALUE) {
      step = system.startNoEarlierThan(lastTimeMs);
      step.ifPresent(s -> LOG.log(System.Logger.Level.WARNING, "at start, " + s
          + ": the node's clock continues from the log's last record"));
    }
    return new EmbeddedStore(dataDir, options, node, log, trail, step);
  }

  /** The Merkle tree, checkpoints and evidence of the log: what the audit API serves. */
  public AuditTrail auditTrail() {
    return trail;
  }

  /** The audit sink to build the engine with. */
  public FileAuditLog log() {
    return log;
  }

  public Path dataDir() {
    return dataDir;
  }

  /**
   * The sessions of this node, ready to serve: the in-memory engine built over {@code sink} (this
   * store's {@link #log()}, or a sink that writes through it), its state recovered ({@link
   * #recover}) and its deadlines driven by a thread of their own (with a {@link SystemClock}, one
   * that also watches the wall clock for steps). What a server needs of the engine is the {@link
   * SessionStore} this returns; it has no other way in. Call once, instead of {@link #recover}.
   *
   * @param events where the engine publishes session events
   * @param maxLiveSessions the most live sessions at once (openings beyond are refused)
   * @param endedRetention how long an ended session is remembered, so that its token is refused with a reason
   * @param rotationGrace how long the previous token of a rotation is handed the new one
   */
  public Serving serve(Policies policies, AuditSink sink, SessionEvents events, EngineMetrics metrics,
      int maxLiveSessions, Duration endedRetention, RotationGrace rotationGrace) throws IOException {
    SessionEngine engine = new SessionEngine(options.clock(), node, policies, sink, events, metrics,
        new SessionEngine.Limits(maxLiveSessions, endedRetention.toMillis(), rotationGrace));
    Recovery recovery = recover(engine);
    DeadlineDriver driver = options.clock() instanceof SystemClock system
        ? new DeadlineDriver(engine, new ClockWatch(system, engine)) : new DeadlineDriver(engine);
    return new Serving(SessionStore.of(engine), recovery, driver.start());
  }

  /**
   * What {@link #serve} started.
   *
   * @param sessions the embedded store's sessions, each answer complete on return (but searches)
   * @param driver the thread that fires deadlines; close it before this store
   */
  public record Serving(SessionStore sessions, Recovery recovery, DeadlineDriver driver) {}

  /**
   * Rebuilds the engine's state: the snapshot's policies into {@code engine.policies()} and its
   * sessions, then every record after it, then the token journal, through core {@link Replay};
   * installs the result with {@link SessionEngine#restore} (which ends sessions that expired
   * while down, {@code detected_by: recovery}); appends {@code node.started}; waits until all
   * of that is durable; and starts periodic snapshots. Call once, before serving, with an engine
   * whose sink is {@link #log()}.
   */
  public Recovery recover(SessionEngine engine) throws IOException {
    Objects.requireNonNull(engine, "engine");
    synchronized (this) {
      if (closed) throw new IllegalStateException("store is closed");
      if (this.engine != null) throw new IllegalStateException("recover() was already called");
      this.engine = engine;
    }
    Snapshotter.Snapshot snap = Snapshotter.read(dataDir).orElse(Snapshotter.Snapshot.NONE);
    for (Policy p : snap.policies()) {
      engine.policies().restore(p);
    }
    if (snap.seq() > log.recordsAtOpen()) {
      throw new IOException("snapshot.json is at seq " + snap.seq() + " but the audit log holds only "
          + log.recordsAtOpen() + " records: the log lost records that the snapshot reflects");
    }
    Replay replay = new Replay(engine.policies(), snap.sessions());
    // The last record of the node's own (not one a command wrote with the server stopped, as a legal
    // hold is): node.stopped there means the previous run stopped cleanly.
    String[] lastOwn = {null};
    log.scan(snap.seq(), line -> {
      Map<String, Object> record = Json.parseObject(line);
      replay.apply(record);
      if (!OFFLINE_TYPES.contains(record.get("type"))) lastOwn[0] = (String) record.get("type");
      return true;
    });
    if (lastOwn[0] == null && snap.seq() > 0) { // the snapshot covers it: the record just before
      log.scan(snap.seq() - 1, line -> {
        lastOwn[0] = (String) Json.parseObject(line).get("type");
        return false;
      });
    }
    TokenJournal.read(dataDir, snap.tokensGeneration(), replay::bind);
    CompletableFuture<Void> stepRecorded = stepAtStart.map(s -> engine.recordClockStep(s, "start"))
        .orElse(CompletableFuture.completedFuture(null));
    SessionEngine.RecoveryResult restored = engine.restore(replay.result());
    boolean clean = RecordTypes.NODE_STOPPED.equals(lastOwn[0]);
    AuditRecord.Builder started = AuditRecord.builder(RecordTypes.NODE_STARTED, engine.clock().millis(), node)
        .put("version", options.version());
    if (log.recordsAtOpen() > 0) { // a first start has no previous run to recover from or to have stopped cleanly
      started.put("recovered_sessions", (long) restored.recoveredSessions())
          .put("expired_during_downtime", (long) restored.expiredDuringDowntime())
          .put("clean_shutdown", clean);
    }
    await(CompletableFuture.allOf(stepRecorded, restored.durable(), log.append(List.of(started.build()), List.of())));
    scheduleSnapshot(options.snapshotInterval().toMillis());
    return new Recovery(restored.recoveredSessions(), restored.expiredDuringDowntime(), clean, snap.seq(),
        replay.recordsApplied(), log.openReport().cutBytes());
  }

  /** Takes a snapshot now (the scheduled ones call this too); returns its seq. */
  public long snapshot() throws IOException {
    SessionEngine e = engine;
    if (e == null) throw new IllegalStateException("recover() has not been called");
    return snapshotter.take(e);
  }

  private void scheduleSnapshot(long delayMs) {
    try {
      scheduler.schedule(this::scheduledSnapshot, delayMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the store is closing: no more snapshots but the final one
    }
  }

  /**
   * When the next scheduled snapshot starts after one that took {@code tookNanos}: after {@code
   * snapshot_interval}, and no sooner than nine times as long as this one took, so that snapshots
   * take at most a tenth of a CPU however many sessions there are (a million sessions take seconds
   * to write). Recovery replays the log from the last snapshot, and activity (touches, which are not
   * records) since then is lost in a crash, so sessions then end earlier, never later.
   */
  static long nextSnapshotDelayMs(long intervalMs, long tookNanos) {
    return Math.max(intervalMs, 9 * TimeUnit.NANOSECONDS.toMillis(tookNanos));
  }

  private void scheduledSnapshot() {
    long started = System.nanoTime();
    try {
      snapshotIfWritable();
    } finally {
      scheduleSnapshot(nextSnapshotDelayMs(options.snapshotInterval().toMillis(), System.nanoTime() - started));
    }
  }

  private void snapshotIfWritable() {
    if (!log.writable()) return; // the log cannot back a snapshot now; the next one tries again
    try {
      snapshot();
    } catch (IOException | RuntimeException e) {
      // the next one retries; recovery from an older snapshot is slower, not wrong. One line per outage.
      Path file = dataDir.resolve(Snapshotter.FILE);
      long free = FileAuditLog.freeBytes(dataDir);
      if (snapshotOutage == null) {
        LOG.log(System.Logger.Level.ERROR, "snapshot cannot be written: " + file + ": " + e.getMessage() + " (" + free
            + " bytes free); the previous snapshot is kept, and the next one is tried in at least "
            + options.snapshotInterval().toMillis() + " ms", e);
      }
      snapshotOutage = new WriteOutage("snapshot", file.toString(), String.valueOf(e.getMessage()),
          options.clock().millis(), free);
      return;
    }
    if (snapshotOutage != null) {
      snapshotOutage = null;
      LOG.log(System.Logger.Level.INFO, "snapshot written again: " + dataDir.resolve(Snapshotter.FILE) + " ("
          + FileAuditLog.freeBytes(dataDir) + " bytes free)");
    }
  }

  /**
   * What cannot be written now, in the order a reader should fix it: the audit log (requests are
   * refused while it cannot), the Merkle tree (checkpoints wait), snapshots (recovery gets slower).
   * Each part retries by itself; empty when everything writes.
   */
  public List<WriteOutage> outages() {
    List<WriteOutage> out = new java.util.ArrayList<>(3);
    log.outage().ifPresent(out::add);
    trail.outage().ifPresent(out::add);
    WriteOutage s = snapshotOutage;
    if (s != null) out.add(s);
    return out;
  }

  /**
   * Clean shutdown: stops snapshots, appends {@code node.stopped}, takes a final snapshot and closes
   * the log. If the log has failed closed, it only closes. If the log cannot be written (a full or
   * vanished disk), {@code node.stopped} and the final snapshot are given up after {@link
   * #STOP_WAIT} and the log's own close gives up what is left after its close timeout, with an
   * {@link IOException}: a stop never waits for the disk forever.
   */
  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) return;
      closed = true;
    }
    stopScheduler();
    Exception first = null; // an IOException or a RuntimeException
    try {
      SessionEngine e = engine;
      if (e != null && log.writable()) {
        AuditRecord stopped = AuditRecord.builder(RecordTypes.NODE_STOPPED, e.clock().millis(), node)
            .put("version", options.version())
            .build();
        long started = System.nanoTime();
        e.writeHeldBackRefusals(); // before node.stopped, in the same group commit or an earlier one
        await(log.append(List.of(stopped), List.of()), stopWait);
        snapshotter.take(e, stopWait.minusNanos(System.nanoTime() - started));
      }
    } catch (IOException | RuntimeException e) {
      first = e;
    }
    log.close();
    try {
      trail.close(); // after the log: the final checkpoint covers node.stopped
    } catch (IOException | RuntimeException e) {
      // a full disk fails both: the first failure says what the stop could not keep (node.stopped
      // or the snapshot); the final checkpoint's rides along
      if (first == null) throw e;
      first.addSuppressed(e);
    }
    if (first instanceof IOException io) throw io;
    if (first != null) throw (RuntimeException) first;
  }

  /** What a crash leaves (minus a torn write): stops everything without node.stopped or a snapshot. */
  void halt() {
    synchronized (this) {
      closed = true;
    }
    scheduler.shutdownNow();
    log.close();
    trail.halt();
  }

  private void stopScheduler() {
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "a snapshot still runs after 30 s; closing anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** How long a stop waits for {@code node.stopped} and the final snapshot to be durable. */
  static final Duration STOP_WAIT = Duration.ofSeconds(10);
  private Duration stopWait = STOP_WAIT;

  /** Tests: a shorter {@link #STOP_WAIT}. */
  void stopWait(Duration d) {
    stopWait = Objects.requireNonNull(d, "stopWait");
  }

  private static void await(CompletableFuture<?> f, Duration maxWait) throws IOException {
    try {
      f.get(Math.max(0, maxWait.toNanos()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new IOException("the audit log could not make the records durable", e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("node.stopped abandoned: the audit log could not be written for " + maxWait.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the audit log was written", e);
    }
  }

  private static void await(CompletableFuture<?> f) throws IOException {
    try {
      f.join();
    } catch (CompletionException e) {
      throw new IOException("the audit log could not make the records durable", e.getCause());
    }
  }
}

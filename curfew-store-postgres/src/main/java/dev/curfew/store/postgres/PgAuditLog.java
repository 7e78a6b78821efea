package dev.curfew.store.postgres;

import dev.curfew.core.AuditLogReader;
import dev.curfew.core.AuditSink;
import dev.curfew.core.Clock;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.GroupCommit;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.Witnesses;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

/*
 * One node's audit log in PostgreSQL (spec/audit.md): the same canonical JSON records as the file
 * log, an RFC 6962 Merkle tree over them (PgHashStore), and C2SP signed checkpoints, all in the
 * tables of AuditSchema, with the node's verifier key registered in audit_nodes.
 *
 * The parts, one job each:
 * - GroupCommit (curfew-core, the same as the file log's): the queue, seq and time, batching,
 *   back-pressure, retry with the same batch, fail closed;
 * - PgAuditWriter: its PostgreSQL writer, one transaction per batch, with the lost-answer
 *   read-back and the idle probe;
 * - PgCheckpointer: when a checkpoint is due, the latest one, the witnesses;
 * - this class: opening, the sink and reader interface, mirroring, and closing.
 *
 * Fail closed, but keep what was accepted. While PostgreSQL cannot be reached, writable() is
 * false, so the engine refuses requests, and GroupCommit keeps the batch and everything queued
 * behind it in memory and retries with a growing delay (50 ms to retryDelayMax); the first
 * success makes the log writable again: no restart. While idle, a tick every checkpoint interval
 * notices an outage (and the return) within about a second. Appends are accepted while PostgreSQL
 * is down (the engine still records expiries it detects); they block once maxQueuedRecords wait.
 *
 * Mirroring. replicate() takes lines that already have their seq (the embedded store's journal,
 * through its leaf listener), verbatim, into the same group commit, so that the node's tree in
 * PostgreSQL is the journal's tree; catchUp() copies what PostgreSQL lacks from the journal at
 * start. A log is written either by append() or by replicate(), not both.
 *
 * Open checks, before signing anything (PgAuditWriter.open): the stored last record still hashes
 * to its stored leaf hash, and the tree's root at the last checkpoint's size is the signed root.
 * Either failing means the log was changed: open refuses and says to run `curfew audit verify`.
 */

/**
 * One node's audit log in PostgreSQL: an {@link AuditSink} with group commit and retry, the
 * {@link AuditLogReader} of its records, and its tree and checkpoints. Thread-safe.
 */
public final class PgAuditLog implements AuditSink, AuditLogReader, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(PgAuditLog.class.getName());
  private static final Duration FIRST_RETRY_DELAY = Duration.ofMillis(50);

  /**
   * @param maxQueuedRecords appends block while this many records wait for the writer (1,000,000)
   * @param maxBatchRecords most records in one commit (10,000)
   * @param checkpointInterval the longest time committed records wait for a checkpoint, on {@code clock} (1 s)
   * @param retryDelayMax the longest pause between attempts while PostgreSQL cannot be reached (1 s)
   * @param closeTimeout how long close waits for PostgreSQL to take what is queued (30 s)
   * @param clock the deployment's clock, which times checkpoints and idle probes
   * @param witnesses every new checkpoint is submitted to them, off the writer's thread (none)
   */
  public record Options(int maxQueuedRecords, int maxBatchRecords, Duration checkpointInterval, Duration retryDelayMax,
      Duration closeTimeout, Clock clock, Witnesses witnesses) {
    public Options {
      if (maxQueuedRecords < 1) throw new IllegalArgumentException("maxQueuedRecords < 1: " + maxQueuedRecords);
      if (maxBatchRecords < 1) throw new IllegalArgumentException("maxBatchRecords < 1: " + maxBatchRecords);
      Objects.requireNonNull(checkpointInterval, "checkpointInterval");
      if (checkpointInterval.toMillis() < 1 || checkpointInterval.toMillis() > 1000) {
        throw new IllegalArgumentException("checkpointInterval not in [1 ms, 1 s]: " + checkpointInterval);
      }
      if (retryDelayMax.compareTo(FIRST_RETRY_DELAY) < 0) {
        throw new IllegalArgumentException("retryDelayMax < " + FIRST_RETRY_DELAY.toMillis() + " ms: " + retryDelayMax);
      }
      if (closeTimeout.isNegative()) throw new IllegalArgumentException("closeTimeout < 0: " + closeTimeout);
      Objects.requireNonNull(clock, "clock");
      Objects.requireNonNull(witnesses, "witnesses");
    }

    public static Options defaults() {
      return new Options(1_000_000, 10_000, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(30),
          new SystemClock(), Witnesses.NONE);
    }

    public Options withClock(Clock c) {
      return new Options(maxQueuedRecords, maxBatchRecords, checkpointInterval, retryDelayMax, closeTimeout, c, witnesses);
    }

    public Options withMaxBatchRecords(int n) {
      return new Options(maxQueuedRecords, n, checkpointInterval, retryDelayMax, closeTimeout, clock, witnesses);
    }

    public Options withMaxQueuedRecords(int n) {
      return new Options(n, maxBatchRecords, checkpointInterval, retryDelayMax, closeTimeout, clock, witnesses);
    }

    public Options withRetryDelayMax(Duration d) {
      return new Options(maxQueuedRecords, maxBatchRecords, checkpointInterval, d, closeTimeout, clock, witnesses);
    }

    public Options withWitnesses(Witnesses w) {
      return new Options(maxQueuedRecords, maxBatchRecords, checkpointInterval, retryDelayMax, closeTimeout, clock, w);
    }

    public Options withCloseTimeout(Duration d) {
      return new Options(maxQueuedRecords, maxBatchRecords, checkpointInterval, retryDelayMax, d, clock, witnesses);
    }
  }

  /** Told the time of every successful commit. */
  @FunctionalInterface
  public interface CommitListener {
    CommitListener NONE = (nanos, records) -> {};

    void committed(long nanos, int records);
  }

  private final AuditDatabase db;
  private final AuditDatabase.Node node;
  private final NoteSigner signer;
  private final Options options;
  private final PgCheckpointer checkpoints;
  private final PgAuditWriter writer;
  private GroupCommit commits; // set by open, before anyone else sees this log
  private volatile GroupCommit.Marked lastTick;

  private PgAuditLog(AuditDatabase db, AuditDatabase.Node node, NoteSigner signer, Options options, PgHashStore store) {
    this.db = db;
    this.node = node;
    this.signer = signer;
    this.options = options;
    this.checkpoints = new PgCheckpointer(signer, options.clock(), options.checkpointInterval(), options.witnesses(),
        db, node, new PgAuditProofs(this));
    this.writer = new PgAuditWriter(db, node, store, checkpoints, options.clock(), options.checkpointInterval());
  }

  /**
   * Opens the log of node {@code nodeName} in {@code db} (whose schema must be migrated),
   * registering the node with {@code signer}'s verifier key on first use, checks the stored tail
   * and the last checkpoint, and starts the writer.
   *
   * @throws IllegalStateException if the node is registered with another key, or the stored log
   *     does not match its last signed checkpoint
   */
  public static PgAuditLog open(AuditDatabase db, String nodeName, NoteSigner signer, Options options) throws IOException {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(signer, "signer");
    Objects.requireNonNull(options, "options");
    requireUtf8(db);
    AuditDatabase.Node node = db.register(nodeName, signer.verifier().verifierKey());
    PgHashStore store = PgHashStore.open(db, node.id());
    PgAuditLog log = new PgAuditLog(db, node, signer, options, store);
    PgAuditWriter.Opened opened = log.writer.open(signer.verifier());
    log.commits = new GroupCommit("the PostgreSQL audit log of node " + node.name(),
        new GroupCommit.Options(options.maxQueuedRecords(), options.maxBatchRecords(), FIRST_RETRY_DELAY,
            options.retryDelayMax(), options.closeTimeout()),
        log.writer, log.new Health(), opened.size(), opened.lastTimeMs()).start();
    log.checkpoints.start(log::tick);
    return log;
  }

  private static void requireUtf8(AuditDatabase db) throws IOException {
    for (Row r : db.await(db.pool().query("SHOW server_encoding").execute(), "reading the server encoding")) {
      if (!"UTF8".equalsIgnoreCase(r.getString(0))) {
        throw new IllegalStateException("the audit database has encoding " + r.getString(0)
            + "; records are stored as text and must round-trip byte for byte: use a UTF8 database");
      }
    }
  }

  /** One line when PostgreSQL cannot be written, one when it can again. */
  private final class Health implements GroupCommit.Health {
    @Override
    public void outage(Throwable cause, long firstSeq, int records) {
      LOG.log(System.Logger.Level.WARNING, "PostgreSQL audit log of node " + node.name()
          + " cannot be written (requests are refused; accepted records are kept and retried): " + cause.getMessage());
    }

    @Override
    public void recovered(long outageNanos, int attempts) {
      LOG.log(System.Logger.Level.INFO, "PostgreSQL audit log of node " + node.name() + " is writable again after "
          + outageNanos / 1_000_000 + " ms (" + attempts + " failed attempts)");
    }
  }

  /** Every checkpoint interval: a tick marker, unless the last one is still queued (an outage). */
  private void tick() {
    GroupCommit.Marked last = lastTick;
    if (last != null && !last.durable().isDone()) return;
    try {
      lastTick = commits.mark(PgAuditWriter.TICK);
    } catch (IllegalStateException closedOrFailed) {
      // nothing to tick for
    }
  }

  public void commitListener(CommitListener l) {
    writer.commitListener(Objects.requireNonNull(l, "l"));
  }

  public AuditDatabase.Node node() {
    return node;
  }

  public AuditDatabase database() {
    return db;
  }

  /** The verifier key of this node's checkpoints. */
  public dev.curfew.core.audit.NoteVerifier verifier() {
    return signer.verifier();
  }

  // ---------------------------------------------------------------- append

  /**
   * Enqueues {@code records} (seq assigned now, in call order) and {@code bindings}; the future
   * completes when PostgreSQL committed both. The lists must not change afterwards. Blocks only
   * while more than {@code maxQueuedRecords} wait.
   */
  @Override
  public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
    return commits.append(records, bindings);
  }

  private static final String TRY_CLAIM =
      "INSERT INTO audit_claims (claim, node_id, seq) VALUES ($1, $2, -1) ON CONFLICT (claim) DO NOTHING";

  /**
   * Whether a record of {@code claim} is committed, by any node, in this database. The claim is
   * inserted in a transaction that is then rolled back: the insert waits for a transaction still
   * holding the claim (the last one of a node that died while committing), so the answer is final
   * for every transaction begun before; nothing stays behind.
   */
  @Override
  public CompletableFuture<Boolean> recorded(String claim) {
    Objects.requireNonNull(claim, "claim");
    return db.pool().getConnection().compose(conn -> conn.begin()
        .compose(tx -> conn.preparedQuery(TRY_CLAIM).execute(io.vertx.sqlclient.Tuple.of(claim, node.id()))
            .compose(rs -> tx.rollback().map(rs.rowCount() == 0)))
        .onComplete(ar -> conn.close()))
        .toCompletionStage().toCompletableFuture();
  }

  /**
   * Enqueues {@code line}, which already is record {@code seq} of this node (a mirror of the
   * embedded journal). A seq the log already holds or has queued is ignored, and so is one beyond
   * the next (catchUp fills the gap from the journal). Blocks only while the queue is full.
   */
  public void replicate(long seq, byte[] line) {
    commits.replicate(seq, line); // false: held already, ahead (catchUp copies it), or failed/closed (the sink reports it)
  }

  /**
   * False while records cannot be committed: PostgreSQL unreachable (until a commit or a probe
   * succeeds again), or the log failed for good or is closing.
   */
  @Override
  public boolean writable() {
    return commits.writable();
  }

  /** Why the log failed for good, or null. */
  public Throwable failure() {
    return commits.failure();
  }

  /** The last error that made PostgreSQL count as unreachable (for logs), or null. */
  public Throwable lastOutage() {
    return commits.lastOutage();
  }

  /** A future that completes once the first {@code size} records are committed. */
  public CompletableFuture<Void> durableThrough(long size) {
    return commits.durableThrough(size);
  }

  /**
   * Copies what this log lacks from {@code journal} (the embedded store's log, which this log
   * mirrors) and waits until it is committed.
   *
   * @throws IllegalStateException if this log holds records the journal does not, or a different
   *     record at the last seq they share
   */
  public void catchUp(AuditLogReader journal) throws IOException {
    long have = commits.nextSeq();
    long target = journal.size();
    if (have > target) {
      throw new IllegalStateException("PostgreSQL holds " + have + " records of node " + node.name()
          + " but the local journal only " + target + ": this data directory is not the one that wrote them;"
          + " start with that one, or give this node another name");
    }
    if (have > 0) {
      byte[][] shared = new byte[1][];
      journal.scan(have - 1, line -> {
        shared[0] = line.getBytes(StandardCharsets.UTF_8);
        return false;
      });
      AuditDatabase.StoredLeaf stored = db.leaf(node.id(), have - 1).orElse(null);
      if (shared[0] == null || stored == null || !Arrays.equals(MerkleTree.leafHash(shared[0]), stored.leafHash())) {
        throw new IllegalStateException("record seq " + (have - 1) + " of node " + node.name()
            + " differs between PostgreSQL and the local journal: they are not the same log");
      }
    }
    long[] seq = {have};
    journal.scan(have, line -> {
      replicate(seq[0]++, line.getBytes(StandardCharsets.UTF_8));
      return seq[0] < target;
    });
    try {
      durableThrough(target).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while copying the journal to PostgreSQL", e);
    } catch (ExecutionException e) {
      throw new IOException("could not copy the journal to PostgreSQL: " + e.getCause().getMessage(), e.getCause());
    }
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * A checkpoint covering every record committed now (signed now unless the latest one does);
   * blocks until the writer has written it.
   */
  public String checkpointNow() throws IOException {
    CompletableFuture<String> f = new CompletableFuture<>();
    try {
      commits.mark(new PgAuditWriter.CheckpointRequest(f));
    } catch (IllegalStateException e) {
      throw new IOException(commits.failure() != null ? "the PostgreSQL audit log failed closed"
          : "the PostgreSQL audit log is closed", e);
    }
    try {
      return f.get(AuditDatabase.QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for a checkpoint", e);
    } catch (ExecutionException e) {
      throw new IOException("no checkpoint could be written: " + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("no checkpoint within " + AuditDatabase.QUERY_TIMEOUT.toSeconds() + " s", e);
    }
  }

  /** The latest checkpoint note, or empty before the first. */
  public Optional<String> latestCheckpoint() {
    return Optional.ofNullable(checkpoints.latestNote());
  }

  /** The tree size of the latest checkpoint, -1 before the first. */
  public long lastCheckpointSize() {
    return checkpoints.latestSize();
  }

  // ---------------------------------------------------------------- read

  /** Committed records: all readable by {@link #scan}. */
  @Override
  public long size() {
    return commits.durableSize();
  }

  @Override
  public void scan(long fromSeq, Predicate<String> visitor) throws IOException {
    if (fromSeq < 0) throw new IllegalArgumentException("fromSeq < 0: " + fromSeq);
    db.scan(node.id(), fromSeq, commits.durableSize(), (seq, line, hash) -> visitor.test(line));
  }

  /** Stops the writer after it has committed everything queued (waiting at most closeTimeout), with a final checkpoint. */
  @Override
  public void close() {
    checkpoints.stopTicks();
    try {
      commits.mark(PgAuditWriter.FINAL);
    } catch (IllegalStateException closedOrFailed) {
      // closed already, or failed: no final checkpoint
    }
    commits.close();
    checkpoints.close(); // the final checkpoint's submission to the witnesses finishes first
  }
}

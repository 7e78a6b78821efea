package dev.curfew.store.postgres;

import dev.curfew.core.AuditLogReader;
import dev.curfew.core.AuditSink;
import dev.curfew.core.Clock;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.Times;
import dev.curfew.core.audit.Witnesses;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/*
 * One node's audit log in PostgreSQL (spec/audit.md): the same canonical JSON records as the file
 * log, an RFC 6962 Merkle tree over them (PgHashStore), and C2SP signed checkpoints, all in the
 * tables of AuditSchema, with the node's verifier key registered in audit_nodes.
 *
 * Group commit. append() only enqueues: under one lock it gives the records their seq in call
 * order and their time, clamped so that it never decreases, and returns a future; the caller then
 * serializes its own lines outside the lock. One writer thread takes everything queued (up to
 * maxBatchRecords), appends the leaves to its tree, and writes the records, the new interior tree
 * nodes and the token bindings in ONE statement (data-modifying CTEs over unnest() arrays: one
 * round trip, one transaction, one WAL flush with synchronous_commit on). Only after PostgreSQL
 * answered does it complete the batch's futures. (PostgreSQL 15 manual, queries-with.html, "Data-
 * Modifying Statements in WITH": each such sub-statement runs to completion whether or not the
 * outer query reads it; functions-array.html: unnest() of several arrays zips them row by row.)
 *
 * Fail closed, but keep what was accepted. When a commit fails because PostgreSQL cannot be
 * reached (refused connection, terminated backend, timeout), writable() turns false at once, so
 * the engine refuses requests, and the writer keeps the batch and everything queued behind it in
 * memory and retries with a growing delay (50 ms to retryDelayMax). A commit whose answer was lost
 * may have happened: before each retry the writer reads the node's size back and, if the batch is
 * there (its last leaf hash matches), takes it as committed instead of writing it twice. When a
 * commit succeeds again, writable() turns true: no restart. While idle, a probe every checkpoint
 * interval notices an outage (and the return) within about a second. Appends are accepted while
 * PostgreSQL is down (the engine still records expiries it detects); they block once
 * maxQueuedRecords wait. What cannot succeed by retrying fails closed for good: a record that
 * cannot be serialized, SQL that the server rejects as wrong (classes 22 and 42), and a log that
 * another process has written as this node (found by the read-back).
 *
 * Checkpoints: the writer signs the tree (Ed25519, c2sp.org/signed-note over the
 * c2sp.org/tlog-checkpoint body) and inserts the note when records arrived and a checkpoint
 * interval (1 s) has passed on the injected clock, when asked to (evidence needs one that covers
 * its records), and at close. Checkpoints cover only committed records. With witnesses
 * (Options.witnesses), each new checkpoint is then handed to PgCosigner, which submits it on its
 * own thread and inserts the cosignature lines into audit_cosignatures; the latest checkpoint is
 * offered again every second while it lacks one (c2sp.org/tlog-witness, docs/audit.md).
 *
 * Mirroring. replicate() takes lines that already have their seq (the embedded store's journal,
 * through its leaf listener), verbatim, so that the node's tree in PostgreSQL is the journal's
 * tree; catchUp() copies what PostgreSQL lacks from the journal at start. A log is written either
 * by append() or by replicate(), not both.
 *
 * Open checks, before signing anything: the stored last record still hashes to its stored leaf
 * hash, and the tree's root at the last checkpoint's size is the signed root. Either failing means
 * the log was changed: open refuses and says to run `curfew audit verify`.
 */

/**
 * One node's audit log in PostgreSQL: an {@link AuditSink} with group commit and retry, the
 * {@link AuditLogReader} of its records, and its tree and checkpoints. Thread-safe.
 */
public final class PgAuditLog implements AuditSink, AuditLogReader, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(PgAuditLog.class.getName());
  private static final long FIRST_RETRY_DELAY_MS = 50;

  private static final String INSERT_BATCH = """
      WITH r AS (
        INSERT INTO audit_records (node_id, seq, time_ms, session_id, line, leaf_hash)
        SELECT $1, * FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::bytea[])
      ), t AS (
        INSERT INTO audit_tree (node_id, level, idx, hash)
        SELECT $1, * FROM unnest($7::smallint[], $8::bigint[], $9::bytea[])
      ), b AS (
        INSERT INTO audit_token_bindings (node_id, seq, session_id, token_sha256, issued_at_ms)
        SELECT $1, * FROM unnest($10::bigint[], $11::text[], $12::bytea[], $13::bigint[])
      )
      SELECT 1""";

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
      if (retryDelayMax.toMillis() < FIRST_RETRY_DELAY_MS) {
        throw new IllegalArgumentException("retryDelayMax < " + FIRST_RETRY_DELAY_MS + " ms: " + retryDelayMax);
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
  private final Thread writer;
  private volatile CommitListener commitListener = CommitListener.NONE;

  // Enqueue side: guarded by lock.
  private final Object lock = new Object();
  private ArrayDeque<Pending> queue = new ArrayDeque<>();
  private long nextSeq;
  private long queuedRecords;
  private long lastTimeMs = Long.MIN_VALUE;
  private volatile boolean closing; // written under lock
  private long closeDeadlineNanos;
  private final TreeMap<Long, List<CompletableFuture<Void>>> waiters = new TreeMap<>();
  private final List<CompletableFuture<String>> checkpointRequests = new ArrayList<>();
  private volatile Throwable failure;

  // Writer side: the writer thread only (and open, before it starts).
  private final PgHashStore store;
  private MerkleTree tree;
  private long lastCheckpointAtMs = Long.MIN_VALUE;
  private long lastContactMs;
  private long retryDelayMs = FIRST_RETRY_DELAY_MS;

  private volatile long durableSize;
  private volatile boolean connected = true;
  // Written together under noteLock (the writer's new checkpoint, the cosigner's cosignatures).
  private final Object noteLock = new Object();
  private volatile String lastCheckpointNote;
  private volatile long lastCheckpointSize = -1;
  private final PgCosigner cosigner; // null: no witnesses
  private long lastOfferMs = Long.MIN_VALUE; // the writer thread only
  private volatile Throwable lastOutage;

  /**
   * One append call or one mirrored line. Its seq and clamped times are fixed under the enqueue
   * lock; its lines are serialized once, by whichever thread claims it first.
   */
  private static final class Pending {
    final List<AuditRecord> records; // null for a mirrored line
    final byte[] verbatim;
    final List<TokenBinding> bindings;
    final long firstSeq;
    final long[] timesMs;
    final CompletableFuture<Void> future;
    private final AtomicBoolean claimed = new AtomicBoolean();
    private volatile boolean serialized;
    private byte[][] lines;
    private String[] sessionIds;
    private RuntimeException error;

    Pending(List<AuditRecord> records, byte[] verbatim, List<TokenBinding> bindings, long firstSeq, long[] timesMs,
        CompletableFuture<Void> future) {
      this.records = records;
      this.verbatim = verbatim;
      this.bindings = bindings;
      this.firstSeq = firstSeq;
      this.timesMs = timesMs;
      this.future = future;
    }

    int size() {
      return records == null ? 1 : records.size();
    }

    void serialize() {
      if (!claimed.compareAndSet(false, true)) return;
      try {
        if (records == null) {
          Map<String, Object> m = Json.parseObject(new String(verbatim, StandardCharsets.UTF_8));
          if (!(m.get("seq") instanceof Long s) || s != firstSeq) {
            throw new IllegalArgumentException("mirrored line has seq " + m.get("seq") + ", expected " + firstSeq);
          }
          timesMs[0] = Times.parse((String) m.get("time"));
          sessionIds = new String[] {m.get("session_id") instanceof String id ? id : null};
          lines = new byte[][] {verbatim};
        } else {
          byte[][] l = new byte[records.size()][];
          String[] ids = new String[l.length];
          for (int i = 0; i < l.length; i++) {
            l[i] = records.get(i).canonicalLine(firstSeq + i, timesMs[i]);
            ids[i] = records.get(i).sessionId();
          }
          lines = l;
          sessionIds = ids;
        }
      } catch (RuntimeException e) {
        error = e;
      } finally {
        serialized = true; // publishes the fields above
      }
    }

    void awaitSerialized() {
      serialize();
      while (!serialized) Thread.onSpinWait();
      if (error != null) {
        // its seq is taken: the log cannot skip it, so it fails closed
        throw new IllegalStateException("record at seq " + firstSeq + " cannot be serialized: " + error, error);
      }
    }
  }

  private PgAuditLog(AuditDatabase db, AuditDatabase.Node node, NoteSigner signer, Options options, PgHashStore store) {
    this.db = db;
    this.node = node;
    this.signer = signer;
    this.options = options;
    this.store = store;
    this.cosigner = options.witnesses() == Witnesses.NONE ? null
        : new PgCosigner(options.witnesses(), db, node, new PgAuditProofs(this), this::cosigned);
    this.writer = new Thread(this::run, "curfew-pg-audit-writer");
    this.writer.setDaemon(true);
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
    log.openTree();
    log.writer.start();
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

  /** Builds the tree over the committed state and checks the stored tail and the last checkpoint. */
  private void openTree() throws IOException {
    try {
      tree = MerkleTree.open(store);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    if (!store.pendingInterior().hashes().isEmpty()) {
      writeRepairedTree(); // interior nodes that were missing, recomputed by open
    }
    long size = tree.size();
    durableSize = size;
    nextSeq = size;
    if (size > 0) {
      AuditDatabase.StoredLeaf last = db.leaf(node.id(), size - 1)
          .orElseThrow(() -> new IOException("record " + (size - 1) + " of node " + node.name() + " is missing"));
      byte[] line = last.line().getBytes(StandardCharsets.UTF_8);
      if (!Arrays.equals(MerkleTree.leafHash(line), last.leafHash())) {
        throw new IllegalStateException("record seq " + (size - 1) + " of node " + node.name()
            + " no longer hashes to the leaf hash stored when it was written; refusing to sign over it:"
            + " run 'curfew audit verify'");
      }
      lastTimeMs = Times.parse((String) Json.parseObject(last.line()).get("time"));
    }
    Optional<CheckpointLine> cp = db.latestCheckpoint(node.id());
    if (cp.isPresent()) {
      Checkpoint signed;
      try {
        signed = Checkpoint.parse(signer.verifier().verify(cp.get().note()).textOrThrow());
      } catch (RuntimeException e) {
        throw new IllegalStateException("the latest checkpoint of node " + node.name()
            + " is not signed by this node's key: " + e.getMessage(), e);
      }
      if (signed.treeSize() > size) {
        throw new IllegalStateException("the latest checkpoint of node " + node.name() + " covers " + signed.treeSize()
            + " records but the log holds " + size + ": signed records are missing; run 'curfew audit verify'");
      }
      byte[] root;
      try { // over a view: its reads are batched, the writer's tree would read node by node
        root = PgTreeView.tree(db, node.id(), signed.treeSize()).rootHash();
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      if (!Arrays.equals(root, signed.rootHash())) {
        throw new IllegalStateException("the log of node " + node.name() + " does not match its last signed checkpoint"
            + " (tree size " + signed.treeSize() + "); refusing to sign over it: run 'curfew audit verify'");
      }
      lastCheckpointNote = cp.get().note();
      lastCheckpointSize = signed.treeSize();
    }
    lastContactMs = options.clock().millis();
  }

  private void writeRepairedTree() throws IOException {
    PgHashStore.Rows rows = store.pendingInterior();
    db.await(db.pool().preparedQuery(INSERT_BATCH).execute(batchTuple(new Long[0], new Long[0], new String[0],
        new String[0], List.of(), rows, List.of(), new Long[0])), "writing repaired tree nodes of node " + node.name());
    store.commit();
  }

  public void commitListener(CommitListener l) {
    this.commitListener = Objects.requireNonNull(l, "l");
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
    Objects.requireNonNull(records, "records");
    Objects.requireNonNull(bindings, "bindings");
    CompletableFuture<Void> future = new CompletableFuture<>();
    int n = records.size();
    Pending pending;
    synchronized (lock) {
      if (!awaitRoomLocked(n)) return CompletableFuture.failedFuture(notAccepting());
      long[] timesMs = new long[n];
      for (int i = 0; i < n; i++) {
        lastTimeMs = Math.max(lastTimeMs, records.get(i).timeMs());
        timesMs[i] = lastTimeMs;
      }
      pending = new Pending(records, null, bindings, nextSeq, timesMs, future);
      enqueueLocked(pending);
    }
    pending.serialize();
    return future;
  }

  /**
   * Enqueues {@code line}, which already is record {@code seq} of this node (a mirror of the
   * embedded journal). A seq the log already holds or has queued is ignored, and so is one beyond
   * the next (catchUp fills the gap from the journal). Blocks only while the queue is full.
   */
  public void replicate(long seq, byte[] line) {
    Objects.requireNonNull(line, "line");
    synchronized (lock) {
      if (seq != nextSeq) return;
      if (!awaitRoomLocked(1)) return; // the log has failed or closed: the mirrored sink reports it
      enqueueLocked(new Pending(null, line.clone(), List.of(), seq, new long[1], null));
    }
  }

  private boolean awaitRoomLocked(int n) {
    while (queuedRecords > 0 && queuedRecords + n > options.maxQueuedRecords() && acceptingLocked()) {
      try {
        lock.wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return acceptingLocked();
  }

  private void enqueueLocked(Pending p) {
    if (queue.isEmpty()) lock.notifyAll();
    queue.add(p);
    nextSeq += p.size();
    queuedRecords += p.size();
  }

  private boolean acceptingLocked() {
    return failure == null && !closing;
  }

  private IllegalStateException notAccepting() {
    Throwable f = failure;
    return f != null ? new IllegalStateException("the PostgreSQL audit log of node " + node.name() + " failed closed: " + f, f)
        : new IllegalStateException("the PostgreSQL audit log of node " + node.name() + " is closed");
  }

  /**
   * False while records cannot be committed: PostgreSQL unreachable (until a commit or a probe
   * succeeds again), or the log failed for good or is closing.
   */
  @Override
  public boolean writable() {
    return failure == null && connected && !closing;
  }

  /** Why the log failed for good, or null. */
  public Throwable failure() {
    return failure;
  }

  /** The last error that made PostgreSQL count as unreachable (for logs), or null. */
  public Throwable lastOutage() {
    return lastOutage;
  }

  /** A future that completes once the first {@code size} records are committed. */
  public CompletableFuture<Void> durableThrough(long size) {
    if (durableSize >= size) return CompletableFuture.completedFuture(null);
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (lock) {
      if (failure != null) return CompletableFuture.failedFuture(notAccepting());
      if (durableSize >= size) return CompletableFuture.completedFuture(null);
      waiters.computeIfAbsent(size, k -> new ArrayList<>(1)).add(f);
    }
    return f;
  }

  /**
   * Copies what this log lacks from {@code journal} (the embedded store's log, which this log
   * mirrors) and waits until it is committed.
   *
   * @throws IllegalStateException if this log holds records the journal does not, or a different
   *     record at the last seq they share
   */
  public void catchUp(AuditLogReader journal) throws IOException {
    long have;
    synchronized (lock) {
      have = nextSeq;
    }
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

  // ---------------------------------------------------------------- writer

  private void run() {
    List<Pending> batch = List.of();
    try {
      while ((batch = take()) != null) {
        if (!batch.isEmpty()) commitUntilDone(batch);
        batch = List.of();
        housekeeping();
      }
      finalCheckpoint();
    } catch (Throwable t) {
      failClosed(t, batch);
    }
    answerCheckpointRequestsAtExit();
  }

  /** Requests that arrived while the writer was closing get the last checkpoint, or fail. */
  private void answerCheckpointRequestsAtExit() {
    List<CompletableFuture<String>> requests;
    synchronized (lock) {
      requests = new ArrayList<>(checkpointRequests);
      checkpointRequests.clear();
    }
    String note = lastCheckpointNote;
    for (CompletableFuture<String> r : requests) {
      if (note != null) r.complete(note);
      else r.completeExceptionally(new IllegalStateException("the PostgreSQL audit log is closed"));
    }
  }

  /** Everything queued (up to a batch), an empty list when the checkpoint interval passed, null when closed and drained. */
  private List<Pending> take() throws InterruptedException {
    synchronized (lock) {
      long waitMs = options.checkpointInterval().toMillis();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (queue.isEmpty() && !closing && checkpointRequests.isEmpty()) {
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) return List.of();
        lock.wait(leftMs);
      }
      if (queue.isEmpty() && closing) return null;
      List<Pending> batch = new ArrayList<>();
      long n = 0;
      while (!queue.isEmpty() && (batch.isEmpty() || n + queue.peek().size() <= options.maxBatchRecords())) {
        Pending p = queue.poll();
        batch.add(p);
        n += p.size();
      }
      return batch;
    }
  }

  /** Commits {@code batch}, retrying while PostgreSQL cannot be reached; throws only to fail closed. */
  private void commitUntilDone(List<Pending> batch) throws Exception {
    while (true) {
      try {
        commitOnce(batch);
        return;
      } catch (Outage e) {
        reportOutage(e.getCause());
      }
      pauseBeforeRetry(batch);
      try {
        if (committedMeanwhile(batch)) return;
      } catch (Outage e) {
        reportOutage(e.getCause());
      }
    }
  }

  /** PostgreSQL could not be reached or did not answer: worth retrying. */
  private static final class Outage extends Exception {
    Outage(Throwable cause) {
      super(cause);
    }
  }

  private void commitOnce(List<Pending> batch) throws Outage {
    long firstSeq = batch.get(0).firstSeq;
    int records = 0;
    for (Pending p : batch) {
      p.awaitSerialized();
      records += p.size();
    }
    if (records == 0) { // a sync marker: everything before it is committed already
      afterCommit(batch, firstSeq, 0, 0);
      return;
    }
    Long[] seqs = new Long[records];
    Long[] times = new Long[records];
    String[] sessions = new String[records];
    String[] lines = new String[records];
    List<Long> bindingSeqs = new ArrayList<>();
    List<TokenBinding> bindings = new ArrayList<>();
    int i = 0;
    for (Pending p : batch) {
      if (p.firstSeq != firstSeq + i) {
        throw new IllegalStateException("writer at seq " + (firstSeq + i) + " but the next append has seq " + p.firstSeq);
      }
      for (int j = 0; j < p.size(); j++, i++) {
        seqs[i] = p.firstSeq + j;
        times[i] = p.timesMs[j];
        sessions[i] = p.sessionIds[j];
        lines[i] = new String(p.lines[j], StandardCharsets.UTF_8);
        tree.appendLeafHash(MerkleTree.leafHash(p.lines[j]));
      }
      for (TokenBinding b : p.bindings) {
        bindingSeqs.add(p.firstSeq);
        bindings.add(b);
      }
    }
    if (store.pendingLeaves().size() != records) {
      throw new IllegalStateException("tree has " + store.pendingLeaves().size() + " pending leaves for " + records + " records");
    }
    Tuple args = batchTuple(seqs, times, sessions, lines, store.pendingLeaves(), store.pendingInterior(), bindings,
        bindingSeqs.toArray(new Long[0]));
    long t0 = System.nanoTime();
    try {
      db.await(db.pool().preparedQuery(INSERT_BATCH).execute(args), "committing records " + firstSeq + ".."
          + (firstSeq + records - 1) + " of node " + node.name());
    } catch (IOException e) {
      rollBackTree();
      throw classify(e);
    }
    store.commit();
    afterCommit(batch, firstSeq, records, System.nanoTime() - t0);
  }

  private Tuple batchTuple(Long[] seqs, Long[] times, String[] sessions, String[] lines, List<byte[]> leaves,
      PgHashStore.Rows interior, List<TokenBinding> bindings, Long[] bindingSeqs) {
    String[] bindingSessions = new String[bindings.size()];
    Buffer[] bindingTokens = new Buffer[bindings.size()];
    Long[] bindingIssued = new Long[bindings.size()];
    for (int i = 0; i < bindingSessions.length; i++) {
      TokenBinding b = bindings.get(i);
      bindingSessions[i] = b.sessionId();
      bindingTokens[i] = Buffer.buffer(b.tokenHash().toBytes());
      bindingIssued[i] = b.issuedAtMs();
    }
    return Tuple.tuple(List.of(node.id(), seqs, times, sessions, lines, AuditDatabase.buffers(leaves),
        interior.levels(), interior.indexes(), AuditDatabase.buffers(interior.hashes()),
        bindingSeqs, bindingSessions, bindingTokens, bindingIssued));
  }

  /** Back to the committed state: drop pending hashes and reopen the tree (no round trip). */
  private void rollBackTree() {
    store.discard();
    tree = MerkleTree.open(store);
  }

  /**
   * An error from PostgreSQL is an outage (retry) unless the server says the statement itself is
   * wrong: data exceptions (class 22) and syntax or access rule violations (class 42), which
   * fail closed. A unique violation (23505) is an outage too: the read-back before the retry
   * tells a lost answer to our own commit from another writer.
   */
  private Outage classify(IOException e) {
    if (e.getCause() instanceof PgException pg && pg.getSqlState() != null
        && (pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("42"))) {
      throw new IllegalStateException("PostgreSQL refused the audit records of node " + node.name() + ": "
          + pg.getMessage(), pg);
    }
    return new Outage(e);
  }

  private void afterCommit(List<Pending> batch, long firstSeq, int records, long nanos) {
    long end = firstSeq + records;
    durableSize = end;
    lastContactMs = options.clock().millis();
    retryDelayMs = FIRST_RETRY_DELAY_MS;
    if (!connected) {
      connected = true;
      LOG.log(System.Logger.Level.INFO, "PostgreSQL audit log of node " + node.name() + " is writable again");
    }
    List<CompletableFuture<Void>> done = new ArrayList<>();
    synchronized (lock) {
      queuedRecords -= records;
      lock.notifyAll(); // appenders waiting for room
      while (!waiters.isEmpty() && waiters.firstKey() <= end) done.addAll(waiters.pollFirstEntry().getValue());
    }
    if (records > 0) commitListener.committed(nanos, records);
    for (Pending p : batch) {
      if (p.future != null) p.future.complete(null);
    }
    for (CompletableFuture<Void> f : done) f.complete(null);
  }

  private void reportOutage(Throwable cause) {
    lastOutage = cause;
    if (connected) {
      connected = false;
      LOG.log(System.Logger.Level.WARNING, "PostgreSQL audit log of node " + node.name()
          + " cannot be written (requests are refused; accepted records are kept and retried): " + cause.getMessage());
    }
  }

  /** Sleeps before the next attempt; once closing has waited too long, gives up (fails closed). */
  private void pauseBeforeRetry(List<Pending> batch) throws InterruptedException {
    synchronized (lock) {
      if (closing && System.nanoTime() - closeDeadlineNanos > 0) {
        long lost = queuedRecords;
        throw new IllegalStateException("closed while PostgreSQL could not be reached: " + lost
            + " records from seq " + batch.get(0).firstSeq + " were not written", lastOutage);
      }
    }
    Thread.sleep(retryDelayMs);
    retryDelayMs = Math.min(retryDelayMs * 2, options.retryDelayMax().toMillis());
  }

  /**
   * After a failed commit: whether the batch is in the database all the same (the answer was
   * lost, the commit happened), in which case the tree takes its leaves as committed. Throws to
   * fail closed if the database holds something else: another process writes as this node.
   */
  private boolean committedMeanwhile(List<Pending> batch) throws Outage {
    long firstSeq = batch.get(0).firstSeq;
    Pending last = batch.get(batch.size() - 1);
    long end = last.firstSeq + last.size();
    long stored;
    AuditDatabase.StoredLeaf tail;
    try {
      stored = db.size(node.id());
      tail = stored == end && end > firstSeq ? db.leaf(node.id(), end - 1).orElse(null) : null;
    } catch (IOException e) {
      throw new Outage(e);
    }
    if (stored == firstSeq) return false;
    if (tail != null && Arrays.equals(tail.leafHash(), MerkleTree.leafHash(last.lines[last.size() - 1]))) {
      int records = 0;
      for (Pending p : batch) {
        for (byte[] line : p.lines) tree.appendLeafHash(MerkleTree.leafHash(line));
        records += p.size();
      }
      store.commit();
      afterCommit(batch, firstSeq, records, 0);
      LOG.log(System.Logger.Level.INFO, "records " + firstSeq + ".." + (end - 1) + " of node " + node.name()
          + " were committed although the answer was lost");
      return true;
    }
    throw new IllegalStateException("the PostgreSQL audit log of node " + node.name() + " holds " + stored
        + " records where this server expected " + firstSeq + " or " + end
        + ": another process writes as this node; stopping to write");
  }

  // ---------------------------------------------------------------- checkpoints and probes

  /** After each batch and each idle interval: a checkpoint when due or asked for, else a probe when idle long. */
  private void housekeeping() {
    List<CompletableFuture<String>> requests;
    synchronized (lock) {
      requests = new ArrayList<>(checkpointRequests);
      checkpointRequests.clear();
    }
    long now = options.clock().millis();
    long intervalMs = options.checkpointInterval().toMillis();
    boolean due = lastCheckpointAtMs == Long.MIN_VALUE || now - lastCheckpointAtMs >= intervalMs;
    try {
      if (tree.size() > Math.max(lastCheckpointSize, 0) && (due || !requests.isEmpty())) {
        checkpoint();
      } else if (now - lastContactMs >= intervalMs) {
        probe();
      }
      // Apart from the above: a witness that stays down must not stop the probes of an idle node.
      if (cosigner != null && lastCheckpointNote != null && now - lastOfferMs >= 1000
          && !cosigner.complete(lastCheckpointNote)) {
        offerToWitnesses(); // a witness was down when it was written: offered again every second
      }
      for (CompletableFuture<String> r : requests) {
        if (lastCheckpointNote != null) r.complete(lastCheckpointNote);
        else r.completeExceptionally(new IllegalStateException("the log of node " + node.name() + " is empty"));
      }
    } catch (Outage e) {
      reportOutage(e.getCause());
      for (CompletableFuture<String> r : requests) r.completeExceptionally(e.getCause());
    }
  }

  private void checkpoint() throws Outage {
    Checkpoint cp = Checkpoint.of(signer.name(), tree);
    String note = signer.sign(cp.body());
    try {
      db.await(db.pool().preparedQuery("INSERT INTO audit_checkpoints (node_id, tree_size, note) VALUES ($1, $2, $3)"
          + " ON CONFLICT (node_id, tree_size) DO NOTHING").execute(Tuple.of(node.id(), cp.treeSize(), note)),
          "writing a checkpoint of node " + node.name());
    } catch (IOException e) {
      throw new Outage(e);
    }
    // Ed25519 signatures are deterministic (RFC 8032), so a checkpoint whose answer was lost and is
    // written again is the same note: ON CONFLICT keeps one.
    synchronized (noteLock) {
      lastCheckpointNote = note;
      lastCheckpointSize = cp.treeSize();
    }
    if (cosigner != null) offerToWitnesses();
    lastCheckpointAtMs = options.clock().millis();
    lastContactMs = lastCheckpointAtMs;
    if (!connected) {
      connected = true;
      LOG.log(System.Logger.Level.INFO, "PostgreSQL audit log of node " + node.name() + " is writable again");
    }
  }

  /** Hands the latest checkpoint to the cosigner (the writer thread). */
  private void offerToWitnesses() {
    String note;
    synchronized (noteLock) {
      note = lastCheckpointNote;
    }
    lastOfferMs = options.clock().millis();
    cosigner.offer(Checkpoint.parse(signer.verifier().verify(note).textOrThrow()), note);
  }

  /** The cosigner stored cosignatures of checkpoint {@code treeSize}: the latest note carries them if it is still that one. */
  private void cosigned(long treeSize, String note) {
    synchronized (noteLock) {
      if (lastCheckpointSize == treeSize) lastCheckpointNote = note;
    }
  }

  private void probe() throws Outage {
    try {
      db.await(db.pool().query("SELECT 1").execute(), "probing");
    } catch (IOException e) {
      throw new Outage(e);
    }
    lastContactMs = options.clock().millis();
    if (!connected) {
      connected = true;
      LOG.log(System.Logger.Level.INFO, "PostgreSQL audit log of node " + node.name() + " is reachable again");
    }
  }

  private void finalCheckpoint() {
    if (tree.size() <= Math.max(lastCheckpointSize, 0)) return;
    try {
      checkpoint();
    } catch (Outage e) {
      LOG.log(System.Logger.Level.WARNING, "no final checkpoint for node " + node.name() + ": " + e.getCause().getMessage());
    }
  }

  /**
   * A checkpoint covering every record committed now (signed now unless the latest one does);
   * blocks until the writer has written it.
   */
  public String checkpointNow() throws IOException {
    CompletableFuture<String> f = new CompletableFuture<>();
    synchronized (lock) {
      if (failure != null) throw new IOException("the PostgreSQL audit log failed closed", failure);
      if (closing) throw new IOException("the PostgreSQL audit log is closed");
      checkpointRequests.add(f);
      lock.notifyAll();
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
    return Optional.ofNullable(lastCheckpointNote);
  }

  /** The tree size of the latest checkpoint, -1 before the first. */
  public long lastCheckpointSize() {
    return lastCheckpointSize;
  }

  private void failClosed(Throwable cause, List<Pending> batch) {
    List<Pending> failed = new ArrayList<>(batch);
    List<CompletableFuture<Void>> waiting = new ArrayList<>();
    List<CompletableFuture<String>> requests;
    synchronized (lock) {
      failure = cause;
      failed.addAll(queue);
      queue = new ArrayDeque<>();
      queuedRecords = 0;
      for (List<CompletableFuture<Void>> w : waiters.values()) waiting.addAll(w);
      waiters.clear();
      requests = new ArrayList<>(checkpointRequests);
      checkpointRequests.clear();
      lock.notifyAll();
    }
    LOG.log(System.Logger.Level.ERROR, "PostgreSQL audit log of node " + node.name() + " failed closed: " + cause, cause);
    IllegalStateException e = notAccepting();
    for (Pending p : failed) {
      if (p.future != null) p.future.completeExceptionally(e);
    }
    for (CompletableFuture<Void> w : waiting) w.completeExceptionally(e);
    for (CompletableFuture<String> r : requests) r.completeExceptionally(e);
  }

  // ---------------------------------------------------------------- read

  /** Committed records: all readable by {@link #scan}. */
  @Override
  public long size() {
    return durableSize;
  }

  @Override
  public void scan(long fromSeq, Predicate<String> visitor) throws IOException {
    if (fromSeq < 0) throw new IllegalArgumentException("fromSeq < 0: " + fromSeq);
    db.scan(node.id(), fromSeq, durableSize, (seq, line, hash) -> visitor.test(line));
  }

  /** Stops the writer after it has committed everything queued (waiting at most closeTimeout), with a final checkpoint. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closing) return;
      closing = true;
      closeDeadlineNanos = System.nanoTime() + options.closeTimeout().toNanos();
      lock.notifyAll();
    }
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (cosigner != null) cosigner.close(); // the final checkpoint's submission finishes first
  }
}

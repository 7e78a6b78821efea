package dev.curfew.store.postgres;

import dev.curfew.core.AuditSink.TokenBinding;
import dev.curfew.core.Clock;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.Checkpointer;
import dev.curfew.core.audit.GroupCommit;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.Times;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/*
 * The PostgreSQL writer of GroupCommit: one batch, one statement, one transaction.
 *
 * For each batch it appends the leaves to the node's tree (PgHashStore) and writes the records,
 * the new interior tree nodes, the token bindings and, when one is due (PgCheckpointer), the
 * checkpoint signed over the tree with these leaves in ONE statement (data-modifying CTEs over
 * unnest() arrays: one round trip, one transaction, one WAL flush with synchronous_commit on).
 * GroupCommit completes the batch's futures only after it returned. (PostgreSQL 15 manual,
 * queries-with.html, "Data-Modifying Statements in WITH": each such sub-statement runs to
 * completion whether or not the outer query reads it; functions-array.html: unnest() of several
 * arrays zips them row by row.)
 *
 * Outage. An error that retrying may cure (refused connection, terminated backend, timeout, a
 * unique violation) is an IOException: the tree is rolled back to its committed state and
 * GroupCommit retries the same batch. A commit whose answer was lost may have happened: before a
 * retry the writer reads the node's size back and, if the batch is there (its last leaf hash
 * matches), takes it as committed instead of writing it twice. What retrying cannot cure fails
 * closed for good: SQL that the server rejects as wrong (classes 22 and 42), a copied line whose
 * seq is not its place, and a log that another process has written as this node (found by the
 * read-back).
 *
 * Markers: a tick (queued by the checkpointer every interval) lets an idle log checkpoint what
 * arrived, or probe PostgreSQL when it has not been in touch for an interval on the deployment's
 * clock, so that an outage (and the return) is noticed while idle; a checkpoint request forces a
 * checkpoint; the final marker, queued at close, too, and its failure alone only costs the final
 * checkpoint.
 */

/** Makes batches of one node's records durable in PostgreSQL; GroupCommit's writer thread only. */
final class PgAuditWriter implements GroupCommit.Writer {
  private static final System.Logger LOG = System.getLogger(PgAuditWriter.class.getName());

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
      ), c AS (
        INSERT INTO audit_checkpoints (node_id, tree_size, note)
        SELECT $1, * FROM unnest($14::bigint[], $15::text[])
        ON CONFLICT (node_id, tree_size) DO NOTHING
      ), k AS (
        INSERT INTO audit_claims (claim, node_id, seq)
        SELECT claim, $1, seq FROM unnest($16::text[], $17::bigint[]) AS x(claim, seq)
        ON CONFLICT (claim) DO NOTHING
      )
      SELECT 1""";
  // Ed25519 signatures are deterministic (RFC 8032), so a checkpoint whose answer was lost and is
  // written again is the same note: ON CONFLICT keeps one. A record's claim (data.claim, see
  // V2_1__audit_claims.sql) is kept once too: a second record of one claim is kept out by
  // PgAuditLog#recorded before it enters the log, and the row says which record holds the claim.

  /** The checkpointer's marker: checkpoint what arrived when due, else probe when idle. */
  static final Object TICK = new Object() {
    @Override
    public String toString() {
      return "tick";
    }
  };

  /** Queued at close: a final checkpoint. */
  static final Object FINAL = new Object() {
    @Override
    public String toString() {
      return "final checkpoint";
    }
  };

  /** A checkpoint covering everything before it; answered with the latest note. */
  record CheckpointRequest(CompletableFuture<String> answer) {}

  private final AuditDatabase db;
  private final AuditDatabase.Node node;
  private final PgHashStore store;
  private final PgCheckpointer checkpoints;
  private final Clock clock;
  private final long intervalMs;
  private volatile PgAuditLog.CommitListener commitListener = PgAuditLog.CommitListener.NONE;

  private MerkleTree tree;
  private long lastContactMs;
  private boolean retrying; // the last attempt failed: read back before writing again
  private Checkpointer.Signed committedCheckpoint; // published by durable()

  PgAuditWriter(AuditDatabase db, AuditDatabase.Node node, PgHashStore store, PgCheckpointer checkpoints, Clock clock,
      java.time.Duration interval) {
    this.db = db;
    this.node = node;
    this.store = store;
    this.checkpoints = checkpoints;
    this.clock = clock;
    this.intervalMs = interval.toMillis();
  }

  /** What open found: the log's size and the time of its last record ({@code Long.MIN_VALUE}: none). */
  record Opened(long size, long lastTimeMs) {}

  /**
   * Builds the tree over the committed state and checks, before anything is signed, that the
   * stored last record still hashes to its stored leaf hash and that the tree's root at the last
   * checkpoint's size is the signed root; either failing means the log was changed.
   */
  Opened open(NoteVerifier verifier) throws IOException {
    try {
      tree = MerkleTree.open(store);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    if (!store.pendingInterior().hashes().isEmpty()) {
      writeRepairedTree(); // interior nodes that were missing, recomputed by open
    }
    long size = tree.size();
    long lastTimeMs = Long.MIN_VALUE;
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
        signed = Checkpoint.parse(verifier.verify(cp.get().note()).textOrThrow());
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
      checkpoints.opened(cp.get().note(), signed.treeSize());
    }
    lastContactMs = clock.millis();
    return new Opened(size, lastTimeMs);
  }

  private void writeRepairedTree() throws IOException {
    PgHashStore.Rows rows = store.pendingInterior();
    db.await(db.pool().preparedQuery(INSERT_BATCH).execute(batchTuple(new Long[0], new Long[0], new String[0],
        new String[0], List.of(), rows, List.of(), new Long[0], null, NO_CLAIMS)), "writing repaired tree nodes of node "
        + node.name());
    store.commit();
  }

  void commitListener(PgAuditLog.CommitListener l) {
    this.commitListener = l;
  }

  // ---------------------------------------------------------------- GroupCommit.Writer

  @Override
  public void write(List<GroupCommit.Entry> batch) throws IOException {
    try {
      if (retrying && committedMeanwhile(batch)) {
        retrying = false;
        return;
      }
      commitOnce(batch);
      retrying = false;
    } catch (IOException e) {
      for (GroupCommit.Entry p : batch) {
        if (p.marker() instanceof CheckpointRequest r) r.answer().completeExceptionally(e);
      }
      if (recordCount(batch) == 0 && isFinalOnly(batch)) {
        LOG.log(System.Logger.Level.WARNING, "no final checkpoint for node " + node.name() + ": " + e.getMessage());
        return; // nothing but the final checkpoint was at stake
      }
      retrying = true;
      throw e;
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "PostgreSQL audit log of node " + node.name() + " failed closed: " + e, e);
      throw e;
    }
  }

  @Override
  public void durable(List<GroupCommit.Entry> batch) {
    Checkpointer.Signed cp = committedCheckpoint;
    committedCheckpoint = null;
    if (cp != null) checkpoints.committed(cp);
    for (GroupCommit.Entry p : batch) {
      if (p.marker() instanceof CheckpointRequest r) {
        String note = checkpoints.latestNote();
        if (note != null) r.answer().complete(note);
        else r.answer().completeExceptionally(new IllegalStateException("the log of node " + node.name() + " is empty"));
      }
    }
  }

  private static int recordCount(List<GroupCommit.Entry> batch) {
    int n = 0;
    for (GroupCommit.Entry p : batch) n += p.size();
    return n;
  }

  private static boolean isFinalOnly(List<GroupCommit.Entry> batch) {
    for (GroupCommit.Entry p : batch) {
      if (p.marker() != FINAL) return false;
    }
    return true;
  }

  private static boolean asksForCheckpoint(List<GroupCommit.Entry> batch) {
    for (GroupCommit.Entry p : batch) {
      if (p.marker() == FINAL || p.marker() instanceof CheckpointRequest) return true;
    }
    return false;
  }

  private void commitOnce(List<GroupCommit.Entry> batch) throws IOException {
    long firstSeq = batch.get(0).firstSeq();
    int records = recordCount(batch);
    Long[] seqs = new Long[records];
    Long[] times = new Long[records];
    String[] sessions = new String[records];
    String[] lines = new String[records];
    List<Long> bindingSeqs = new ArrayList<>();
    List<TokenBinding> bindings = new ArrayList<>();
    Claims claims = new Claims(new ArrayList<>(), new ArrayList<>());
    int i = 0;
    for (GroupCommit.Entry p : batch) {
      for (int j = 0; j < p.size(); j++, i++) {
        byte[] line = p.line(j);
        long seq = p.firstSeq() + j;
        seqs[i] = seq;
        if (p.copied()) {
          Map<String, Object> m = Json.parseObject(new String(line, StandardCharsets.UTF_8));
          if (!(m.get("seq") instanceof Long s) || s.longValue() != seq) {
            throw new IllegalStateException("copied line has seq " + m.get("seq") + ", expected " + seq);
          }
          times[i] = Times.parse((String) m.get("time"));
          sessions[i] = m.get("session_id") instanceof String id ? id : null;
          if (m.get("data") instanceof Map<?, ?> data) claims.add(data.get("claim"), seq);
        } else {
          times[i] = p.timeMs(j);
          sessions[i] = p.records().get(j).sessionId();
          claims.add(p.records().get(j).data().get("claim"), seq);
        }
        lines[i] = new String(line, StandardCharsets.UTF_8);
        tree.appendLeafHash(MerkleTree.leafHash(line));
      }
      for (TokenBinding b : p.bindings()) {
        bindingSeqs.add(p.firstSeq());
        bindings.add(b);
      }
    }
    if (store.pendingLeaves().size() != records) {
      throw new IllegalStateException("tree has " + store.pendingLeaves().size() + " pending leaves for " + records + " records");
    }
    Checkpointer.Signed cp = checkpoints.due(tree.size(), asksForCheckpoint(batch)) ? checkpoints.sign(tree) : null;
    if (records == 0 && cp == null) {
      if (clock.millis() - lastContactMs >= intervalMs) probe();
      return;
    }
    Tuple args = batchTuple(seqs, times, sessions, lines, store.pendingLeaves(), store.pendingInterior(), bindings,
        bindingSeqs.toArray(new Long[0]), cp, claims);
    long t0 = System.nanoTime();
    try {
      db.await(db.pool().preparedQuery(INSERT_BATCH).execute(args), records == 0 ? "writing a checkpoint of node "
          + node.name() : "committing records " + firstSeq + ".." + (firstSeq + records - 1) + " of node " + node.name());
    } catch (IOException e) {
      rollBackTree();
      throw classify(e);
    }
    store.commit();
    committed(cp, records, System.nanoTime() - t0);
  }

  private void committed(Checkpointer.Signed cp, int records, long nanos) {
    lastContactMs = clock.millis();
    committedCheckpoint = cp;
    if (records > 0) commitListener.committed(nanos, records);
  }

  private void probe() throws IOException {
    db.await(db.pool().query("SELECT 1").execute(), "probing");
    lastContactMs = clock.millis();
  }

  private Tuple batchTuple(Long[] seqs, Long[] times, String[] sessions, String[] lines, List<byte[]> leaves,
      PgHashStore.Rows interior, List<TokenBinding> bindings, Long[] bindingSeqs, Checkpointer.Signed cp, Claims claims) {
    String[] bindingSessions = new String[bindings.size()];
    Buffer[] bindingTokens = new Buffer[bindings.size()];
    Long[] bindingIssued = new Long[bindings.size()];
    for (int i = 0; i < bindingSessions.length; i++) {
      TokenBinding b = bindings.get(i);
      bindingSessions[i] = b.sessionId();
      bindingTokens[i] = Buffer.buffer(b.tokenHash().toBytes());
      bindingIssued[i] = b.issuedAtMs();
    }
    Long[] cpSizes = cp == null ? new Long[0] : new Long[] {cp.treeSize()};
    String[] cpNotes = cp == null ? new String[0] : new String[] {cp.note()};
    return Tuple.tuple(List.of(node.id(), seqs, times, sessions, lines, AuditDatabase.buffers(leaves),
        interior.levels(), interior.indexes(), AuditDatabase.buffers(interior.hashes()),
        bindingSeqs, bindingSessions, bindingTokens, bindingIssued, cpSizes, cpNotes,
        claims.claims().toArray(new String[0]), claims.seqs().toArray(new Long[0])));
  }

  private static final Claims NO_CLAIMS = new Claims(List.of(), List.of());

  /** The claims of a batch's records ({@code data.claim}) and the seq of the record holding each. */
  private record Claims(List<String> claims, List<Long> seqs) {
    void add(Object claim, long seq) {
      if (claim instanceof String c) {
        claims.add(c);
        seqs.add(seq);
      }
    }
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
  private IOException classify(IOException e) {
    if (e.getCause() instanceof PgException pg && pg.getSqlState() != null
        && (pg.getSqlState().startsWith("22") || pg.getSqlState().startsWith("42"))) {
      throw new IllegalStateException("PostgreSQL refused the audit records of node " + node.name() + ": "
          + pg.getMessage(), pg);
    }
    return e;
  }

  /**
   * After a failed attempt: whether the batch is in the database all the same (the answer was
   * lost, the commit happened), in which case the tree takes its leaves as committed. Throws to
   * fail closed if the database holds something else: another process writes as this node.
   */
  private boolean committedMeanwhile(List<GroupCommit.Entry> batch) throws IOException {
    long firstSeq = batch.get(0).firstSeq();
    GroupCommit.Entry last = batch.get(batch.size() - 1);
    long end = last.endSeq();
    if (end == firstSeq) return false; // no records: nothing to find
    long stored = db.size(node.id());
    if (stored == firstSeq) return false;
    AuditDatabase.StoredLeaf tail = stored == end ? db.leaf(node.id(), end - 1).orElse(null) : null;
    GroupCommit.Entry lastWithRecords = null;
    for (GroupCommit.Entry p : batch) {
      if (p.size() > 0) lastWithRecords = p;
    }
    if (tail != null && Arrays.equals(tail.leafHash(),
        MerkleTree.leafHash(lastWithRecords.line(lastWithRecords.size() - 1)))) {
      int records = 0;
      for (GroupCommit.Entry p : batch) {
        for (int j = 0; j < p.size(); j++) tree.appendLeafHash(MerkleTree.leafHash(p.line(j)));
        records += p.size();
      }
      store.commit();
      committed(null, records, 0);
      // a checkpoint signed for the lost commit was in its transaction: written again (the same
      // note, kept once) so that it is known to have been
      Checkpointer.Signed cp = checkpoints.due(tree.size(), asksForCheckpoint(batch)) ? checkpoints.sign(tree) : null;
      if (cp != null) {
        try {
          db.await(db.pool().preparedQuery(INSERT_BATCH).execute(batchTuple(new Long[0], new Long[0], new String[0],
              new String[0], List.of(), store.pendingInterior(), List.of(), new Long[0], cp, NO_CLAIMS)),
              "writing a checkpoint of node " + node.name());
          committedCheckpoint = cp;
        } catch (IOException e) { // the records are committed: only the checkpoint waits for the next tick
          for (GroupCommit.Entry p : batch) {
            if (p.marker() instanceof CheckpointRequest r) r.answer().completeExceptionally(e);
          }
        }
      }
      LOG.log(System.Logger.Level.INFO, "records " + firstSeq + ".." + (end - 1) + " of node " + node.name()
          + " were committed although the answer was lost");
      return true;
    }
    throw new IllegalStateException("the PostgreSQL audit log of node " + node.name() + " holds " + stored
        + " records where this server expected " + firstSeq + " or " + end
        + ": another process writes as this node; stopping to write");
  }
}

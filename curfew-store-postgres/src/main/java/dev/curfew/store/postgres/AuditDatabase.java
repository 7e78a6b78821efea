package dev.curfew.store.postgres;

import dev.curfew.core.audit.CheckpointLine;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The audit database: a connection pool and the reads every part needs (the writer at open, the
 * proofs, {@code curfew audit}). Every method here blocks the calling thread until PostgreSQL
 * answers (at most {@link #QUERY_TIMEOUT}), so call them off Vert.x event loops; failures are
 * {@link IOException}s that say what could not be read.
 */
public final class AuditDatabase implements AutoCloseable {
  /** Longest wait for one statement's answer. */
  public static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);
  /** Rows fetched per page when streaming records. */
  static final int PAGE_ROWS = 2_000;

  private final Vertx vertx;
  private final boolean ownsVertx;
  private final Pool pool;
  private final PgConfig config;

  /** A node of the audit store: its id, its name (the records' {@code node}) and its verifier key. */
  public record Node(int id, String name, String publicKey) {}

  /** One record row: which node wrote it, its seq, and its line. */
  public record RecordRow(int nodeId, long seq, String line) {}

  private AuditDatabase(Vertx vertx, boolean ownsVertx, Pool pool, PgConfig config) {
    this.vertx = vertx;
    this.ownsVertx = ownsVertx;
    this.pool = pool;
    this.config = config;
  }

  /**
   * A pool of at most {@code maxConnections} connections to {@code config}, on {@code vertx} (null:
   * a Vert.x instance of its own, closed with this). Connections are made when first needed, so
   * this succeeds while the server is down.
   */
  public static AuditDatabase connect(Vertx vertx, PgConfig config, int maxConnections) {
    Objects.requireNonNull(config, "config");
    if (maxConnections < 1) throw new IllegalArgumentException("maxConnections < 1: " + maxConnections);
    boolean own = vertx == null;
    Vertx v = own ? Vertx.vertx() : vertx;
    Pool pool = PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(maxConnections).setName("curfew-audit-" + System.identityHashCode(config))
            .setConnectionTimeout(10).setConnectionTimeoutUnit(TimeUnit.SECONDS)
            .setMaxWaitQueueSize(1_000))
        .with(config.netOptions())
        .connectingTo(config.connectOptions())
        .using(v)
        .build();
    return new AuditDatabase(v, own, pool, config);
  }

  public Pool pool() {
    return pool;
  }

  public PgConfig config() {
    return config;
  }

  /** Waits for {@code f}; its failure becomes an IOException naming {@code what}. */
  <T> T await(Future<T> f, String what) throws IOException {
    try {
      return f.toCompletionStage().toCompletableFuture().get(QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while " + what, e);
    } catch (ExecutionException e) {
      throw new IOException("PostgreSQL at " + config.host() + ":" + config.port() + " failed " + what + ": "
          + e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("PostgreSQL at " + config.host() + ":" + config.port() + " did not answer within "
          + QUERY_TIMEOUT.toSeconds() + " s " + what, e);
    }
  }

  private RowSet<Row> query(String sql, Tuple args, String what) throws IOException {
    return await(pool.preparedQuery(sql).execute(args), what);
  }

  // ---------------------------------------------------------------- nodes

  /** Every node, by id. */
  public List<Node> nodes() throws IOException {
    List<Node> out = new ArrayList<>();
    for (Row r : query("SELECT node_id, name, public_key FROM audit_nodes ORDER BY node_id", Tuple.tuple(),
        "listing the audit nodes")) {
      out.add(new Node(r.getInteger(0), r.getString(1), r.getString(2)));
    }
    return out;
  }

  public Optional<Node> node(String name) throws IOException {
    for (Row r : query("SELECT node_id, name, public_key FROM audit_nodes WHERE name = $1", Tuple.of(name),
        "reading audit node " + name)) {
      return Optional.of(new Node(r.getInteger(0), r.getString(1), r.getString(2)));
    }
    return Optional.empty();
  }

  /**
   * The node named {@code name}, registered with {@code publicKey} if it is new.
   *
   * @throws IllegalStateException if the node is registered with another key: its checkpoints
   *     would not verify under the key a verifier finds
   */
  public Node register(String name, String publicKey) throws IOException {
    query("INSERT INTO audit_nodes (name, public_key) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        Tuple.of(name, publicKey), "registering audit node " + name);
    Node n = node(name).orElseThrow(() -> new IOException("audit node " + name + " vanished after registration"));
    if (!n.publicKey().equals(publicKey)) {
      throw new IllegalStateException("audit node " + name + " is registered in PostgreSQL with the verifier key "
          + n.publicKey() + ", but this server signs with " + publicKey
          + ": start it with the node's own signing key, or give it another node name");
    }
    return n;
  }

  // ---------------------------------------------------------------- records

  /** Records of the node: one more than the highest seq, 0 when there is none. */
  public long size(int nodeId) throws IOException {
    for (Row r : query("SELECT max(seq) FROM audit_records WHERE node_id = $1", Tuple.of(nodeId),
        "reading the size of node " + nodeId + "'s log")) {
      Long max = r.getLong(0);
      return max == null ? 0 : max + 1;
    }
    return 0;
  }

  /** The line and leaf hash stored at {@code seq}, or empty. */
  public Optional<StoredLeaf> leaf(int nodeId, long seq) throws IOException {
    for (Row r : query("SELECT line, leaf_hash FROM audit_records WHERE node_id = $1 AND seq = $2",
        Tuple.of(nodeId, seq), "reading record " + seq + " of node " + nodeId)) {
      return Optional.of(new StoredLeaf(r.getString(0), r.getBuffer(1).getBytes()));
    }
    return Optional.empty();
  }

  /** A record's line and the leaf hash computed when it was written. */
  public record StoredLeaf(String line, byte[] leafHash) {}

  /** Called with each record, in seq order; returns false to stop. */
  @FunctionalInterface
  public interface RowVisitor {
    boolean visit(long seq, String line, byte[] storedLeafHash) throws IOException;
  }

  /**
   * Calls {@code visitor} with the node's rows whose seq is in {@code [fromSeq, toSeq)}, in seq
   * order, until it returns false. Rows are what the table holds: a missing or moved row shows as
   * a gap or a disorder in the lines' own seq, which verification reports.
   *
   * <p>Pages are windows of {@link #PAGE_ROWS} consecutive seq values, not {@code LIMIT}s: a
   * window bounds the rows a page reads whatever plan the server picks (on a table whose
   * statistics are not yet gathered, a {@code LIMIT} page can be planned as a scan and sort of
   * every row after it, which made a full scan quadratic). An empty window (a gap) is skipped to
   * the next stored seq.
   */
  public void scan(int nodeId, long fromSeq, long toSeq, RowVisitor visitor) throws IOException {
    long next = fromSeq;
    Future<RowSet<Row>> pending = next < toSeq ? window(nodeId, next, toSeq) : null;
    while (pending != null) {
      RowSet<Row> page = await(pending, "reading the records of node " + nodeId + " from seq " + next);
      next = windowEnd(next, toSeq);
      // the next window is read while this one is visited: the database and the visitor overlap
      pending = page.size() > 0 && next < toSeq ? window(nodeId, next, toSeq) : null;
      for (Row r : page) {
        if (!visitor.visit(r.getLong(0), r.getString(1), r.getBuffer(2).getBytes())) return;
      }
      if (page.size() == 0 && next < toSeq) { // a gap, or the end: on from the next stored seq, if any
        Long following = null;
        for (Row r : query("SELECT min(seq) FROM audit_records WHERE node_id = $1 AND seq >= $2",
            Tuple.of(nodeId, next), "reading the records of node " + nodeId + " from seq " + next)) {
          following = r.getLong(0);
        }
        if (following == null || following >= toSeq) return;
        next = following;
        pending = window(nodeId, next, toSeq);
      }
    }
  }

  private static long windowEnd(long from, long toSeq) {
    return toSeq - from > PAGE_ROWS ? from + PAGE_ROWS : toSeq;
  }

  private Future<RowSet<Row>> window(int nodeId, long from, long toSeq) {
    return pool.preparedQuery("SELECT seq, line, leaf_hash FROM audit_records WHERE node_id = $1 AND seq >= $2"
        + " AND seq < $3 ORDER BY seq").execute(Tuple.of(nodeId, from, windowEnd(from, toSeq)));
  }

  /** Every record of {@code sessionId}, by node then seq; only on {@code nodeId} unless it is null. */
  public List<RecordRow> sessionRecords(String sessionId, Integer nodeId) throws IOException {
    RowSet<Row> rows = nodeId == null
        ? query("SELECT node_id, seq, line FROM audit_records WHERE session_id = $1 ORDER BY node_id, seq",
            Tuple.of(sessionId), "finding the records of session " + sessionId)
        : query("SELECT node_id, seq, line FROM audit_records WHERE session_id = $1 AND node_id = $2 ORDER BY seq",
            Tuple.of(sessionId, nodeId), "finding the records of session " + sessionId);
    List<RecordRow> out = new ArrayList<>(rows.size());
    for (Row r : rows) out.add(new RecordRow(r.getInteger(0), r.getLong(1), r.getString(2)));
    return out;
  }

  // ---------------------------------------------------------------- tree

  /**
   * Stored hashes of tree level {@code level} from {@code fromIdx}, at most {@code count}, in index
   * order: level 0 is the records' leaf hashes, higher stored levels are in audit_tree.
   */
  public List<byte[]> hashes(int nodeId, int level, long fromIdx, int count) throws IOException {
    RowSet<Row> rows = level == 0
        ? query("SELECT leaf_hash FROM audit_records WHERE node_id = $1 AND seq >= $2 AND seq < $3 ORDER BY seq",
            Tuple.of(nodeId, fromIdx, fromIdx + count), "reading leaf hashes of node " + nodeId)
        : query("SELECT hash FROM audit_tree WHERE node_id = $1 AND level = $2 AND idx >= $3 AND idx < $4 ORDER BY idx",
            Tuple.of(nodeId, (short) level, fromIdx, fromIdx + count), "reading tree level " + level + " of node " + nodeId);
    List<byte[]> out = new ArrayList<>(rows.size());
    for (Row r : rows) out.add(r.getBuffer(0).getBytes());
    return out;
  }

  /** How many nodes level {@code level} (>= 1) of the node's tree stores. */
  public long treeLevelSize(int nodeId, int level) throws IOException {
    for (Row r : query("SELECT max(idx) FROM audit_tree WHERE node_id = $1 AND level = $2",
        Tuple.of(nodeId, (short) level), "reading tree level " + level + " of node " + nodeId)) {
      Long max = r.getLong(0);
      return max == null ? 0 : max + 1;
    }
    return 0;
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * The note of a checkpoint as read: the stored note with the witness cosignature lines added to
   * it since (audit_cosignatures), in the order they were added.
   */
  private static final String NOTE_WITH_COSIGNATURES = "c.note || coalesce((SELECT string_agg(w.line || E'\\n', ''"
      + " ORDER BY w.added_at, w.line) FROM audit_cosignatures w WHERE w.node_id = c.node_id AND w.tree_size = c.tree_size), '')";

  /** The node's checkpoints in tree-size order, those of size at most {@code maxTreeSize}, with their cosignatures. */
  public List<CheckpointLine> checkpoints(int nodeId, long maxTreeSize) throws IOException {
    List<CheckpointLine> out = new ArrayList<>();
    for (Row r : query("SELECT c.tree_size, " + NOTE_WITH_COSIGNATURES + " FROM audit_checkpoints c"
        + " WHERE c.node_id = $1 AND c.tree_size <= $2 ORDER BY c.tree_size", Tuple.of(nodeId, maxTreeSize),
        "reading the checkpoints of node " + nodeId)) {
      out.add(new CheckpointLine(r.getLong(0), r.getString(1)));
    }
    return out;
  }

  /** The node's checkpoint of the largest tree size, with its cosignatures, or empty. */
  public Optional<CheckpointLine> latestCheckpoint(int nodeId) throws IOException {
    for (Row r : query("SELECT c.tree_size, " + NOTE_WITH_COSIGNATURES + " FROM audit_checkpoints c"
        + " WHERE c.node_id = $1 ORDER BY c.tree_size DESC LIMIT 1",
        Tuple.of(nodeId), "reading the latest checkpoint of node " + nodeId)) {
      return Optional.of(new CheckpointLine(r.getLong(0), r.getString(1)));
    }
    return Optional.empty();
  }

  /**
   * Adds witness cosignature lines (each without its newline) to the node's checkpoint of {@code
   * treeSize}; a line already there is kept once.
   */
  public void addCosignatures(int nodeId, long treeSize, List<String> lines) throws IOException {
    for (String line : lines) {
      await(pool.preparedQuery("INSERT INTO audit_cosignatures (node_id, tree_size, line) VALUES ($1, $2, $3)"
          + " ON CONFLICT DO NOTHING").execute(Tuple.of(nodeId, treeSize, line)),
          "adding a witness cosignature to checkpoint " + treeSize + " of node " + nodeId);
    }
  }

  // ---------------------------------------------------------------- token bindings

  /** One token binding as stored. */
  public record Binding(String sessionId, byte[] tokenSha256, long issuedAtMs) {}

  /** Every token binding the node wrote, in append order. */
  public List<Binding> bindings(int nodeId) throws IOException {
    List<Binding> out = new ArrayList<>();
    for (Row r : query("SELECT session_id, token_sha256, issued_at_ms FROM audit_token_bindings WHERE node_id = $1"
        + " ORDER BY seq, issued_at_ms", Tuple.of(nodeId), "reading the token bindings of node " + nodeId)) {
      out.add(new Binding(r.getString(0), r.getBuffer(1).getBytes(), r.getLong(2)));
    }
    return out;
  }

  static Buffer[] buffers(List<byte[]> hashes) {
    Buffer[] out = new Buffer[hashes.size()];
    for (int i = 0; i < out.length; i++) out[i] = Buffer.buffer(hashes.get(i));
    return out;
  }

  @Override
  public void close() {
    try {
      pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway
    }
    if (ownsVertx) {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // closing anyway
      }
    }
  }
}

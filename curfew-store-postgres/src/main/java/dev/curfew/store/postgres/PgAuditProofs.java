package dev.curfew.store.postgres;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteVerifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one node's PostgreSQL audit log proves (the {@link AuditProofs} the API serves): its latest
 * checkpoint, evidence bundles of its sessions, and consistency proofs of its tree. Proofs are
 * computed over {@link PgTreeView}s of committed rows, so they never wait for the writer (except
 * for a checkpoint that evidence needs). Methods block on PostgreSQL.
 */
public final class PgAuditProofs implements AuditProofs {
  private final PgAuditLog log;

  public PgAuditProofs(PgAuditLog log) {
    this.log = Objects.requireNonNull(log, "log");
  }

  @Override
  public Optional<String> latestCheckpoint() {
    return log.latestCheckpoint();
  }

  /**
   * How long {@link #evidence} waits for another node to sign a checkpoint over the session's
   * records in its tree: a running node signs one at least every second while records arrive.
   */
  static final java.time.Duration OTHER_NODE_CHECKPOINT_WAIT = java.time.Duration.ofSeconds(5);

  /**
   * The session's evidence from every node tree its records are in: this node's records proven
   * against a checkpoint signed now if the latest does not cover them, another node's against that
   * node's latest checkpoint (waiting up to {@link #OTHER_NODE_CHECKPOINT_WAIT} for one that covers
   * them; records after it are left out). Records of one tree give today's bundle of one tree;
   * several trees give {@code {"trees": [...]}} ({@link EvidenceBundle#toJson(List)}), this node's
   * tree first if it holds any, then by node name.
   */
  @Override
  public Optional<String> evidence(String sessionId) throws IOException {
    Objects.requireNonNull(sessionId, "sessionId");
    AuditDatabase db = log.database();
    int self = log.node().id();
    List<AuditDatabase.RecordRow> rows = db.sessionRecords(sessionId, null);
    java.util.Map<Integer, List<AuditDatabase.RecordRow>> byNode = new java.util.TreeMap<>();
    for (AuditDatabase.RecordRow r : rows) byNode.computeIfAbsent(r.nodeId(), k -> new ArrayList<>()).add(r);
    List<EvidenceBundle> trees = new ArrayList<>();
    if (byNode.containsKey(self)) own(byNode.remove(self)).ifPresent(trees::add);
    if (!byNode.isEmpty()) {
      List<AuditDatabase.Node> others = db.nodes().stream().filter(n -> byNode.containsKey(n.id()))
          .sorted(java.util.Comparator.comparing(AuditDatabase.Node::name)).toList();
      for (AuditDatabase.Node n : others) other(db, n, byNode.get(n.id())).ifPresent(trees::add);
    }
    return trees.isEmpty() ? Optional.empty() : Optional.of(EvidenceBundle.toJson(trees));
  }

  /** This node's records: proven against the latest checkpoint, or one signed now. */
  private Optional<EvidenceBundle> own(List<AuditDatabase.RecordRow> rows) throws IOException {
    long committed = log.size();
    List<EvidenceBundle.Leaf> leaves = new ArrayList<>(rows.size());
    for (AuditDatabase.RecordRow r : rows) {
      if (r.seq() < committed) leaves.add(new EvidenceBundle.Leaf(r.seq(), r.line().getBytes(StandardCharsets.UTF_8)));
    }
    if (leaves.isEmpty()) return Optional.empty();
    long needed = leaves.get(leaves.size() - 1).leafIndex() + 1;
    String note = log.lastCheckpointSize() >= needed ? log.latestCheckpoint().orElseThrow() : log.checkpointNow();
    return Optional.of(build(log.database(), log.node().id(), note, log.verifier(), leaves));
  }

  /** Another node's records, under its latest checkpoint (waiting a little for one that covers them all). */
  private static Optional<EvidenceBundle> other(AuditDatabase db, AuditDatabase.Node node,
      List<AuditDatabase.RecordRow> rows) throws IOException {
    long needed = rows.get(rows.size() - 1).seq() + 1;
    long deadline = System.nanoTime() + OTHER_NODE_CHECKPOINT_WAIT.toNanos();
    Optional<CheckpointLine> cp = db.latestCheckpoint(node.id());
    while (cp.map(CheckpointLine::treeSize).orElse(0L) < needed && System.nanoTime() < deadline) {
      try {
        Thread.sleep(100); // polling the database: the other node signs on its own schedule
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for node " + node.name() + "'s checkpoint", e);
      }
      cp = db.latestCheckpoint(node.id());
    }
    if (cp.isEmpty()) return Optional.empty();
    List<EvidenceBundle.Leaf> leaves = new ArrayList<>();
    for (AuditDatabase.RecordRow r : rows) {
      if (r.seq() < cp.get().treeSize()) leaves.add(new EvidenceBundle.Leaf(r.seq(), r.line().getBytes(StandardCharsets.UTF_8)));
    }
    if (leaves.isEmpty()) return Optional.empty();
    return Optional.of(build(db, node.id(), cp.get().note(), NoteVerifier.parse(node.publicKey()), leaves));
  }

  /** The bundle of {@code leaves} against {@code note}, with proofs from the node's stored tree. */
  static String bundle(AuditDatabase db, int nodeId, String note, NoteVerifier key, List<EvidenceBundle.Leaf> leaves)
      throws IOException {
    return build(db, nodeId, note, key, leaves).toJson();
  }

  private static EvidenceBundle build(AuditDatabase db, int nodeId, String note, NoteVerifier key,
      List<EvidenceBundle.Leaf> leaves) throws IOException {
    long size = Checkpoint.parse(key.verify(note).textOrThrow()).treeSize();
    try {
      MerkleTree view = PgTreeView.tree(db, nodeId, size);
      return EvidenceBundle.build(note, key, leaves, view);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  @Override
  public Optional<List<byte[]>> consistencyProof(long fromSize, long toSize) {
    if (fromSize < 1 || toSize < fromSize || toSize > log.size()) return Optional.empty();
    MerkleTree view = PgTreeView.tree(log.database(), log.node().id(), toSize);
    return Optional.of(view.consistencyProof(fromSize, toSize));
  }

  /**
   * An evidence bundle built from the database alone, with or without servers running (what
   * {@code curfew audit evidence --config} does): proven against the node's latest checkpoint, so
   * records after it are left out and counted.
   *
   * @param node the node whose tree the bundle is proven against
   * @param bundle the bundle JSON; empty when no record of the session is under the checkpoint
   * @param omittedRecords records of the session after the latest checkpoint
   */
  public record DatabaseEvidence(AuditDatabase.Node node, Optional<String> bundle, int omittedRecords) {}

  /**
   * The evidence of {@code sessionId} from {@code db}: from node {@code nodeName}, or from the one
   * node that holds the session's records when it is null.
   *
   * @throws IllegalArgumentException if no node holds the session, the named node does not exist,
   *     or several nodes hold records of it and none is named (a bundle proves against one tree)
   */
  public static DatabaseEvidence fromDatabase(AuditDatabase db, String sessionId, String nodeName) throws IOException {
    Objects.requireNonNull(sessionId, "sessionId");
    AuditDatabase.Node node;
    if (nodeName != null) {
      node = db.node(nodeName).orElseThrow(() -> new IllegalArgumentException("no audit node named " + nodeName));
    } else {
      List<AuditDatabase.RecordRow> all = db.sessionRecords(sessionId, null);
      List<Integer> ids = all.stream().map(AuditDatabase.RecordRow::nodeId).distinct().toList();
      if (ids.isEmpty()) throw new IllegalArgumentException("the audit log holds no record of session " + sessionId);
      List<AuditDatabase.Node> holders = db.nodes().stream().filter(n -> ids.contains(n.id())).toList();
      if (holders.size() > 1) {
        throw new IllegalArgumentException("records of session " + sessionId + " are in the logs of nodes "
            + holders.stream().map(AuditDatabase.Node::name).toList() + ": name one with --node (a bundle proves against one tree)");
      }
      node = holders.get(0);
    }
    NoteVerifier key = NoteVerifier.parse(node.publicKey());
    Optional<CheckpointLine> cp = db.latestCheckpoint(node.id());
    List<AuditDatabase.RecordRow> rows = db.sessionRecords(sessionId, node.id());
    if (cp.isEmpty()) return new DatabaseEvidence(node, Optional.empty(), rows.size());
    List<EvidenceBundle.Leaf> leaves = new ArrayList<>();
    for (AuditDatabase.RecordRow r : rows) {
      if (r.seq() < cp.get().treeSize()) leaves.add(new EvidenceBundle.Leaf(r.seq(), r.line().getBytes(StandardCharsets.UTF_8)));
    }
    int omitted = rows.size() - leaves.size();
    if (leaves.isEmpty()) return new DatabaseEvidence(node, Optional.empty(), omitted);
    return new DatabaseEvidence(node, Optional.of(bundle(db, node.id(), cp.get().note(), key, leaves)), omitted);
  }

  /**
   * The evidence of a session from every node tree of {@code db} its records are in, as {@code
   * curfew audit evidence --config} without {@code --node} gives it: each tree's records under that
   * node's latest checkpoint.
   *
   * @param bundle one tree's bundle, or {@code {"trees": [...]}} by node name; empty when no record
   *     of the session is under a checkpoint
   * @param omittedRecords per node name, records of the session after that node's latest checkpoint
   */
  public record AllTreesEvidence(Optional<String> bundle, java.util.Map<String, Integer> omittedRecords) {}

  /**
   * The evidence of {@code sessionId} from all trees of {@code db}.
   *
   * @throws IllegalArgumentException if no node holds a record of the session
   */
  public static AllTreesEvidence fromDatabase(AuditDatabase db, String sessionId) throws IOException {
    Objects.requireNonNull(sessionId, "sessionId");
    List<AuditDatabase.RecordRow> all = db.sessionRecords(sessionId, null);
    if (all.isEmpty()) throw new IllegalArgumentException("the audit log holds no record of session " + sessionId);
    List<EvidenceBundle> trees = new ArrayList<>();
    java.util.Map<String, Integer> omitted = new java.util.TreeMap<>();
    List<AuditDatabase.Node> nodes = db.nodes().stream()
        .sorted(java.util.Comparator.comparing(AuditDatabase.Node::name)).toList();
    for (AuditDatabase.Node node : nodes) {
      List<AuditDatabase.RecordRow> rows = all.stream().filter(r -> r.nodeId() == node.id()).toList();
      if (rows.isEmpty()) continue;
      Optional<CheckpointLine> cp = db.latestCheckpoint(node.id());
      long size = cp.map(CheckpointLine::treeSize).orElse(0L);
      List<EvidenceBundle.Leaf> leaves = new ArrayList<>();
      for (AuditDatabase.RecordRow r : rows) {
        if (r.seq() < size) leaves.add(new EvidenceBundle.Leaf(r.seq(), r.line().getBytes(StandardCharsets.UTF_8)));
      }
      if (rows.size() > leaves.size()) omitted.put(node.name(), rows.size() - leaves.size());
      if (!leaves.isEmpty()) {
        trees.add(build(db, node.id(), cp.get().note(), NoteVerifier.parse(node.publicKey()), leaves));
      }
    }
    return new AllTreesEvidence(trees.isEmpty() ? Optional.empty() : Optional.of(EvidenceBundle.toJson(trees)), omitted);
  }

  /** The latest checkpoint line of the node, as stored (for tools that need the size too). */
  public Optional<CheckpointLine> latestCheckpointLine() throws IOException {
    return log.database().latestCheckpoint(log.node().id());
  }
}

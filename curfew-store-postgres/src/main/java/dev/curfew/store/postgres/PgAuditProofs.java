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

  @Override
  public Optional<String> evidence(String sessionId) throws IOException {
    Objects.requireNonNull(sessionId, "sessionId");
    AuditDatabase db = log.database();
    List<AuditDatabase.RecordRow> rows = db.sessionRecords(sessionId, log.node().id());
    long committed = log.size();
    List<EvidenceBundle.Leaf> leaves = new ArrayList<>(rows.size());
    for (AuditDatabase.RecordRow r : rows) {
      if (r.seq() < committed) leaves.add(new EvidenceBundle.Leaf(r.seq(), r.line().getBytes(StandardCharsets.UTF_8)));
    }
    if (leaves.isEmpty()) return Optional.empty();
    long needed = leaves.get(leaves.size() - 1).leafIndex() + 1;
    String note = log.lastCheckpointSize() >= needed ? log.latestCheckpoint().orElseThrow() : log.checkpointNow();
    return Optional.of(bundle(db, log.node().id(), note, log.verifier(), leaves));
  }

  /** The bundle of {@code leaves} against {@code note}, with proofs from the node's stored tree. */
  static String bundle(AuditDatabase db, int nodeId, String note, NoteVerifier key, List<EvidenceBundle.Leaf> leaves)
      throws IOException {
    long size = Checkpoint.parse(key.verify(note).textOrThrow()).treeSize();
    try {
      MerkleTree view = PgTreeView.tree(db, nodeId, size);
      return EvidenceBundle.build(note, key, leaves, view).toJson();
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

  /** The latest checkpoint line of the node, as stored (for tools that need the size too). */
  public Optional<CheckpointLine> latestCheckpointLine() throws IOException {
    return log.database().latestCheckpoint(log.node().id());
  }
}

package dev.curfew.store.postgres;

import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.AuditVerifier;
import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.WitnessQuorum;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Runs {@link AuditVerifier} over every node's log in PostgreSQL: each node's records in seq
 * order against its own checkpoints and its own key, what {@code curfew audit verify --config}
 * does. Reads only; servers may be writing (the checkpoints are read before the records, so
 * every checkpoint read commits only to records already there).
 *
 * <p>Keys: a node's checkpoints are checked with the trusted key of the same name and key id as
 * the key it registered (or else of the same name) when trusted keys are given (a node without
 * one fails), otherwise with the key registered in audit_nodes,
 * which proves the log consistent but not who signed it. A trusted checkpoint applies to the node
 * whose key name is its origin.
 */
public final class PgAuditVerifier {
  private PgAuditVerifier() {}

  /**
   * One node's outcome.
   *
   * @param keyTrusted whether the key came from the trusted keys rather than the database
   * @param suspectSeq when the failure says a record may have been changed ({@link
   *     AuditVerification.Failure#changedBelow}): the first record in that range whose line no
   *     longer hashes to the leaf hash stored when it was written, else -1
   */
  public record NodeResult(AuditDatabase.Node node, NoteVerifier key, boolean keyTrusted,
      AuditVerification verification, long suspectSeq) {}

  /**
   * The outcome over all nodes.
   *
   * @param problems failures not tied to one node's records (a trusted checkpoint or key that
   *     matches no node, a node without a trusted key)
   */
  public record Result(List<NodeResult> nodes, List<String> problems) {
    public boolean ok() {
      return problems.isEmpty() && nodes.stream().allMatch(n -> n.verification().ok());
    }
  }

  /**
   * Verifies every node of {@code db}.
   *
   * @param trustedKeys keys kept elsewhere, matched to nodes by key name; empty: the registered keys
   * @param trustedCheckpoints checkpoints kept elsewhere, matched to nodes by origin
   * @param progress told the records verified so far every {@code progressEvery}, or null
   */
  public static Result verify(AuditDatabase db, List<NoteVerifier> trustedKeys, List<String> trustedCheckpoints,
      long progressEvery, LongConsumer progress) throws IOException {
    return verify(db, trustedKeys, trustedCheckpoints, null, progressEvery, progress);
  }

  /**
   * As above, also requiring {@code witnesses} (null: none) on every node's latest checkpoint,
   * as for the files of a data directory (AuditVerifier.Builder#witnesses).
   */
  public static Result verify(AuditDatabase db, List<NoteVerifier> trustedKeys, List<String> trustedCheckpoints,
      WitnessQuorum witnesses, long progressEvery, LongConsumer progress) throws IOException {
    Objects.requireNonNull(trustedKeys, "trustedKeys");
    Objects.requireNonNull(trustedCheckpoints, "trustedCheckpoints");
    List<String> problems = new ArrayList<>();
    List<NodeResult> results = new ArrayList<>();
    List<AuditDatabase.Node> nodes = db.nodes();
    List<String> keyNames = new ArrayList<>();
    long[] verifiedBefore = {0};
    for (AuditDatabase.Node node : nodes) {
      NoteVerifier registered;
      try {
        registered = NoteVerifier.parse(node.publicKey());
      } catch (IllegalArgumentException e) {
        problems.add("node " + node.name() + ": its registered key is not a verifier key (" + e.getMessage() + ")");
        continue;
      }
      keyNames.add(registered.name());
      NoteVerifier key = registered;
      boolean trusted = false;
      if (!trustedKeys.isEmpty()) {
        key = trustedKey(trustedKeys, registered);
        if (key == null) {
          problems.add("node " + node.name() + ": none of the trusted keys is named " + registered.name());
          continue;
        }
        trusted = true;
      }
      String trustedNote = trustedCheckpoints.stream().filter(n -> n.startsWith(registered.name() + "\n"))
          .findFirst().orElse(null);
      LongConsumer nodeProgress = progress == null ? null : n -> progress.accept(verifiedBefore[0] + n);
      NodeResult r = verifyNode(db, node, key, trusted, trustedNote, witnesses, progressEvery, nodeProgress);
      verifiedBefore[0] += r.verification().records();
      results.add(r);
    }
    for (String note : trustedCheckpoints) {
      String origin = note.contains("\n") ? note.substring(0, note.indexOf('\n')) : note;
      if (!keyNames.contains(origin)) problems.add("the trusted checkpoint of origin \"" + origin + "\" matches no node");
    }
    for (NoteVerifier k : trustedKeys) {
      if (!keyNames.contains(k.name())) problems.add("the trusted key " + k.verifierKey() + " matches no node");
    }
    return new Result(results, problems);
  }

  /**
   * The trusted key of a node: the one with the name and key id of the key it registered (a signed
   * note names its key by both, and two keys may share a name); else the first of that name, so
   * that a registered key replaced in the database does not keep the trusted one from checking
   * the node's checkpoints; null when no trusted key has the name.
   */
  private static NoteVerifier trustedKey(List<NoteVerifier> trustedKeys, NoteVerifier registered) {
    NoteVerifier same = NoteVerifier.lookup(trustedKeys, registered.verifierKey());
    if (same != null) return same;
    return trustedKeys.stream().filter(k -> k.name().equals(registered.name())).findFirst().orElse(null);
  }

  /** Verifies one node's records against its checkpoints with {@code key}. */
  public static NodeResult verifyNode(AuditDatabase db, AuditDatabase.Node node, NoteVerifier key, boolean keyTrusted,
      String trustedCheckpoint, long progressEvery, LongConsumer progress) throws IOException {
    return verifyNode(db, node, key, keyTrusted, trustedCheckpoint, null, progressEvery, progress);
  }

  /** As above, also requiring {@code witnesses} (null: none) on the node's latest checkpoint. */
  public static NodeResult verifyNode(AuditDatabase db, AuditDatabase.Node node, NoteVerifier key, boolean keyTrusted,
      String trustedCheckpoint, WitnessQuorum witnesses, long progressEvery, LongConsumer progress) throws IOException {
    List<CheckpointLine> checkpoints = db.checkpoints(node.id(), Long.MAX_VALUE);
    List<String> lines = new ArrayList<>(checkpoints.size());
    for (CheckpointLine c : checkpoints) lines.add(c.toJson());
    AuditVerifier.Builder b = AuditVerifier.builder(key).checkpointLines(lines.iterator());
    if (trustedCheckpoint != null) b.trustedCheckpoint(trustedCheckpoint);
    if (progress != null) b.progress(progressEvery, progress);
    if (witnesses != null) b.witnesses(witnesses);
    AuditVerifier verifier = b.build();
    db.scan(node.id(), 0, Long.MAX_VALUE, (seq, line, hash) -> verifier.accept(line.getBytes(StandardCharsets.UTF_8)));
    AuditVerification v = verifier.finish();
    long suspect = -1;
    if (!v.ok() && v.failure().changedBelow() >= 0) {
      suspect = firstChangedLeaf(db, node.id(), v.failure().changedBelow());
    }
    return new NodeResult(node, key, keyTrusted, v, suspect);
  }

  /** The first seq below {@code end} whose line no longer hashes to its stored leaf hash, or -1. */
  static long firstChangedLeaf(AuditDatabase db, int nodeId, long end) throws IOException {
    long[] found = {-1};
    db.scan(nodeId, 0, end, (seq, line, stored) -> {
      if (!Arrays.equals(stored, MerkleTree.leafHash(line.getBytes(StandardCharsets.UTF_8)))) {
        found[0] = seq;
        return false;
      }
      return true;
    });
    return found[0];
  }
}

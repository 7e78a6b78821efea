package dev.curfew.store.embedded;

import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteVerifier;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Evidence bundles built from the audit files alone, with no server running on the directory
 * (what {@code curfew audit evidence} does; {@link AuditTrail#evidenceFromFiles}): proven against
 * the latest checkpoint in the file, with the tree in audit/tree/ for the proofs.
 */
final class OfflineEvidence {
  private OfflineEvidence() {}

  static AuditTrail.FileEvidence build(AuditFiles files, NoteVerifier key, String sessionId) throws IOException {
    String note = files.latestCheckpointNote();
    if (note == null) throw new IllegalStateException("no checkpoint in " + files.checkpointsFile() + " yet");
    long size = dev.curfew.core.audit.Checkpoint.parse(key.verify(note).textOrThrow()).treeSize();
    List<SessionIndex.Found> found;
    try (SessionIndex index = new SessionIndex(files)) {
      found = index.find(sessionId, Long.MAX_VALUE);
    }
    List<EvidenceBundle.Leaf> leaves = new ArrayList<>();
    for (SessionIndex.Found f : found) {
      if (f.seq() < size) leaves.add(new EvidenceBundle.Leaf(f.seq(), f.line()));
    }
    int omitted = found.size() - leaves.size();
    if (leaves.isEmpty()) return new AuditTrail.FileEvidence(Optional.empty(), omitted);
    requireNoServer(files);
    try (FileHashStore s = FileHashStore.open(files.treeDir())) {
      MerkleTree t = MerkleTree.open(s);
      if (t.size() < size) {
        throw new IllegalStateException("the tree in " + files.treeDir() + " has " + t.size()
            + " leaves, fewer than the checkpoint's " + size + "; start the server once to catch it up");
      }
      return new AuditTrail.FileEvidence(Optional.of(EvidenceBundle.build(note, key, leaves, t).toJson()), omitted);
    }
  }

  /** Refuses when another process (a running server) holds the tree's lock. */
  private static void requireNoServer(AuditFiles files) throws IOException {
    Path leaves = files.treeDir().resolve("level-0.bin");
    if (!Files.exists(leaves)) throw new IllegalStateException("no Merkle tree in " + files.treeDir());
    try (FileChannel ch = FileChannel.open(leaves, java.nio.file.StandardOpenOption.READ,
        java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.channels.FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new IllegalStateException("a server is running on " + files.dataDir()
            + ": ask it instead (GET /v1/audit/evidence?session_id=...)");
      }
      lock.release();
    }
  }
}

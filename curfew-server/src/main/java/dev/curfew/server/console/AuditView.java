package dev.curfew.server.console;

import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.store.embedded.AuditFileVerifier;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.AuditTrail;
import dev.curfew.store.embedded.EmbeddedStore;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * What the console shows of the audit trail and what its "verify now" runs. The embedded store's
 * is {@link #embedded}; another audit store provides its own.
 */
public interface AuditView {
  /** Records in the log. */
  long records();

  /** The latest signed checkpoint (a C2SP signed note); empty before the first. */
  Optional<String> latestCheckpoint();

  /** The key that verifies the checkpoints. */
  NoteVerifier verifier();

  /**
   * One session's records, canonical lines in seq order; with {@code audit: postgres}, those of
   * every node's tree, by time, then node, then seq. May block.
   */
  List<String> sessionRecords(String sessionId) throws IOException;

  /**
   * Verifies the whole log as {@code curfew audit verify} does, telling {@code progress} the
   * records checked so far now and then. Blocks for as long as it takes.
   */
  Verified verify(LongConsumer progress) throws IOException;

  /**
   * A verification's outcome.
   *
   * @param verification what the verifier found
   * @param suspectSeq when a checkpoint's root failed: the first record whose bytes changed, else -1
   */
  record Verified(AuditVerification verification, long suspectSeq) {}

  /** The embedded store's audit trail: files under its data directory, verified while the server runs. */
  static AuditView embedded(EmbeddedStore store) {
    Objects.requireNonNull(store, "store");
    AuditTrail trail = store.auditTrail();
    return new AuditView() {
      @Override
      public long records() {
        return store.log().size();
      }

      @Override
      public Optional<String> latestCheckpoint() {
        return trail.latestCheckpoint();
      }

      @Override
      public NoteVerifier verifier() {
        return trail.verifier();
      }

      @Override
      public List<String> sessionRecords(String sessionId) throws IOException {
        return trail.sessionRecords(sessionId);
      }

      @Override
      public Verified verify(LongConsumer progress) throws IOException {
        AuditFileVerifier.Result r = AuditFileVerifier.verify(AuditFiles.of(store.dataDir()), trail.verifier(), null,
            PROGRESS_EVERY_RECORDS, progress);
        return new Verified(r.verification(), r.suspectSeq());
      }
    };
  }

  /** How often a verification reports progress. */
  long PROGRESS_EVERY_RECORDS = 5_000;
}

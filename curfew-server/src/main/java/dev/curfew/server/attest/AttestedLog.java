package dev.curfew.server.attest;

import dev.curfew.store.embedded.ArchiveManifest;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.postgres.AuditDatabase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The one log an attestation is computed over and checked against: its latest signed checkpoint
 * and its records in seq order. The files of a data directory, or one node's log in the
 * PostgreSQL audit store; Attestation is the same for both.
 */
public interface AttestedLog {

  /** Sees record lines (without their line feed) in seq order. */
  @FunctionalInterface
  interface LineVisitor {
    void visit(byte[] line) throws IOException;
  }

  /** The latest checkpoint's signed note (with any witness cosignatures), or empty when there is none. */
  Optional<String> latestCheckpointNote() throws IOException;

  /** Calls {@code visitor} with each record from seq 0 up to {@code toSeq} (exclusive), or the end. */
  void forEachLine(long toSeq, LineVisitor visitor) throws IOException;

  /** Where the log is, for messages. */
  String where();

  /**
   * The files of a data directory (kept and archived segments, audit/checkpoints.jsonl). An
   * archived segment not at hand (moved elsewhere; give {@link AuditFiles#withArchiveDir}) fails the
   * read, naming its records: the figures need every record.
   */
  static AttestedLog files(AuditFiles files) {
    Objects.requireNonNull(files, "files");
    return new AttestedLog() {
      @Override
      public Optional<String> latestCheckpointNote() throws IOException {
        return Optional.ofNullable(files.latestCheckpointNote());
      }

      @Override
      public void forEachLine(long toSeq, LineVisitor visitor) throws IOException {
        List<ArchiveManifest.Entry> absent = ArchiveManifest.absent(files).stream().filter(e -> e.firstSeq() < toSeq).toList();
        if (!absent.isEmpty()) throw new IOException(ArchiveManifest.notAtHand(files, absent));
        files.forEachLine(0, toSeq, 1 << 20, (seq, first, offset, b, off, len) -> {
          visitor.visit(Arrays.copyOfRange(b, off, off + len));
          return true;
        });
      }

      @Override
      public String where() {
        return files.checkpointsFile().toString();
      }
    };
  }

  /** Node {@code node}'s log in the PostgreSQL audit store {@code db}. */
  static AttestedLog postgres(AuditDatabase db, AuditDatabase.Node node) {
    Objects.requireNonNull(db, "db");
    Objects.requireNonNull(node, "node");
    return new AttestedLog() {
      @Override
      public Optional<String> latestCheckpointNote() throws IOException {
        return db.latestCheckpoint(node.id()).map(dev.curfew.core.audit.CheckpointLine::note);
      }

      @Override
      public void forEachLine(long toSeq, LineVisitor visitor) throws IOException {
        db.scan(node.id(), 0, toSeq, (seq, line, hash) -> {
          visitor.visit(line.getBytes(StandardCharsets.UTF_8));
          return true;
        });
      }

      @Override
      public String where() {
        return "the log of node " + node.name() + " in PostgreSQL";
      }
    };
  }
}

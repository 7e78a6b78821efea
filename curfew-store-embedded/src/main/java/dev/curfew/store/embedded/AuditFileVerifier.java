package dev.curfew.store.embedded;

import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.AuditVerifier;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.WitnessQuorum;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Runs {@link AuditVerifier} over the audit files of a data directory, kept and archived segments
 * in seq order, with the checkpoints file: what {@code curfew audit verify} does. Reads only; a
 * server may be running on the directory (see {@link #verify} for what is read then).
 */
public final class AuditFileVerifier {

  /**
   * The outcome.
   *
   * @param verification what the verifier found
   * @param incompleteTailBytes bytes after the last line feed of the last segment, not verified
   *     (a write in progress, or a torn write that the next start cuts and records)
   * @param suspectSeq when a checkpoint's root did not match: the first record in the failing
   *     range whose leaf hash differs from the one the server stored when it wrote it (the hash
   *     store is not signed, so this locates an edit; the checkpoint is the evidence), else -1
   */
  public record Result(AuditVerification verification, long incompleteTailBytes, long suspectSeq) {}

  private AuditFileVerifier() {}

  /**
   * Verifies the log under {@code files}. The checkpoints file is measured before the segments
   * are listed, so that every checkpoint read commits only to records already on disk when the
   * segments are read: a running server never makes a consistent log look truncated.
   *
   * @param trustedCheckpointNote a checkpoint kept elsewhere, or null
   * @param progress told the record count every {@code progressEvery} records, or null
   */
  public static Result verify(AuditFiles files, NoteVerifier key, String trustedCheckpointNote, long progressEvery,
      LongConsumer progress) throws IOException {
    return verify(files, key, trustedCheckpointNote, null, progressEvery, progress);
  }

  /** As above, also requiring {@code witnesses} (null: none) on the latest checkpoint. */
  public static Result verify(AuditFiles files, NoteVerifier key, String trustedCheckpointNote, WitnessQuorum witnesses,
      long progressEvery, LongConsumer progress) throws IOException {
    Objects.requireNonNull(files, "files");
    Objects.requireNonNull(key, "key");
    long checkpointBytes = Files.exists(files.checkpointsFile()) ? Files.size(files.checkpointsFile()) : 0;
    List<String> checkpointLines = files.checkpointLines(checkpointBytes);
    AuditVerifier.Builder b = AuditVerifier.builder(key).checkpointLines(checkpointLines.iterator());
    if (trustedCheckpointNote != null) b.trustedCheckpoint(trustedCheckpointNote);
    if (progress != null) b.progress(progressEvery, progress);
    if (witnesses != null) b.witnesses(witnesses);
    AuditVerifier verifier = b.build();
    AuditFiles.Reading r = files.forEachLine(0, Long.MAX_VALUE, AuditVerifier.MAX_LINE_BYTES,
        (seq, first, offset, bytes, off, len) -> verifier.accept(bytes, off, len));
    AuditVerification v = verifier.finish();
    long suspect = -1;
    if (!v.ok() && v.failure().where() == AuditVerification.Where.CHECKPOINT
        && v.failure().position() <= v.records()) {
      suspect = firstChangedLeaf(files, v.failure().position());
    }
    return new Result(v, r.incompleteTailBytes(), suspect);
  }

  /** The first seq below {@code end} whose line no longer hashes to the stored leaf hash, or -1. */
  static long firstChangedLeaf(AuditFiles files, long end) throws IOException {
    Path leaves = files.treeDir().resolve("level-0.bin");
    if (!Files.exists(leaves)) return -1;
    long[] found = {-1};
    try (InputStream in = new BufferedInputStream(Files.newInputStream(leaves), 1 << 16)) {
      byte[] stored = new byte[32];
      files.forEachLine(0, end, AuditVerifier.MAX_LINE_BYTES, (seq, first, offset, bytes, off, len) -> {
        if (in.readNBytes(stored, 0, 32) != 32) return false;
        if (!Arrays.equals(stored, MerkleTree.leafHash(Arrays.copyOfRange(bytes, off, off + len)))) {
          found[0] = seq;
          return false;
        }
        return true;
      });
    }
    return found[0];
  }
}

package dev.curfew.store.embedded;

import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.AuditVerifier;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.WitnessQuorum;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
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
   * @param suspectSeq when the failure says a record may have been changed ({@link
   *     AuditVerification.Failure#changedBelow}): the first record in that range whose leaf hash
   *     differs from the one the server stored when it wrote it (the hash store is not signed, so
   *     this locates an edit; the checkpoint is the evidence), else -1
   * @param archive what was archived, and what was found of it
   * @param holds the legal holds in force
   * @param unsignedChangedSeq when the records held: the first record that no checkpoint covers yet
   *     and that no longer hashes to the leaf hash the server stored when it wrote it (a record
   *     changed after it was written, its checkpoints removed), else -1
   * @param strays the segment files that are not part of the log's chain (SegmentChain), one sentence each
   */
  public record Result(AuditVerification verification, long incompleteTailBytes, long suspectSeq, ArchiveReport archive,
      HoldsReport holds, long unsignedChangedSeq, List<String> strays) {
    /**
     * The verification held, no archived segment differs from what was archived, no unsigned record
     * was changed, and every segment file was read.
     */
    public boolean ok() {
      return verification.ok() && archive.problems().isEmpty() && unsignedChangedSeq < 0 && strays.isEmpty();
    }
  }

  /**
   * The archived segments (audit/archived.jsonl).
   *
   * @param segments segments the manifest lists
   * @param absentSegments those not found (the archive was moved elsewhere and not given)
   * @param summarizedRecords records of absent segments, taken as their subtree hashes: every
   *     checkpoint root after them was recomputed over those hashes, so they are proven to be what
   *     the signed tree holds, but the records themselves were not read
   * @param checkpointsInsideSummaries checkpoints whose size fell inside an absent segment (their
   *     signature checked, their root not)
   * @param problems archived segments that differ from what was archived
   */
  public record ArchiveReport(int segments, int absentSegments, long summarizedRecords, long checkpointsInsideSummaries,
      List<String> problems) {}

  /**
   * The legal holds.
   *
   * @param inForce the holds file (audit/holds.json): what retention obeys
   * @param recordedInForce ids placed and not lifted according to the {@code audit.hold_*} records read
   * @param disagreements where the two differ
   */
  public record HoldsReport(List<LegalHolds.Hold> inForce, List<String> recordedInForce, List<String> disagreements) {}

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

  /**
   * As above, also requiring {@code witnesses} (null: none) on the latest checkpoint. Archived
   * segments are read from {@code files.archiveDir()}; one that is not there is taken as the
   * subtree hashes audit/archived.jsonl keeps of it (MerkleRange), one that is there is also
   * compared with the SHA-256 kept of it.
   */
  public static Result verify(AuditFiles files, NoteVerifier key, String trustedCheckpointNote, WitnessQuorum witnesses,
      long progressEvery, LongConsumer progress) throws IOException {
    Objects.requireNonNull(files, "files");
    Objects.requireNonNull(key, "key");
    long checkpointBytes = Files.exists(files.checkpointsFile()) ? Files.size(files.checkpointsFile()) : 0;
    List<String> checkpointLines = files.checkpointLines(checkpointBytes);
    TreeMap<Long, ArchiveManifest.Entry> manifest = ArchiveManifest.read(files);
    AuditVerifier.Builder b = AuditVerifier.builder(key).checkpointLines(checkpointLines.iterator());
    if (trustedCheckpointNote != null) b.trustedCheckpoint(trustedCheckpointNote);
    if (progress != null) b.progress(progressEvery, progress);
    if (witnesses != null) b.witnesses(witnesses);
    AuditVerifier verifier = b.build();
    HoldRecords holdRecords = new HoldRecords();
    TreeMap<Long, Path> present = files.segments();
    SegmentChain chain = new SegmentChain(present);
    boolean[] failed = {false};
    long seq = 0;
    int absent = 0;
    AuditFiles.Reading r = new AuditFiles.Reading(0, 0);
    while (!failed[0]) {
      ArchiveManifest.Entry e = manifest.get(seq);
      if (e != null && !present.containsKey(seq)) {
        absent++;
        failed[0] = !verifier.acceptRange(e.range());
        chain.summarized(seq, e.endSeq());
        seq = e.endSeq();
        continue;
      }
      if (!present.containsKey(seq)) break; // the end, or a gap: the verifier names it at finish
      r = files.forEachLine(seq, Long.MAX_VALUE, AuditVerifier.MAX_LINE_BYTES, (s, first, offset, bytes, off, len) -> {
        chain.read(first, s);
        if (verifier.accept(bytes, off, len)) {
          holdRecords.see(bytes, off, len); // a canonical JSON object by now
          return true;
        }
        failed[0] = true;
        return false;
      });
      if (r.nextSeq() == seq) break;
      seq = r.nextSeq();
    }
    AuditVerification v = verifier.finish();
    long suspect = -1;
    if (!v.ok() && v.failure().changedBelow() >= 0 && absent == 0) {
      suspect = firstChangedLeaf(files, 0, v.failure().changedBelow());
    }
    // Records no signature covers yet are still compared with the leaf hashes stored as they were written.
    long unsignedChanged = v.ok() && v.records() > v.checkpointedSize()
        ? firstChangedLeaf(files, Math.max(0, v.checkpointedSize()), v.records()) : -1;
    List<String> problems = new ArrayList<>();
    for (ArchiveManifest.Entry e : manifest.values()) {
      Path p = present.get(e.firstSeq());
      if (p == null) continue;
      String actual = ArchiveManifest.sha256Hex(p);
      if (!actual.equals(e.sha256Hex())) {
        problems.add("archived segment " + p + " (seq " + e.firstSeq() + ".." + (e.endSeq() - 1) + ") was changed after it was"
            + " archived on " + e.archivedAt() + ": its SHA-256 is " + actual + ", not " + e.sha256Hex());
      }
    }
    ArchiveReport archive = new ArchiveReport(manifest.size(), absent, verifier.summarizedRecords(),
        verifier.checkpointsInsideSummaries(), problems);
    return new Result(v, r.incompleteTailBytes(), suspect, archive, holdRecords.report(LegalHolds.read(files)),
        unsignedChanged, chain.strays(seq, !failed[0]));
  }

  /** Folds the {@code audit.hold_*} records into the ids in force; canonical JSON puts "type" last. */
  private static final class HoldRecords {
    private static final byte[] PLACED = "\"type\":\"audit.hold_placed\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LIFTED = "\"type\":\"audit.hold_lifted\"}".getBytes(StandardCharsets.UTF_8);
    private final Set<String> inForce = new LinkedHashSet<>();

    void see(byte[] bytes, int off, int len) {
      boolean placed = endsWith(bytes, off, len, PLACED);
      if (!placed && !endsWith(bytes, off, len, LIFTED)) return;
      Object data = Json.parseObject(new String(bytes, off, len, StandardCharsets.UTF_8)).get("data");
      Object id = data instanceof Map<?, ?> m ? m.get("hold_id") : null;
      if (!(id instanceof String s)) return;
      if (placed) inForce.add(s);
      else inForce.remove(s);
    }

    HoldsReport report(List<LegalHolds.Hold> file) {
      List<String> disagreements = new ArrayList<>();
      Set<String> fileIds = new LinkedHashSet<>();
      for (LegalHolds.Hold h : file) {
        fileIds.add(h.id());
        if (!inForce.contains(h.id())) {
          disagreements.add("hold " + h.id() + " is in audit/holds.json but no audit.hold_placed record read places it"
              + " (a crash before its record, or the record is in an archived segment not at hand)");
        }
      }
      for (String id : inForce) {
        if (!fileIds.contains(id)) {
          disagreements.add("hold " + id + " is placed and not lifted by the records but is not in audit/holds.json:"
              + " the segments it holds may have been archived");
        }
      }
      return new HoldsReport(file, List.copyOf(inForce), disagreements);
    }

    private static boolean endsWith(byte[] bytes, int off, int len, byte[] suffix) {
      return len >= suffix.length && Arrays.equals(bytes, off + len - suffix.length, off + len, suffix, 0, suffix.length);
    }
  }

  /**
   * The first seq in [{@code from}, {@code end}) whose line no longer hashes to the stored leaf
   * hash, or -1. A leaf not stored yet (a running server writes them behind the log) ends the
   * comparison; an all-zero one (a page a power loss left unwritten) is skipped.
   */
  static long firstChangedLeaf(AuditFiles files, long from, long end) throws IOException {
    Path leaves = files.treeDir().resolve("level-0.bin");
    if (!Files.exists(leaves) || from >= end) return -1;
    long[] found = {-1};
    try (InputStream in = new BufferedInputStream(Files.newInputStream(leaves), 1 << 16)) {
      try {
        in.skipNBytes(from * 32);
      } catch (java.io.EOFException e) {
        return -1; // no leaf stored at from yet
      }
      byte[] stored = new byte[32];
      files.forEachLine(from, end, AuditVerifier.MAX_LINE_BYTES, (seq, first, offset, bytes, off, len) -> {
        if (in.readNBytes(stored, 0, 32) != 32) return false;
        if (isZero(stored)) return true;
        if (!Arrays.equals(stored, MerkleTree.leafHash(Arrays.copyOfRange(bytes, off, off + len)))) {
          found[0] = seq;
          return false;
        }
        return true;
      });
    }
    return found[0];
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) return false;
    }
    return true;
  }
}

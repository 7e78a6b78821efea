package dev.curfew.store.embedded;

import dev.curfew.core.Clock;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The retention of the audit log's segments (the part of {@link AuditTrail} that archives):
 * segments whose newest record is older than the retention move to audit/archive/ unless a legal
 * hold ({@link LegalHolds}) covers one of their records, each described first in the archive
 * manifest ({@link ArchiveManifest}) so that it can be proven without the archive. Nothing is
 * deleted.
 */
final class TrailRetention {
  private static final System.Logger LOG = System.getLogger(AuditTrail.class.getName());

  private final AuditFiles files;
  private final Clock clock;
  private final Duration retention;

  TrailRetention(AuditFiles files, Clock clock, Duration retention) {
    this.files = files;
    this.clock = clock;
    this.retention = retention;
  }

  /** Archives the segments of {@code l} older than the retention; returns how many moved. */
  int apply(FileAuditLog l) throws IOException {
    long cutoffMs = clock.millis() - retention.toMillis();
    List<LegalHolds.Hold> holds;
    try {
      holds = LegalHolds.read(files);
    } catch (IOException unreadable) { // which records are held is unknown: none is archived, the node runs on
      LOG.log(System.Logger.Level.ERROR, "no audit segment is archived: " + unreadable.getMessage());
      return 0;
    }
    TreeMap<Long, ArchiveManifest.Entry> manifest;
    try {
      manifest = ArchiveManifest.read(files);
    } catch (IOException | RuntimeException damaged) { // archiving more would leave segments without proof: none is, the node runs on
      LOG.log(System.Logger.Level.ERROR, "no audit segment is archived, the archive manifest cannot be read: "
          + damaged.getMessage());
      return 0;
    }
    describeArchivedBefore(l, manifest);
    return l.archiveSegmentsBefore(cutoffMs, (segment, firstSeq) -> {
      LegalHolds.Hold held = LegalHolds.holding(holds, segment);
      if (held != null) {
        LOG.log(System.Logger.Level.INFO, "audit segment " + segment.getFileName() + " is past the retention but not archived:"
            + " legal hold " + held.id() + " on " + held.scope());
        return false;
      }
      if (!manifest.containsKey(firstSeq)) { // else a crash came between writing its entry and the move
        ArchiveManifest.append(files, ArchiveManifest.describe(segment, firstSeq, clock.millis()));
      }
      return true;
    });
  }

  /**
   * Adds the manifest entry of every segment already in audit/archive/ without one (archived by a
   * version that kept none, or the manifest was lost), so that it too can be proven without the
   * archive from now on.
   */
  private void describeArchivedBefore(FileAuditLog l, TreeMap<Long, ArchiveManifest.Entry> manifest) throws IOException {
    for (Map.Entry<Long, Path> e : l.segmentsSnapshot().entrySet()) {
      if (manifest.containsKey(e.getKey()) || !e.getValue().getParent().equals(files.archiveDir())) continue;
      ArchiveManifest.Entry entry = ArchiveManifest.describe(e.getValue(), e.getKey(), clock.millis());
      ArchiveManifest.append(files, entry);
      manifest.put(e.getKey(), entry);
    }
  }
}

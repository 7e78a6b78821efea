package dev.curfew.store.embedded;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.Clock;
import dev.curfew.core.WriteOutage;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.Checkpointer;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.Witnesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/*
 * The tamper evidence of the audit log (spec/audit.md): an RFC 6962 Merkle tree over the records
 * in seq order, C2SP signed checkpoints of it, and the per-session index that evidence bundles
 * need. It sits beside FileAuditLog and sees what the log makes durable; it never writes records.
 * This class keeps the tree and decides when to sign; the checkpoints file is FileCheckpoints's,
 * retention TrailRetention's, and evidence from the files alone (no server) OfflineEvidence's.
 *
 * Tree. MerkleTree over a FileHashStore in audit/tree/ (every leaf hash and every 4th level of
 * interior nodes; RFC 6962 §2.1). Leaves arrive from the log's LeafListener on the writer thread,
 * after the fsync and in seq order: an append is O(1) amortized (O(log n) worst case) hashes and
 * nothing is rehashed. Records already in the log when it opened are not replayed to the
 * listener, so attach() catches the tree up from the segment files. The tree is derived data:
 * when it cannot be opened, is ahead of the log (a torn line the log cut at open had reached the
 * hash store), its last leaf does not match the log's record, or its root at the last
 * checkpoint's size differs from that signed root (interior nodes damaged by a power loss), it is
 * deleted and rebuilt from the log, once the leaf hashes it stored are found to be the hashes of
 * the log's records (a record changed since it was written refuses the open instead: the stored
 * hashes are the evidence, and a rebuild would sign over the change). If the rebuilt tree still disagrees with the last checkpoint,
 * the log itself was changed below a signed size: open refuses to sign anything over it and says
 * to run `curfew audit verify`. (Open does not re-hash every record; detecting an edited record
 * whose stored leaf hash is intact is verify's job.)
 *
 * Checkpoints (c2sp.org/tlog-checkpoint body: origin, tree size, base64 root; signed as a
 * c2sp.org/signed-note with Ed25519): one CheckpointLine per line of audit/checkpoints.jsonl,
 * forced before it counts. A checkpoint is written on a timer (every `checkpointInterval`, 1 s by
 * default) whenever records arrived since the last one, at clean shutdown (close), at attach if
 * the log holds unsigned records (after a crash), and on demand when an evidence bundle needs one
 * that covers its records. The hash store is forced before each checkpoint. A checkpoint only
 * ever covers durable records, so a crash cannot leave a checkpoint above the log's end; the
 * checkpoints file's own torn last line is cut at open. The origin and key name are
 * "curfew/<node>" of the first start; the key is read from the configured file or from
 * audit-signing.key, created 0600 on first start. With witnesses configured (Witnesses), each new
 * checkpoint is submitted to them before its line is written, and the line's note carries the
 * cosignatures obtained; while the latest one lacks a witness's cosignature the timer offers it
 * again, and what that adds is one more line of the same tree size (docs/audit.md).
 *
 * Session index: SessionIndex (per closed segment a sorted file of (session hash, seq, offset)
 * searched by binary search; the open segment in memory). This class tells it where each line is:
 * a new segment starts when the log's segment for a seq begins at that seq, and the previous one
 * then gets its index file written in the background.
 *
 * Retention: segments whose newest record is older than `retention` (400 days by default:
 * PCI DSS 4.0 10.5.1 asks for 12 months) are moved to audit/archive/ at attach and daily, unless
 * a legal hold (LegalHolds, audit/holds.json) covers one of their records. Nothing is deleted:
 * the hash store keeps every leaf hash, so inclusion and consistency proofs keep working, and
 * `audit verify` and `audit evidence` read the archive too. Before a segment moves, its SHA-256
 * and the Merkle subtree hashes of its records (a compact range, MerkleRange) are appended to
 * audit/archived.jsonl (ArchiveManifest), which stays in audit/: with the archive moved elsewhere,
 * `audit verify` folds those hashes in place of the records and still recomputes every later
 * checkpoint root, so it proves that the archived records are the ones the signed tree holds;
 * given the archive (`--archive DIR`), it reads the records and names a file that was changed.
 */

/**
 * Merkle tree, signed checkpoints, session index and retention for a {@link FileAuditLog}.
 * Create it with {@link #open} before the log (it is the log's {@link LeafListener}), then {@link
 * #attach} it to the opened log. Thread-safe.
 */
public final class AuditTrail implements AuditProofs, LeafListener, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AuditTrail.class.getName());

  /**
   * @param signingKeyFile the signer key file; null: audit-signing.key in the data directory, created on first start
   * @param retention segments older than this are archived (400 days)
   * @param checkpointInterval the longest time records wait for a checkpoint (1 s)
   * @param witnesses every new checkpoint is submitted to them before it is written (none)
   */
  public record Settings(Path signingKeyFile, Duration retention, Duration checkpointInterval, Witnesses witnesses) {
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(400);

    public Settings {
      Objects.requireNonNull(retention, "retention");
      Objects.requireNonNull(checkpointInterval, "checkpointInterval");
      Objects.requireNonNull(witnesses, "witnesses");
      if (retention.isNegative() || retention.isZero()) throw new IllegalArgumentException("retention <= 0: " + retention);
      if (checkpointInterval.isNegative() || checkpointInterval.isZero() || checkpointInterval.toMillis() > 1000) {
        throw new IllegalArgumentException("checkpointInterval not in (0, 1 s]: " + checkpointInterval);
      }
    }

    public static Settings defaults() {
      return new Settings(null, DEFAULT_RETENTION, Duration.ofSeconds(1), Witnesses.NONE);
    }

    public Settings withSigningKeyFile(Path file) {
      return new Settings(file, retention, checkpointInterval, witnesses);
    }

    public Settings withRetention(Duration d) {
      return new Settings(signingKeyFile, d, checkpointInterval, witnesses);
    }

    public Settings withCheckpointInterval(Duration d) {
      return new Settings(signingKeyFile, retention, d, witnesses);
    }

    public Settings withWitnesses(Witnesses w) {
      return new Settings(signingKeyFile, retention, checkpointInterval, w);
    }
  }

  private final AuditFiles files;
  private final Settings settings;
  private final Clock clock;
  private final NoteSigner signer;
  private final SessionIndex index;
  private final TrailRetention retention;
  private final ScheduledExecutorService scheduler;

  // Guarded by this.
  private FileHashStore store;
  private MerkleTree tree;
  private FileAuditLog log;
  private boolean closed;
  private long segmentFirstSeq = -1; // the segment the last leaf went to, -1: not tracked
  private long segmentNextOffset;

  private FileCheckpoints checkpoints; // set by open
  private boolean checkpointFailing; // the checkpoint timer's thread only

  /** Set while the tree cannot take leaves (a write failed); the checkpoint timer catches it up. */
  private volatile WriteOutage behind;

  private AuditTrail(AuditFiles files, Settings settings, Clock clock, NoteSigner signer) {
    this.files = files;
    this.settings = settings;
    this.clock = clock;
    this.signer = signer;
    this.index = new SessionIndex(files);
    this.retention = new TrailRetention(files, clock, settings.retention());
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "curfew-checkpoint");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Opens the trail's files under {@code dataDir} (creating the signing key on first start); call
   * before the log opens and pass this as the log's leaf listener.
   */
  public static AuditTrail open(Path dataDir, Settings settings, String node, Clock clock) throws IOException {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(clock, "clock");
    AuditFiles files = AuditFiles.of(dataDir);
    PrivateFiles.createDirectories(dataDir);
    PrivateFiles.createDirectories(files.auditDir());
    Path keyFile = settings.signingKeyFile() != null ? settings.signingKeyFile() : files.defaultSigningKeyFile();
    if (settings.signingKeyFile() != null && !Files.exists(keyFile)) {
      throw new IOException("the configured audit signing key " + keyFile + " does not exist");
    }
    NoteSigner signer = settings.signingKeyFile() != null ? AuditFiles.readSigner(keyFile)
        : AuditFiles.loadOrCreateSigner(keyFile, "curfew/" + node);
    AuditTrail trail = new AuditTrail(files, settings, clock, signer);
    trail.checkpoints = FileCheckpoints.open(files, new Checkpointer(signer, clock, settings.checkpointInterval()),
        settings.witnesses());
    synchronized (trail) {
      try {
        trail.store = FileHashStore.open(files.treeDir());
        trail.tree = MerkleTree.open(trail.store);
      } catch (IllegalStateException corrupt) {
        if (trail.store != null) trail.store.close();
        LOG.log(System.Logger.Level.WARNING, "the Merkle tree in " + files.treeDir() + " cannot be opened ("
            + corrupt.getMessage() + "); rebuilding it from the log");
        deleteTree(files);
        trail.store = FileHashStore.open(files.treeDir());
        trail.tree = MerkleTree.open(trail.store);
      }
    }
    return trail;
  }

  /** The verifier key of the checkpoints: what {@code curfew audit public-key} prints. */
  public NoteVerifier verifier() {
    return signer.verifier();
  }

  /** The checkpoints' origin line (and key name). */
  public String origin() {
    return signer.name();
  }

  /** Leaves in the tree. */
  public synchronized long size() {
    return tree.size();
  }

  @Override
  public synchronized Optional<List<byte[]>> consistencyProof(long fromSize, long toSize) {
    if (fromSize < 1 || toSize < fromSize || toSize > tree.size()) return Optional.empty();
    return Optional.of(tree.consistencyProof(fromSize, toSize));
  }

  /** The tree (for proofs); do not append to it. */
  public synchronized MerkleTree tree() {
    return tree;
  }

  // ---------------------------------------------------------------- attach and catch up

  /**
   * Catches the tree and the index up with {@code log} (which must have been opened with this as
   * its leaf listener), archives expired segments, writes a checkpoint if records are unsigned,
   * and starts the checkpoint timer and the daily retention.
   */
  public void attach(FileAuditLog log) throws IOException {
    Objects.requireNonNull(log, "log");
    synchronized (this) {
      if (this.log != null) throw new IllegalStateException("already attached");
      if (closed) throw new IllegalStateException("closed");
      long logSize = log.size();
      if (tree.size() > logSize || !lastLeafMatches(logSize)) {
        requireStoredLeavesMatch(logSize);
        rebuildTree();
      }
      catchUp(log, logSize);
      if (!agreesWithLastCheckpoint()) { // a tree damaged by a power loss: the log decides
        requireStoredLeavesMatch(logSize);
        rebuildTree();
        catchUp(log, logSize);
        if (!agreesWithLastCheckpoint()) {
          throw new FileAuditLog.DamagedLogException("the audit log does not match its last signed checkpoint (tree size "
              + checkpoints.latestSize() + "); refusing to sign over it: run 'curfew audit verify' on " + files.dataDir());
        }
      }
      this.log = log;
    }
    applyRetention();
    indexClosedSegments();
    if (size() > Math.max(checkpoints.latestSize(), 0)) checkpointNow(); // unsigned records (a crash), never an empty tree
    long periodMs = settings.checkpointInterval().toMillis();
    scheduler.scheduleAtFixedRate(this::tick, periodMs, periodMs, TimeUnit.MILLISECONDS);
    long dayMs = Duration.ofDays(1).toMillis();
    scheduler.scheduleAtFixedRate(this::scheduledRetention, dayMs, dayMs, TimeUnit.MILLISECONDS);
  }

  /** Whether the tree has the size and root of the last checkpoint, which must be ours. */
  private boolean agreesWithLastCheckpoint() throws IOException {
    if (checkpoints.latestSize() < 0) return true;
    Checkpoint signed;
    try {
      signed = Checkpoint.parse(signer.verifier().verify(checkpoints.latestNote()).textOrThrow());
    } catch (RuntimeException e) {
      throw new FileAuditLog.DamagedLogException("the last checkpoint in " + files.checkpointsFile() + " is not signed by this node's key: "
          + e.getMessage(), e);
    }
    if (signed.treeSize() > tree.size()) {
      throw new FileAuditLog.DamagedLogException("the last checkpoint in " + files.checkpointsFile() + " covers " + signed.treeSize()
          + " records but the audit log holds only " + tree.size() + ": signed records are missing from the log");
    }
    return Arrays.equals(tree.rootHash(signed.treeSize()), signed.rootHash());
  }

  private boolean lastLeafMatches(long logSize) throws IOException {
    long n = tree.size();
    if (n == 0) return true;
    byte[][] line = new byte[1][];
    files.forEachLine(n - 1, n, SessionIndex.MAX_LINE_BYTES, (seq, first, offset, b, off, len) -> {
      line[0] = Arrays.copyOfRange(b, off, off + len);
      return false;
    });
    return line[0] != null && Arrays.equals(MerkleTree.leafHash(line[0]), tree.leafHashAt(n - 1));
  }

  /**
   * Before the tree is rebuilt from the log: every leaf hash the tree stored as the log wrote its
   * record must still be the hash of that record. A rebuild discards those hashes, which are the
   * evidence of a record changed after it was written (one no checkpoint covers any more, say
   * because checkpoints were removed too), and the node would then sign over the changed record.
   * Not compared: an all-zero leaf (a hash-store page a power loss left unwritten) and the tree's
   * last leaf unless a checkpoint covers it (its write may be the one a power loss tore).
   */
  private void requireStoredLeavesMatch(long logSize) throws IOException {
    long n = Math.min(tree.size(), logSize);
    long compared = n - 1 < checkpoints.latestSize() ? n : n - 1;
    // The tree was opened from these files at this start: its stored leaves are the ones verify reads.
    long changed = AuditFileVerifier.firstChangedLeaf(files, 0, compared);
    if (changed >= 0) {
      throw new FileAuditLog.DamagedLogException("record seq " + changed + " of the audit log no longer hashes to the leaf"
          + " hash stored when it was written: the log was changed after it was written. Refusing to rebuild the Merkle tree"
          + " over it (that would discard the evidence) or to sign anything: run 'curfew audit verify' on " + files.dataDir()
          + ", keep the directory as evidence and start on a new data directory");
    }
  }

  private void rebuildTree() throws IOException {
    LOG.log(System.Logger.Level.WARNING, "the Merkle tree in " + files.treeDir() + " does not match the audit log ("
        + tree.size() + " leaves); rebuilding it from the log");
    store.close();
    deleteTree(files);
    store = FileHashStore.open(files.treeDir());
    tree = MerkleTree.open(store);
  }

  private static void deleteTree(AuditFiles files) throws IOException {
    if (!Files.isDirectory(files.treeDir())) return;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(files.treeDir(), "level-*.bin")) {
      for (Path p : ds) Files.delete(p);
    }
  }

  /** Appends the leaves the tree lacks and indexes the last segment in memory from its start. */
  private void catchUp(FileAuditLog log, long logSize) throws IOException {
    TreeMap<Long, Path> segments = files.segments();
    long lastFirst = segments.isEmpty() ? 0 : segments.lastKey();
    index.restartSegment(lastFirst);
    segmentFirstSeq = lastFirst;
    segmentNextOffset = 0;
    long from = Math.min(tree.size(), lastFirst);
    AuditFiles.Reading r = files.forEachLine(from, logSize, SessionIndex.MAX_LINE_BYTES,
        (seq, first, offset, b, off, len) -> {
          if (seq == tree.size()) tree.appendLeafHash(MerkleTree.leafHash(Arrays.copyOfRange(b, off, off + len)));
          if (first == lastFirst) {
            index.add(seq, first, offset, b, off, len);
            segmentNextOffset = offset + len + 1;
          }
          return true;
        });
    if (tree.size() != logSize || r.nextSeq() != logSize) {
      throw new FileAuditLog.DamagedLogException("the audit log holds " + logSize + " records but its files gave " + r.nextSeq()
          + " (tree at " + tree.size() + ")");
    }
  }

  /** Writes missing index files of closed segments, in the background. */
  private void indexClosedSegments() throws IOException {
    TreeMap<Long, Path> segments = files.segments();
    for (Map.Entry<Long, Path> e : segments.entrySet()) {
      Long next = segments.higherKey(e.getKey());
      if (next == null) break; // the open segment: in memory
      long first = e.getKey();
      if (!index.hasIndexFile(first) && !index.inMemory(first)) {
        scheduler.execute(() -> {
          try {
            index.writeFromSegment(first, next);
          } catch (IOException | RuntimeException ex) {
            LOG.log(System.Logger.Level.WARNING, "cannot index segment " + first + ": " + ex, ex);
          }
        });
      }
    }
  }

  // ---------------------------------------------------------------- leaves

  /**
   * The log's leaf listener: on the writer thread, after the fsync, in seq order. It never throws
   * (that would stop the log for a derived file): a leaf it cannot store puts the trail behind,
   * and the checkpoint timer catches it up from the log once it can write again.
   */
  @Override
  public void appended(long seq, byte[] line) {
    synchronized (this) {
      if (log == null || closed || behind != null) return; // catchUp reads these from the files
      if (seq < tree.size()) return;
      try {
        if (seq > tree.size()) {
          throw new IllegalStateException("audit trail at " + tree.size() + " leaves was given seq " + seq);
        }
        tree.appendLeafHash(MerkleTree.leafHash(line));
        indexLine(seq, line);
      } catch (RuntimeException e) {
        fallBehind(e);
      }
    }
  }

  /** Stops taking leaves until {@link #catchUpAfterOutage} succeeds; one log line. Under this. */
  private void fallBehind(Exception cause) {
    long free = FileAuditLog.freeBytes(files.auditDir());
    behind = new WriteOutage("audit_trail", files.treeDir().toString(), String.valueOf(cause.getMessage()),
        clock.millis(), free);
    LOG.log(System.Logger.Level.ERROR, "the Merkle tree in " + files.treeDir() + " cannot be written: "
        + cause.getMessage() + " (" + free + " bytes free); checkpoints wait, and the tree is caught up from the"
        + " audit log (which stays the record) once it can be written", cause);
  }

  /** Why the tree is behind the log (it catches up by itself), if it is. */
  public Optional<WriteOutage> outage() {
    return Optional.ofNullable(behind);
  }

  /**
   * After a failed write of the tree: drops its state in memory (which may hold hashes the files
   * lack), reopens it from the files (a level found inconsistent is rebuilt from the log) and
   * catches it and the session index up with the log.
   */
  private void catchUpAfterOutage() throws IOException {
    synchronized (this) {
      if (behind == null || closed || log == null) return;
      store.abandon();
      try {
        store = FileHashStore.open(files.treeDir());
        tree = MerkleTree.open(store);
      } catch (IllegalStateException corrupt) {
        deleteTree(files);
        store = FileHashStore.open(files.treeDir());
        tree = MerkleTree.open(store);
      }
      // the log's size counts a batch before its leaves are handed here, so none is missed:
      // leaves of that batch still to come are below tree.size() afterwards and are skipped
      long logSize = log.size();
      if (tree.size() > logSize || !lastLeafMatches(logSize)) rebuildTree();
      catchUp(log, logSize);
      store.flush();
      LOG.log(System.Logger.Level.INFO, "the Merkle tree in " + files.treeDir() + " is written again and caught up"
          + " with the audit log (" + logSize + " records)");
      behind = null;
    }
    indexClosedSegments();
  }

  private void indexLine(long seq, byte[] line) {
    long first = log.segmentFirstSeq(seq);
    if (first != segmentFirstSeq) {
      long closedFirst = segmentFirstSeq;
      if (first == seq) {
        index.startSegment(first);
        segmentFirstSeq = first;
        segmentNextOffset = 0;
      } else {
        segmentFirstSeq = -1; // lost track: lookups scan this segment until its index is written
      }
      if (closedFirst >= 0) {
        scheduler.execute(() -> {
          try {
            index.writeFromMemory(closedFirst);
          } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot write the index of segment " + closedFirst + ": " + e, e);
          }
        });
      }
    }
    if (segmentFirstSeq < 0) return;
    index.add(seq, first, segmentNextOffset, line, 0, line.length);
    segmentNextOffset += line.length + 1L;
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * Signs and durably writes a checkpoint of the tree now (unless the last one has the same size)
   * and returns the latest checkpoint note.
   */
  public String checkpointNow() throws IOException {
    return checkpoints.checkpoint(lastSize -> {
      MerkleTree t;
      FileHashStore s;
      synchronized (this) {
        t = tree;
        s = store;
      }
      synchronized (t) { // MerkleTree serializes on itself; the store is not thread-safe
        Checkpoint cp = Checkpoint.of(signer.name(), t);
        if (cp.treeSize() == lastSize) return null;
        try {
          s.force();
        } catch (UncheckedIOException | IllegalStateException e) {
          synchronized (this) {
            if (behind == null && s == store) fallBehind(e);
          }
          throw new IOException("cannot force the Merkle tree: " + e.getMessage(), e);
        }
        return cp;
      }
    }, this);
  }

  private void tick() {
    try {
      if (behind != null) catchUpAfterOutage();
      if (behind == null && size() > checkpoints.latestSize()) checkpointNow();
      else if (behind == null && checkpoints.lacksCosignatures()) checkpoints.cosignLatestAgain(this);
    } catch (IOException | RuntimeException e) {
      // the next tick retries; records stay durable in the log meanwhile. One line per outage.
      if (!checkpointFailing) LOG.log(System.Logger.Level.WARNING, "checkpoint failed (retried every "
          + settings.checkpointInterval().toMillis() + " ms): " + e + " (" + FileAuditLog.freeBytes(files.auditDir())
          + " bytes free)", e);
      checkpointFailing = true;
      return;
    }
    if (checkpointFailing && behind == null) {
      checkpointFailing = false;
      LOG.log(System.Logger.Level.INFO, "checkpoints are written again to " + files.checkpointsFile());
    }
  }

  /** The tree size of the latest checkpoint, -1 before the first. */
  public long lastCheckpointSize() {
    return checkpoints.latestSize();
  }

  @Override
  public Optional<String> latestCheckpoint() {
    return Optional.ofNullable(checkpoints.latestNote());
  }

  // ---------------------------------------------------------------- evidence

  @Override
  public Optional<String> evidence(String sessionId) throws IOException {
    Objects.requireNonNull(sessionId, "sessionId");
    FileAuditLog l;
    synchronized (this) {
      l = log;
    }
    if (l == null) throw new IllegalStateException("not attached");
    List<SessionIndex.Found> found = index.find(sessionId, size(), l.segmentsSnapshot());
    if (found.isEmpty()) return Optional.empty();
    long needed = found.get(found.size() - 1).seq() + 1;
    String latest = checkpoints.latestNote();
    String note = checkpoints.latestSize() >= needed ? latest : checkpointNow();
    List<EvidenceBundle.Leaf> leaves = new ArrayList<>(found.size());
    for (SessionIndex.Found f : found) leaves.add(new EvidenceBundle.Leaf(f.seq(), f.line()));
    return Optional.of(EvidenceBundle.build(note, signer.verifier(), leaves, tree()).toJson());
  }

  /**
   * The records of {@code sessionId}, as their canonical lines in seq order, found through the
   * session index (no scan of the log); empty when the log holds none. Unlike {@link #evidence},
   * this signs nothing and includes records not yet under a checkpoint.
   */
  public List<String> sessionRecords(String sessionId) throws IOException {
    Objects.requireNonNull(sessionId, "sessionId");
    FileAuditLog l;
    synchronized (this) {
      l = log;
    }
    if (l == null) throw new IllegalStateException("not attached");
    List<String> out = new ArrayList<>();
    for (SessionIndex.Found f : index.find(sessionId, size(), l.segmentsSnapshot())) {
      out.add(new String(f.line(), StandardCharsets.UTF_8));
    }
    return out;
  }

  /**
   * An evidence bundle built from the files alone, with no server running on the directory (what
   * {@code curfew audit evidence} does): proven against the latest checkpoint in the file, so
   * records after it are left out and counted.
   *
   * @param bundle the bundle JSON; empty when no record of the session is under the checkpoint
   * @param omittedRecords records of the session after the latest checkpoint
   */
  public record FileEvidence(Optional<String> bundle, int omittedRecords) {}

  /**
   * Builds the evidence of {@code sessionId} from the files under {@code dataDir}, using the tree
   * in audit/tree/ for the proofs.
   *
   * @throws IllegalStateException if a server holds the tree, or there is no checkpoint yet
   */
  public static FileEvidence evidenceFromFiles(Path dataDir, NoteVerifier key, String sessionId) throws IOException {
    return evidenceFromFiles(AuditFiles.of(dataDir), key, sessionId);
  }

  /**
   * As above, from {@code files}: with {@link AuditFiles#withArchiveDir} an archive moved elsewhere
   * gives the archived records, and the tree (which keeps every leaf hash) proves them against
   * the latest checkpoint.
   */
  public static FileEvidence evidenceFromFiles(AuditFiles files, NoteVerifier key, String sessionId) throws IOException {
    return OfflineEvidence.build(files, key, sessionId);
  }

  // ---------------------------------------------------------------- retention

  /** Archives the segments older than the retention; returns how many moved. */
  public int applyRetention() throws IOException {
    FileAuditLog l;
    synchronized (this) {
      l = log;
    }
    return l == null ? 0 : retention.apply(l);
  }

  private void scheduledRetention() {
    try {
      int n = applyRetention();
      if (n > 0) LOG.log(System.Logger.Level.INFO, "archived " + n + " audit segments older than " + settings.retention());
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "retention failed: " + e, e);
    }
  }

  // ---------------------------------------------------------------- close

  /** Clean shutdown, after the log has closed: a final checkpoint, then the files. */
  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) return;
    }
    stopScheduler();
    try {
      if (log != null && size() > checkpoints.latestSize()) checkpointNow();
    } finally {
      closeFiles();
    }
  }

  /** What a crash leaves: no final checkpoint. */
  void halt() {
    scheduler.shutdownNow();
    closeFiles();
  }

  private void closeFiles() {
    synchronized (this) {
      closed = true;
      try {
        store.close();
      } catch (UncheckedIOException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot close the hash store: " + e, e);
      }
    }
    try {
      index.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot close the session index: " + e, e);
    }
    try {
      checkpoints.close();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot close the checkpoints file: " + e, e);
    }
  }

  private void stopScheduler() {
    scheduler.shutdown();
    try {
      if (!scheduler.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "audit trail background work still runs after 30 s; closing anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

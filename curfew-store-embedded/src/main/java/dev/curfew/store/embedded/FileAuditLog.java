package dev.curfew.store.embedded;

import dev.curfew.core.AuditLogReader;
import dev.curfew.core.AuditSink;
import dev.curfew.core.WriteOutage;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.GroupCommit;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Predicate;

/**
 * The audit log on local disk: canonical JSON lines in segment files, group-committed.
 *
 * <p><b>Group commit</b> is {@link GroupCommit}'s (queue, seq and time, batching, back-pressure,
 * retry, fail closed); this class is its file writer: for each batch it writes the lines and the
 * batch's token bindings, forces each file once, and then shows the durable lines to the {@link
 * LeafListener}. Futures complete on the writer thread: chain with the {@code *Async} variants or
 * keep dependents short and non-blocking.
 *
 * <p><b>Segments</b> ({@link Segments}) roll over when the next line would pass {@code
 * segmentMaxBytes} or when the record's UTC day differs from the segment's. <b>Open</b> cuts a torn
 * end of the last segment and records that cut as a {@code log.repaired} record; it checks that
 * {@code seq} runs without a gap across segments and fails with the first break otherwise.
 *
 * <p><b>A write that fails</b> (ENOSPC, EIO: any IOException) is an outage, not the end: the
 * writer puts the files back exactly as they were before the batch (the segment and the token
 * journal truncated to their durable length, so a line cut short by a full disk leaves no torn
 * tail; segment and journal files the batch created deleted) and {@link GroupCommit} retries the
 * same batch until it succeeds, refusing requests meanwhile ({@link #writable()} false). Truncating
 * and writing every byte of the batch again, instead of calling fsync a second time, is what makes
 * a retry after a failed fsync trustworthy: after such a failure the kernel may have dropped the
 * dirty pages and marked them clean, so a second fsync could report success for data that is gone
 * ("fsyncgate", PostgreSQL wiki "Fsync Errors"); rewritten pages are dirty again and the next fsync
 * covers them. One log line says when writing fails (the file, the error, the free space) and one
 * when it works again.
 */
public final class FileAuditLog implements AuditSink, AuditLogReader, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FileAuditLog.class.getName());
  private static final long DAY_MS = 86_400_000L;
  /** The longest pause between attempts during an outage: space that returns is used within it. */
  static final Duration RETRY_DELAY_MAX = Duration.ofMillis(200);

  private final Path dataDir;
  private final Path auditDir;
  private final EmbeddedStore.Options options;
  private final ConcurrentSkipListMap<Long, Path> segments = new ConcurrentSkipListMap<>();
  private final OpenReport openReport;
  private final GroupCommit commits;
  private long tokenGeneration; // guarded by this: the generation the next mark starts
  private volatile WriteOutage outage;

  // Writer side: touched by the writer thread only (and by open before it starts).
  private FileChannel segment;
  private long segmentFirstSeq = -1;
  private long segmentBytes;
  private long segmentDay;
  private FileChannel tokens;
  private long tokensGeneration;
  private long tokensBytes;
  private long written;
  private Path writing; // the file of the current write, for the outage report
  private Position restoreBefore; // set while the files may hold bytes of a failed attempt
  private final ByteArrayOutputStream auditBuf = new ByteArrayOutputStream(1 << 16);
  private final ByteArrayOutputStream tokenBuf = new ByteArrayOutputStream(1 << 12);

  /**
   * What open found: records already there, the type and time of the last one ({@code
   * Long.MIN_VALUE}: none), and any cut.
   */
  public record OpenReport(long recordsAtOpen, String lastTypeAtOpen, long lastTimeMsAtOpen, long cutBytes,
      String repairedSegment) {}

  /** Where a snapshot starts: a new token journal generation at log size {@code seq}. */
  record Mark(long tokenGeneration, long seq, CompletableFuture<Void> durable) {}

  /** The marker that switches the token journal to a new generation. */
  private record TokenGeneration(long generation) {}

  /** The writer's files as they were before a batch: what a failed attempt is rolled back to. */
  private record Position(long written, long segmentFirstSeq, long segmentBytes, long segmentDay,
      long tokensGeneration, long tokensBytes) {}

  private FileAuditLog(Path dataDir, EmbeddedStore.Options options) throws IOException {
    this.dataDir = dataDir;
    this.auditDir = dataDir.resolve("audit");
    this.options = options;
    PrivateFiles.createDirectories(dataDir);
    PrivateFiles.createDirectories(auditDir);
    this.openReport = recoverSegments();
    openTokenJournal();
    this.written = openReport.recordsAtOpen();
    this.commits = new GroupCommit("the audit log in " + auditDir,
        new GroupCommit.Options(options.maxQueuedRecords(), options.maxBatchRecords(), Duration.ofMillis(5),
            RETRY_DELAY_MAX, options.closeTimeout()),
        new FileWriter(), new Health(), openReport.recordsAtOpen(), openReport.lastTimeMsAtOpen());
  }

  /**
   * Opens (creating if needed) the log under {@code dataDir}: repairs a torn end, checks seq
   * continuity, starts the writer and, if it cut anything, appends a durable {@code log.repaired}
   * record from {@code node}.
   */
  public static FileAuditLog open(Path dataDir, EmbeddedStore.Options options, String node) throws IOException {
    Objects.requireNonNull(node, "node");
    FileAuditLog log = new FileAuditLog(dataDir, Objects.requireNonNull(options, "options"));
    log.commits.start();
    OpenReport r = log.openReport;
    if (r.cutBytes() > 0) {
      AuditRecord repaired = AuditRecord.builder(RecordTypes.LOG_REPAIRED, options.clock().millis(), node)
          .put("cut_bytes", r.cutBytes())
          .put("segment", r.repairedSegment())
          .put("after_seq", r.recordsAtOpen() - 1)
          .build();
      log.await(log.append(List.of(repaired), List.of()));
    }
    return log;
  }

  /**
   * The audit log's files contradict each other or themselves (a seq gap or repeat, a missing
   * segment): opening it would build on a log that does not verify. The message names the file and
   * the seq. Nothing was changed on disk.
   */
  public static final class DamagedLogException extends IOException {
    public DamagedLogException(String message) {
      super(message);
    }

    public DamagedLogException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  public OpenReport openReport() {
    return openReport;
  }

  /** Records in the log when it was opened, before any {@code log.repaired} record. */
  public long recordsAtOpen() {
    return openReport.recordsAtOpen();
  }

  // ---------------------------------------------------------------- open

  private OpenReport recoverSegments() throws IOException {
    TreeMap<Long, Path> found = AuditFiles.of(dataDir).segments();
    if (found.isEmpty()) return new OpenReport(0, null, Long.MIN_VALUE, 0, null);
    if (!found.lastEntry().getValue().getParent().equals(auditDir)) {
      throw new DamagedLogException("the newest audit segment " + found.lastEntry().getValue() + " is archived;"
          + " move it back to " + auditDir);
    }
    // Segments archived and then moved elsewhere are missing from audit/archive/: their entries in
    // audit/archived.jsonl stand for them (docs/audit.md, Retention).
    TreeMap<Long, ArchiveManifest.Entry> archived = archivedEntries();
    long expected = found.firstKey() == 0 || ArchiveManifest.covers(archived, 0, found.firstKey()) ? 0 : -1;
    String lastLine = null;
    for (Map.Entry<Long, Path> e : found.headMap(found.lastKey()).entrySet()) {
      if (expected >= 0 && e.getKey() > expected && ArchiveManifest.covers(archived, expected, e.getKey())) expected = e.getKey();
      checkStart(e.getValue(), e.getKey(), expected, Segments.firstLine(e.getValue()));
      lastLine = Segments.lastLine(e.getValue());
      expected = Segments.seqOf(lastLine) + 1;
      segments.put(e.getKey(), e.getValue());
    }
    Path last = found.lastEntry().getValue();
    long first = found.lastKey();
    Segments.Tail tail = Segments.repair(last);
    if (expected >= 0 && first > expected && ArchiveManifest.covers(archived, expected, first)) expected = first;
    if (tail.lines() > 0) {
      checkStart(last, first, expected, tail.firstLine());
      long lastSeq = Segments.seqOf(tail.lastLine());
      if (lastSeq != first + tail.lines() - 1) {
        throw new DamagedLogException("audit log seq is not continuous: " + last.getFileName() + " holds "
            + tail.lines() + " records from seq " + first + " but its last record has seq " + lastSeq);
      }
      lastLine = tail.lastLine();
    } else if (first != expected) {
      throw new DamagedLogException("audit log seq is not continuous: empty segment " + last.getFileName()
          + " but the next seq is " + expected);
    }
    segments.put(first, last);
    long size = first + tail.lines();
    resumeSegment(last, first, tail.lines() > 0 ? lastLine : null);
    long lastTimeMs = lastLine == null ? Long.MIN_VALUE : Times.parse((String) Json.parseObject(lastLine).get("time"));
    String lastType = lastLine == null ? null : (String) Json.parseObject(lastLine).get("type");
    return new OpenReport(size, lastType, lastTimeMs, tail.cutBytes(), last.getFileName().toString());
  }

  /** The archive manifest's entries; a damaged manifest vouches for nothing (retention reports it). */
  private TreeMap<Long, ArchiveManifest.Entry> archivedEntries() {
    try {
      return ArchiveManifest.read(AuditFiles.of(dataDir));
    } catch (IOException e) {
      return new TreeMap<>();
    }
  }

  private static void checkStart(Path segment, long nameSeq, long expected, String firstLine) throws IOException {
    if (expected == -1) {
      throw new DamagedLogException("audit log starts at segment " + segment.getFileName() + ", not at seq 0:"
          + " the segments before it are missing from audit/ and audit/archive/, and audit/archived.jsonl does not list"
          + " them as archived");
    }
    if (nameSeq != expected) {
      throw new DamagedLogException("audit log seq is not continuous: segment " + segment.getFileName()
          + " starts at seq " + nameSeq + " but the previous segment ends at seq " + (expected - 1));
    }
    long seq = firstLine == null ? -1 : Segments.seqOf(firstLine);
    if (seq != nameSeq) {
      throw new DamagedLogException("audit log segment " + segment.getFileName() + " begins with seq " + seq
          + ", not the seq in its name");
    }
  }

  private void resumeSegment(Path last, long firstSeq, String lastLineInSegment) throws IOException {
    segment = PrivateFiles.openAppend(last);
    segmentFirstSeq = firstSeq;
    segmentBytes = segment.size();
    if (lastLineInSegment != null) {
      segmentDay = Math.floorDiv(Times.parse((String) Json.parseObject(lastLineInSegment).get("time")), DAY_MS);
    }
  }

  private void openTokenJournal() throws IOException {
    TreeMap<Long, Path> gens = TokenJournal.generations(dataDir);
    tokenGeneration = gens.isEmpty() ? 0 : gens.lastKey();
    Path file = TokenJournal.file(dataDir, tokenGeneration);
    if (Files.exists(file)) TokenJournal.repair(file);
    tokens = PrivateFiles.openAppend(file);
    tokensGeneration = tokenGeneration;
    tokensBytes = tokens.size();
    PrivateFiles.forceDirectory(dataDir);
  }

  // ---------------------------------------------------------------- append

  /**
   * Enqueues {@code records} (seq assigned now, in call order) and {@code bindings}; the future
   * completes when both are durable, or fails if the log fails for good first (during an outage
   * it waits: the records are kept and retried). The lists must not change afterwards. Blocks only
   * while more than {@code maxQueuedRecords} are not durable yet.
   */
  @Override
  public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
    return commits.append(records, bindings);
  }

  /** Completes when everything appended before this call is durable. */
  public CompletableFuture<Void> sync() {
    return commits.sync();
  }

  /**
   * Starts a new token journal generation at this point of the append order and returns it with
   * the log size at the same point: bindings of records with seq {@code >= seq} go to the new
   * generation. The future completes when the switch (and all before it) is durable.
   */
  synchronized Mark startTokenGeneration() {
    long gen = tokenGeneration + 1;
    GroupCommit.Marked m = commits.mark(new TokenGeneration(gen));
    tokenGeneration = gen;
    return new Mark(gen, m.seq(), m.durable());
  }

  /** Deletes token journal generations older than {@code generation} (after a durable snapshot). */
  void deleteTokenGenerationsBefore(long generation) throws IOException {
    boolean deleted = false;
    for (Path p : TokenJournal.generations(dataDir).headMap(generation).values()) {
      deleted |= Files.deleteIfExists(p);
    }
    if (deleted) PrivateFiles.forceDirectory(dataDir);
  }

  /** False while an outage lasts, after a failure for good, and once closing. */
  @Override
  public boolean writable() {
    return commits.writable();
  }

  /** Why the log failed for good, or null. */
  public Throwable failure() {
    return commits.failure();
  }

  /** The outage under way (the file, the error, the free space), if writing fails now. */
  public Optional<WriteOutage> outage() {
    return Optional.ofNullable(outage);
  }

  // ---------------------------------------------------------------- writer

  private final class FileWriter implements GroupCommit.Writer {
    @Override
    public void write(List<GroupCommit.Entry> batch) throws IOException {
      if (restoreBefore != null) restore(restoreBefore); // a failed attempt's bytes go first
      Position before = position();
      try {
        writeBatch(batch);
      } catch (IOException e) {
        restoreBefore = before;
        try {
          restore(before);
        } catch (IOException | RuntimeException again) {
          e.addSuppressed(again); // the next attempt restores first
        }
        throw e;
      }
    }

    @Override
    public void durable(List<GroupCommit.Entry> batch) {
      for (GroupCommit.Entry p : batch) {
        for (int i = 0; i < p.size(); i++) options.leafListener().appended(p.firstSeq() + i, p.line(i));
      }
    }
  }

  private void writeBatch(List<GroupCommit.Entry> batch) throws IOException {
    long firstSeq = written;
    long forceNanos = 0;
    for (GroupCommit.Entry p : batch) {
      if (p.firstSeq() != written) {
        throw new IllegalStateException("writer at seq " + written + " but next append has seq " + p.firstSeq());
      }
      if (p.marker() instanceof TokenGeneration g) {
        forceNanos += rotateTokens(g.generation());
        continue;
      }
      for (int i = 0; i < p.size(); i++) {
        byte[] line = p.line(i);
        forceNanos += rollIfNeeded(line.length + 1L, p.timeMs(i));
        auditBuf.write(line, 0, line.length);
        auditBuf.write('\n');
        segmentBytes += line.length + 1L;
        written++;
      }
      for (TokenBinding b : p.bindings()) {
        byte[] line = TokenJournal.line(b);
        tokenBuf.write(line, 0, line.length);
      }
    }
    forceNanos += flushAndForce();
    options.logMetrics().fsynced(forceNanos, (int) (written - firstSeq));
  }

  private Position position() {
    return new Position(written, segmentFirstSeq, segmentBytes, segmentDay, tokensGeneration, tokensBytes);
  }

  /**
   * Puts the files back as they were at {@code p}: drops what is buffered, deletes segments and
   * token journal generations created since, and truncates the segment and the journal that were
   * open then to their length then (a torn line from a full disk goes with it). Truncating needs
   * no free space.
   */
  private void restore(Position p) throws IOException {
    closeQuietly(segment);
    closeQuietly(tokens);
    segment = null;
    tokens = null;
    auditBuf.reset();
    tokenBuf.reset();
    boolean deleted = false;
    for (Long first : List.copyOf(segments.tailMap(p.segmentFirstSeq(), false).keySet())) {
      writing = segments.get(first);
      deleted |= Files.deleteIfExists(writing);
      segments.remove(first);
    }
    if (deleted) PrivateFiles.forceDirectory(auditDir);
    if (p.segmentFirstSeq() >= 0) {
      writing = segments.get(p.segmentFirstSeq());
      segment = PrivateFiles.openAppend(writing);
      if (segment.size() > p.segmentBytes()) segment.truncate(p.segmentBytes());
    }
    deleted = false;
    for (Path gen : TokenJournal.generations(dataDir).tailMap(p.tokensGeneration(), false).values()) {
      writing = gen;
      deleted |= Files.deleteIfExists(gen);
    }
    if (deleted) PrivateFiles.forceDirectory(dataDir);
    writing = TokenJournal.file(dataDir, p.tokensGeneration());
    tokens = PrivateFiles.openAppend(writing);
    if (tokens.size() > p.tokensBytes()) tokens.truncate(p.tokensBytes());
    written = p.written();
    segmentFirstSeq = p.segmentFirstSeq();
    segmentBytes = p.segmentBytes();
    segmentDay = p.segmentDay();
    tokensGeneration = p.tokensGeneration();
    tokensBytes = p.tokensBytes();
    restoreBefore = null;
  }

  /** Writes both buffers and forces each file that got bytes; returns the nanoseconds forcing. */
  private long flushAndForce() throws IOException {
    int tokenBytes = tokenBuf.size();
    boolean auditBytes = auditBuf.size() > 0;
    writing = TokenJournal.file(dataDir, tokensGeneration);
    writeFully(tokens, tokenBuf);
    if (auditBytes) {
      if (segment == null) throw new IllegalStateException("no open segment for " + auditBuf.size() + " bytes");
      writing = segments.get(segmentFirstSeq);
      writeFully(segment, auditBuf);
    }
    long t0 = System.nanoTime();
    if (tokenBytes > 0) {
      writing = TokenJournal.file(dataDir, tokensGeneration);
      tokens.force(false);
      tokensBytes += tokenBytes;
    }
    if (auditBytes) {
      writing = segments.get(segmentFirstSeq);
      segment.force(false);
    }
    return System.nanoTime() - t0;
  }

  private static void writeFully(FileChannel ch, ByteArrayOutputStream buf) throws IOException {
    if (buf.size() == 0) return;
    ByteBuffer bb = ByteBuffer.wrap(buf.toByteArray());
    while (bb.hasRemaining()) ch.write(bb);
    buf.reset();
  }

  /**
   * Before writing a line of {@code bytes} at {@code timeMs}: closes the current segment if the
   * line would pass the size limit or starts a new UTC day (a segment holds at least one line
   * whatever its size), and opens the segment for seq {@link #written} if none is open.
   */
  private long rollIfNeeded(long bytes, long timeMs) throws IOException {
    long day = Math.floorDiv(timeMs, DAY_MS);
    long forceNanos = 0;
    if (segment != null && segmentBytes > 0
        && (segmentBytes + bytes > options.segmentMaxBytes() || day != segmentDay)) {
      forceNanos = flushAndForce();
      segment.close();
      segment = null;
    }
    if (segment == null) {
      Path p = auditDir.resolve(Segments.name(written));
      writing = p;
      segments.put(written, p); // before the file exists: a failed attempt's restore deletes it
      segment = PrivateFiles.openAppend(p);
      PrivateFiles.forceDirectory(auditDir);
      segmentFirstSeq = written;
      segmentBytes = 0;
    }
    if (segmentBytes == 0) segmentDay = day;
    return forceNanos;
  }

  private long rotateTokens(long generation) throws IOException {
    long forceNanos = flushAndForce();
    tokens.close();
    writing = TokenJournal.file(dataDir, generation);
    tokens = PrivateFiles.openAppend(writing);
    tokensGeneration = generation;
    tokensBytes = tokens.size();
    PrivateFiles.forceDirectory(dataDir);
    return forceNanos;
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      if (ch != null) ch.close();
    } catch (IOException ignored) {
      // already failing or closing; the first cause is the one reported
    }
  }

  /** The two log lines of an outage: what failed, the file, the free space; and the recovery. */
  private final class Health implements GroupCommit.Health {
    @Override
    public void outage(Throwable cause, long firstSeq, int records) {
      Path file = writing == null ? auditDir : writing;
      long free = freeBytes(auditDir);
      outage = new WriteOutage("audit_log", file.toString(), String.valueOf(cause.getMessage()),
          options.clock().millis(), free);
      LOG.log(System.Logger.Level.ERROR, "audit log cannot be written: " + file + ": " + cause.getMessage()
          + " (" + free + " bytes free on its file system); requests that change sessions are refused (503)"
          + " and the " + records + " records from seq " + firstSeq + " are kept and retried until it can");
      options.logMetrics().outage(outage);
    }

    @Override
    public void recovered(long outageNanos, int attempts) {
      WriteOutage was = outage;
      outage = null;
      LOG.log(System.Logger.Level.INFO, "audit log writable again after " + outageNanos / 1_000_000 + " ms ("
          + attempts + " failed attempts): " + auditDir + " (" + freeBytes(auditDir) + " bytes free)");
      options.logMetrics().recovered(was, outageNanos);
    }
  }

  /** Usable bytes on the file system of {@code p}, -1 if it cannot be asked. */
  static long freeBytes(Path p) {
    try {
      return Files.getFileStore(p).getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  // ---------------------------------------------------------------- read

  /** Durable records, all readable by {@link #scan} (their futures complete right after). */
  @Override
  public long size() {
    return commits.durableSize();
  }

  @Override
  public void scan(long fromSeq, Predicate<String> visitor) throws IOException {
    if (fromSeq < 0) throw new IllegalArgumentException("fromSeq < 0: " + fromSeq);
    long end = commits.durableSize();
    if (fromSeq >= end) return;
    Long start = segments.floorKey(fromSeq);
    for (Map.Entry<Long, Path> e : segments.tailMap(start, true).entrySet()) {
      long seq = e.getKey();
      try (BufferedReader r = new BufferedReader(java.nio.channels.Channels.newReader(
          AuditFiles.of(dataDir).openSegment(e.getValue()), StandardCharsets.UTF_8), 1 << 16)) {
        for (String line; seq < end && (line = r.readLine()) != null; seq++) {
          if (seq >= fromSeq && !visitor.test(line)) return;
        }
      }
      if (seq >= end) return;
    }
  }

  /** The segments now, kept and archived, by first seq. */
  public TreeMap<Long, Path> segmentsSnapshot() {
    return new TreeMap<>(segments);
  }

  /** The first seq of the segment holding {@code seq}, or -1 when it is before every segment. */
  public long segmentFirstSeq(long seq) {
    Long k = segments.floorKey(seq);
    return k == null ? -1 : k;
  }

  /** Decides on and prepares the archival of one segment. */
  @FunctionalInterface
  public interface Archival {
    /**
     * Called before {@code segment} moves; false keeps it where it is (a legal hold). What it
     * writes must be durable when it returns true.
     */
    boolean prepare(Path segment, long firstSeq) throws IOException;
  }

  /**
   * Moves every closed segment whose last record is older than {@code cutoffMs} to audit/archive/
   * (an atomic rename, directories forced) unless {@code archival} keeps it; the open segment
   * always stays. Readers find a segment in either place. Returns how many moved.
   */
  public int archiveSegmentsBefore(long cutoffMs, Archival archival) throws IOException {
    Path archive = AuditFiles.of(dataDir).archiveDir();
    int moved = 0;
    for (Map.Entry<Long, Path> e : segments.entrySet()) {
      if (e.getKey().equals(segments.lastKey())) break;
      Path p = e.getValue();
      if (!p.getParent().equals(auditDir)) continue; // already archived
      String last = Segments.lastLine(p);
      if (last == null || Times.parse((String) Json.parseObject(last).get("time")) >= cutoffMs) break;
      if (!archival.prepare(p, e.getKey())) continue; // held
      PrivateFiles.createDirectories(archive);
      Path target = archive.resolve(p.getFileName());
      Files.move(p, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      segments.put(e.getKey(), target);
      moved++;
    }
    if (moved > 0) {
      PrivateFiles.forceDirectory(archive);
      PrivateFiles.forceDirectory(auditDir);
    }
    return moved;
  }

  /** Stops the writer after it has written everything queued, and closes the files. */
  @Override
  public void close() {
    commits.close();
    closeQuietly(segment);
    closeQuietly(tokens);
  }

  private void await(CompletableFuture<Void> f) throws IOException {
    try {
      f.join();
    } catch (CompletionException e) {
      throw new IOException("audit log append failed", e.getCause());
    }
  }

  Path dataDir() {
    return dataDir;
  }
}

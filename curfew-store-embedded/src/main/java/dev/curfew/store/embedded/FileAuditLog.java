package dev.curfew.store.embedded;

import dev.curfew.core.AuditLogReader;
import dev.curfew.core.AuditSink;
import dev.curfew.core.audit.AuditRecord;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The audit log on local disk: canonical JSON lines in segment files, group-committed.
 *
 * <p><b>Group commit.</b> {@link #append} only enqueues: under one lock it gives the records their
 * {@code seq} in call order and their {@code time}, clamped to the last time given (so time never
 * decreases in the log), and returns a future; the calling thread then serializes its own lines
 * outside the lock (serialization is most of the CPU cost, so it runs on the callers' cores). One
 * writer thread drains everything queued (up to {@code maxBatchRecords}), writes the lines and the
 * batch's token bindings, forces each file once, shows the durable lines to the {@link
 * LeafListener}, and only then completes the batch's futures. Many appends share one fsync, so
 * throughput grows with concurrency while each acknowledged record is on stable storage
 * (spec/audit.md, Durability). Futures complete on the writer thread: chain with the
 * {@code *Async} variants or keep dependents short and non-blocking.
 *
 * <p><b>Segments</b> ({@link Segments}) roll over when the next line would pass {@code
 * segmentMaxBytes} or when the record's UTC day differs from the segment's. <b>Open</b> cuts a torn
 * end of the last segment and records that cut as a {@code log.repaired} record; it checks that
 * {@code seq} runs without a gap across segments and fails with the first break otherwise.
 *
 * <p><b>Fail closed.</b> If a write or a force throws, the log stops for good: {@link #writable()}
 * turns false, the failing batch's and every queued future fail, later appends fail at once. It
 * does not retry: after a failed fsync the kernel may have dropped the dirty pages and a second
 * fsync can report success for data that is gone ("fsyncgate"), so the only trustworthy state is
 * what a restart reads back from disk. A restart (reopen) repairs and continues.
 */
public final class FileAuditLog implements AuditSink, AuditLogReader, AutoCloseable {
  private static final long DAY_MS = 86_400_000L;

  private final Path dataDir;
  private final Path auditDir;
  private final EmbeddedStore.Options options;
  private final ConcurrentSkipListMap<Long, Path> segments = new ConcurrentSkipListMap<>();
  private final OpenReport openReport;
  private final Thread writer;

  // Enqueue side: guarded by lock.
  private final Object lock = new Object();
  private ArrayDeque<Pending> queue = new ArrayDeque<>();
  private long nextSeq;
  private long queuedRecords;
  private long tokenGeneration;
  /** Time of the last record given a seq: times are clamped to it so they never decrease. */
  private long lastTimeMs = Long.MIN_VALUE;
  private boolean closing;
  private volatile Throwable failure;

  // Writer side: touched by the writer thread only (and by open before it starts).
  private FileChannel segment;
  private long segmentBytes;
  private long segmentDay;
  private FileChannel tokens;
  private long written;
  private final ByteArrayOutputStream auditBuf = new ByteArrayOutputStream(1 << 16);
  private final ByteArrayOutputStream tokenBuf = new ByteArrayOutputStream(1 << 12);
  private volatile long durableSize;

  /**
   * What open found: records already there, the type and time of the last one ({@code
   * Long.MIN_VALUE}: none), and any cut.
   */
  public record OpenReport(long recordsAtOpen, String lastTypeAtOpen, long lastTimeMsAtOpen, long cutBytes,
      String repairedSegment) {}

  /**
   * One append call, or a token journal rotation marker ({@code tokenGeneration >= 0}). Its seq
   * and clamped times are fixed under the enqueue lock; its lines are serialized once, by whichever
   * thread claims it first: the appending thread right after enqueueing (so that serialization
   * runs in parallel on the callers' cores), or the writer if it gets there first.
   */
  private static final class Pending {
    final List<AuditRecord> records;
    final List<TokenBinding> bindings;
    final long firstSeq;
    final long[] timesMs;
    final long tokenGeneration;
    final CompletableFuture<Void> future;
    private final AtomicBoolean claimed = new AtomicBoolean();
    private volatile boolean serialized;
    private byte[][] lines;
    private byte[][] tokenLines;
    private RuntimeException error;

    Pending(List<AuditRecord> records, List<TokenBinding> bindings, long firstSeq, long[] timesMs,
        long tokenGeneration, CompletableFuture<Void> future) {
      this.records = records;
      this.bindings = bindings;
      this.firstSeq = firstSeq;
      this.timesMs = timesMs;
      this.tokenGeneration = tokenGeneration;
      this.future = future;
    }

    void serialize() {
      if (!claimed.compareAndSet(false, true)) return;
      try {
        byte[][] l = new byte[records.size()][];
        for (int i = 0; i < l.length; i++) l[i] = records.get(i).canonicalLine(firstSeq + i, timesMs[i]);
        byte[][] t = new byte[bindings.size()][];
        for (int i = 0; i < t.length; i++) t[i] = TokenJournal.line(bindings.get(i));
        lines = l;
        tokenLines = t;
      } catch (RuntimeException e) {
        error = e;
      } finally {
        serialized = true; // publishes the fields above
      }
    }

    /** Serializes unless another thread claimed it, then waits (microseconds) for that thread. */
    void awaitSerialized() {
      serialize();
      while (!serialized) Thread.onSpinWait();
      if (error != null) {
        // its seq is taken: the log cannot skip it, so it fails closed like a write error
        throw new IllegalStateException("record at seq " + firstSeq + " cannot be serialized: " + error, error);
      }
    }
  }

  /** Where a snapshot starts: a new token journal generation at log size {@code seq}. */
  record Mark(long tokenGeneration, long seq, CompletableFuture<Void> durable) {}

  private FileAuditLog(Path dataDir, EmbeddedStore.Options options) throws IOException {
    this.dataDir = dataDir;
    this.auditDir = dataDir.resolve("audit");
    this.options = options;
    PrivateFiles.createDirectories(dataDir);
    PrivateFiles.createDirectories(auditDir);
    this.openReport = recoverSegments();
    openTokenJournal();
    this.nextSeq = openReport.recordsAtOpen();
    this.written = nextSeq;
    this.durableSize = nextSeq;
    this.writer = new Thread(this::run, "curfew-audit-writer");
    this.writer.setDaemon(true);
  }

  /**
   * Opens (creating if needed) the log under {@code dataDir}: repairs a torn end, checks seq
   * continuity, starts the writer and, if it cut anything, appends a durable {@code log.repaired}
   * record from {@code node}.
   */
  public static FileAuditLog open(Path dataDir, EmbeddedStore.Options options, String node) throws IOException {
    Objects.requireNonNull(node, "node");
    FileAuditLog log = new FileAuditLog(dataDir, Objects.requireNonNull(options, "options"));
    log.writer.start();
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
    long expected = found.firstKey() == 0 ? 0 : -1;
    String lastLine = null;
    for (Map.Entry<Long, Path> e : found.headMap(found.lastKey()).entrySet()) {
      checkStart(e.getValue(), e.getKey(), expected, Segments.firstLine(e.getValue()));
      lastLine = Segments.lastLine(e.getValue());
      expected = Segments.seqOf(lastLine) + 1;
      segments.put(e.getKey(), e.getValue());
    }
    Path last = found.lastEntry().getValue();
    long first = found.lastKey();
    Segments.Tail tail = Segments.repair(last);
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
    resumeSegment(last, tail.lines() > 0 ? lastLine : null);
    if (lastLine != null) lastTimeMs = Times.parse((String) Json.parseObject(lastLine).get("time"));
    String lastType = lastLine == null ? null : (String) Json.parseObject(lastLine).get("type");
    return new OpenReport(size, lastType, lastTimeMs, tail.cutBytes(), last.getFileName().toString());
  }

  private static void checkStart(Path segment, long nameSeq, long expected, String firstLine) throws IOException {
    if (expected == -1) {
      throw new DamagedLogException("audit log starts at segment " + segment.getFileName() + ", not at seq 0:"
          + " the segments before it are missing from audit/ and audit/archive/");
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

  private void resumeSegment(Path last, String lastLineInSegment) throws IOException {
    segment = PrivateFiles.openAppend(last);
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
    PrivateFiles.forceDirectory(dataDir);
  }

  // ---------------------------------------------------------------- append

  /**
   * Enqueues {@code records} (seq assigned now, in call order) and {@code bindings}; the future
   * completes when both are durable, or fails if the log fails first. The lists must not change
   * afterwards. Blocks only while more than {@code maxQueuedRecords} wait for the writer.
   */
  @Override
  public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
    Objects.requireNonNull(records, "records");
    Objects.requireNonNull(bindings, "bindings");
    CompletableFuture<Void> future = new CompletableFuture<>();
    int n = records.size();
    Pending pending;
    synchronized (lock) {
      while (queuedRecords > 0 && queuedRecords + n > options.maxQueuedRecords() && acceptingLocked()) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return CompletableFuture.failedFuture(e);
        }
      }
      if (!acceptingLocked()) return CompletableFuture.failedFuture(notWritable());
      long[] timesMs = new long[n];
      for (int i = 0; i < n; i++) {
        lastTimeMs = Math.max(lastTimeMs, records.get(i).timeMs());
        timesMs[i] = lastTimeMs;
      }
      pending = new Pending(records, bindings, nextSeq, timesMs, -1, future);
      enqueueLocked(pending);
      nextSeq += n;
      queuedRecords += n;
    }
    pending.serialize();
    return future;
  }

  /** Completes when everything appended before this call is durable. */
  public CompletableFuture<Void> sync() {
    return append(List.of(), List.of());
  }

  /**
   * Starts a new token journal generation at this point of the append order and returns it with
   * the log size at the same point: bindings of records with seq {@code >= seq} go to the new
   * generation. The future completes when the switch (and all before it) is durable.
   */
  Mark startTokenGeneration() {
    CompletableFuture<Void> future = new CompletableFuture<>();
    synchronized (lock) {
      if (!acceptingLocked()) throw notWritable();
      long gen = ++tokenGeneration;
      enqueueLocked(new Pending(List.of(), List.of(), nextSeq, new long[0], gen, future));
      return new Mark(gen, nextSeq, future);
    }
  }

  /** Deletes token journal generations older than {@code generation} (after a durable snapshot). */
  void deleteTokenGenerationsBefore(long generation) throws IOException {
    boolean deleted = false;
    for (Path p : TokenJournal.generations(dataDir).headMap(generation).values()) {
      deleted |= Files.deleteIfExists(p);
    }
    if (deleted) PrivateFiles.forceDirectory(dataDir);
  }

  private void enqueueLocked(Pending p) {
    if (queue.isEmpty()) lock.notifyAll();
    queue.add(p);
  }

  private boolean acceptingLocked() {
    return failure == null && !closing;
  }

  private IllegalStateException notWritable() {
    Throwable f = failure;
    return f != null ? new IllegalStateException("audit log failed closed: " + f, f)
        : new IllegalStateException("audit log is closed");
  }

  @Override
  public boolean writable() {
    return failure == null && !closing;
  }

  /** Why the log failed closed, or null. */
  public Throwable failure() {
    return failure;
  }

  // ---------------------------------------------------------------- writer

  private void run() {
    List<Pending> batch = List.of();
    try {
      while ((batch = take()) != null) {
        commit(batch);
      }
    } catch (Throwable t) {
      failClosed(t, batch);
    }
  }

  private List<Pending> take() throws InterruptedException {
    synchronized (lock) {
      while (queue.isEmpty() && !closing) lock.wait();
      if (queue.isEmpty()) return null;
      List<Pending> batch = new ArrayList<>();
      long n = 0;
      while (!queue.isEmpty() && (batch.isEmpty() || n + queue.peek().records.size() <= options.maxBatchRecords())) {
        Pending p = queue.poll();
        batch.add(p);
        n += p.records.size();
      }
      queuedRecords -= n;
      lock.notifyAll(); // appenders waiting for room
      return batch;
    }
  }

  private void commit(List<Pending> batch) throws IOException {
    long firstSeq = written;
    long forceNanos = 0;
    for (Pending p : batch) {
      if (p.firstSeq != written) {
        throw new IllegalStateException("writer at seq " + written + " but next append has seq " + p.firstSeq);
      }
      if (p.tokenGeneration >= 0) {
        forceNanos += rotateTokens(p.tokenGeneration);
        continue;
      }
      p.awaitSerialized();
      for (int i = 0; i < p.lines.length; i++) {
        byte[] line = p.lines[i];
        forceNanos += rollIfNeeded(line.length + 1L, p.timesMs[i]);
        auditBuf.write(line, 0, line.length);
        auditBuf.write('\n');
        segmentBytes += line.length + 1L;
        written++;
      }
      for (byte[] line : p.tokenLines) tokenBuf.write(line, 0, line.length);
    }
    forceNanos += flushAndForce();
    options.logMetrics().fsynced(forceNanos, (int) (written - firstSeq));
    for (Pending p : batch) {
      for (int i = 0; i < p.records.size(); i++) options.leafListener().appended(p.firstSeq + i, p.lines[i]);
    }
    durableSize = written;
    for (Pending p : batch) {
      p.future.complete(null);
    }
  }

  /** Writes both buffers and forces each file that got bytes; returns the nanoseconds forcing. */
  private long flushAndForce() throws IOException {
    boolean tokenBytes = tokenBuf.size() > 0;
    boolean auditBytes = auditBuf.size() > 0;
    writeFully(tokens, tokenBuf);
    if (auditBytes) {
      if (segment == null) throw new IllegalStateException("no open segment for " + auditBuf.size() + " bytes");
      writeFully(segment, auditBuf);
    }
    long t0 = System.nanoTime();
    if (tokenBytes) tokens.force(false);
    if (auditBytes) segment.force(false);
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
      segment = PrivateFiles.openAppend(p);
      PrivateFiles.forceDirectory(auditDir);
      segments.put(written, p);
      segmentBytes = 0;
    }
    if (segmentBytes == 0) segmentDay = day;
    return forceNanos;
  }

  private long rotateTokens(long generation) throws IOException {
    long forceNanos = flushAndForce();
    tokens.close();
    tokens = PrivateFiles.openAppend(TokenJournal.file(dataDir, generation));
    PrivateFiles.forceDirectory(dataDir);
    return forceNanos;
  }

  private void failClosed(Throwable cause, List<Pending> batch) {
    List<Pending> failed = new ArrayList<>(batch);
    synchronized (lock) {
      failure = cause;
      failed.addAll(queue);
      queue = new ArrayDeque<>();
      queuedRecords = 0;
      lock.notifyAll();
    }
    IllegalStateException e = notWritable();
    for (Pending p : failed) {
      p.future.completeExceptionally(e);
    }
    closeQuietly(segment);
    closeQuietly(tokens);
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      if (ch != null) ch.close();
    } catch (IOException ignored) {
      // already failing closed; the first cause is the one reported
    }
  }

  // ---------------------------------------------------------------- read

  /** Durable records: those whose futures have completed, all readable by {@link #scan}. */
  @Override
  public long size() {
    return durableSize;
  }

  @Override
  public void scan(long fromSeq, Predicate<String> visitor) throws IOException {
    if (fromSeq < 0) throw new IllegalArgumentException("fromSeq < 0: " + fromSeq);
    long end = durableSize;
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

  /**
   * Moves every closed segment whose last record is older than {@code cutoffMs} to audit/archive/
   * (an atomic rename, directories forced); the open segment always stays. Readers find a segment
   * in either place. Returns how many moved.
   */
  public int archiveSegmentsBefore(long cutoffMs) throws IOException {
    Path archive = AuditFiles.of(dataDir).archiveDir();
    int moved = 0;
    for (Map.Entry<Long, Path> e : segments.entrySet()) {
      if (e.getKey().equals(segments.lastKey())) break;
      Path p = e.getValue();
      if (!p.getParent().equals(auditDir)) continue; // already archived
      String last = Segments.lastLine(p);
      if (last == null || Times.parse((String) Json.parseObject(last).get("time")) >= cutoffMs) break;
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
    synchronized (lock) {
      if (closing) return;
      closing = true;
      lock.notifyAll();
    }
    try {
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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

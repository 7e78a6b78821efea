package dev.curfew.core.audit;

import dev.curfew.core.AuditSink.TokenBinding;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/*
 * Group commit, the part every audit log shares whatever it writes to (spec/audit.md, Durability:
 * "appends are group-committed (many records, one fsync) before the acknowledgement is sent").
 *
 * Queue. append() only enqueues: under one lock it gives the records their seq in call order and
 * their time, clamped to the last time given so that time never decreases in the log, and returns
 * a future. The calling thread then serializes its own lines outside the lock (serialization is
 * most of the CPU cost, so it runs on the callers' cores); the writer serializes whatever a caller
 * has not claimed yet.
 *
 * Batching. One writer thread takes everything queued, up to maxBatchRecords, hands it to the
 * Writer (which makes it durable: one fsync, one transaction), then tells the Writer it is durable,
 * and only then completes the futures. Many appends share one commit, so throughput grows with
 * concurrency while each acknowledged record is on stable storage.
 *
 * Back-pressure. Appends block while maxQueuedRecords wait (records count until they are durable,
 * so a long outage fills the queue and then stops the appenders instead of memory).
 *
 * Outage. A Writer that throws IOException could not write the batch now (a full disk, a database
 * that cannot be reached); it promises that its storage is as before the call, or that it puts it
 * back first thing on the next call. The log then turns unwritable (writable() false: the engine
 * refuses requests, fail closed), keeps the batch and everything behind it, and retries the same
 * batch with a delay growing from retryDelayMin to retryDelayMax. The first success makes it
 * writable again: no restart, no gap (the batch keeps its seqs), no duplicate (a retry writes the
 * batch, not a second copy). Records with a seq are never dropped while the log runs, because the
 * caller has already changed its state in memory: dropping them would make memory disagree with
 * the log. Health hears of the outage once when it starts and once when it ends.
 *
 * Copies. replicate() takes a line that already has its seq (another log's record, verbatim), so
 * that a log can mirror another through the same queue, batching, back-pressure and retry; a log
 * takes either appends or copies, not both.
 *
 * Failure for good. Anything else the Writer throws (a bug, a record that cannot be serialized, a
 * log that another process wrote) stops the log: every queued future fails and later appends fail
 * at once. So does an outage that outlasts closeTimeout once close() was called.
 */

/**
 * The queue, batching, back-pressure, retry and fail-closed rule of an audit log; a {@link Writer}
 * supplies the storage. Thread-safe.
 */
public final class GroupCommit implements AutoCloseable {

  /** Makes batches durable. Called on the writer thread only. */
  public interface Writer {
    /**
     * Writes {@code batch} (consecutive seqs from its first entry's) durably. Throws
     * IOException when it could not, now, with its storage left as before the call (or restored
     * at the start of the next call): the same batch is then retried. Any other exception stops
     * the log for good.
     */
    void write(List<Entry> batch) throws IOException;

    /** {@code batch} is durable; called once, before its futures complete. Must not block. */
    default void durable(List<Entry> batch) {}
  }

  /** Told when the log stops being writable and when it is writable again. */
  public interface Health {
    Health NONE = new Health() {
      @Override public void outage(Throwable cause, long firstSeq, int records) {}

      @Override public void recovered(long outageNanos, int attempts) {}
    };

    /** The first failed attempt of an outage: batch of {@code records} from {@code firstSeq}. */
    void outage(Throwable cause, long firstSeq, int records);

    /** The first success after an outage that lasted {@code outageNanos} over {@code attempts} attempts. */
    void recovered(long outageNanos, int attempts);
  }

  /**
   * @param maxQueuedRecords appends block while this many records are not durable yet
   * @param maxBatchRecords most records in one commit
   * @param retryDelayMin the pause after the first failed attempt
   * @param retryDelayMax the longest pause between attempts: how late a recovery can be noticed
   * @param closeTimeout how long close() waits for an outage to end before it gives up
   */
  public record Options(int maxQueuedRecords, int maxBatchRecords, java.time.Duration retryDelayMin,
      java.time.Duration retryDelayMax, java.time.Duration closeTimeout) {
    public Options {
      if (maxQueuedRecords < 1) throw new IllegalArgumentException("maxQueuedRecords < 1: " + maxQueuedRecords);
      if (maxBatchRecords < 1) throw new IllegalArgumentException("maxBatchRecords < 1: " + maxBatchRecords);
      Objects.requireNonNull(retryDelayMin, "retryDelayMin");
      Objects.requireNonNull(retryDelayMax, "retryDelayMax");
      Objects.requireNonNull(closeTimeout, "closeTimeout");
      if (retryDelayMin.toMillis() < 1 || retryDelayMax.compareTo(retryDelayMin) < 0) {
        throw new IllegalArgumentException("retry delays not 1 ms <= min <= max: " + retryDelayMin + ", " + retryDelayMax);
      }
      if (closeTimeout.isNegative()) throw new IllegalArgumentException("closeTimeout < 0: " + closeTimeout);
    }
  }

  /**
   * One append call, or a marker (a point in the append order the Writer acts on, such as a new
   * token journal generation: no records). Its seq and clamped times are fixed under the enqueue
   * lock; its lines are serialized once, by whichever thread claims it first.
   */
  public static final class Entry {
    private static final int SPINS = 200;
    private final List<AuditRecord> records; // null for a copied line
    private final List<TokenBinding> bindings;
    private final Object marker;
    private final long firstSeq;
    private final long[] timesMs;
    private final CompletableFuture<Void> future = new CompletableFuture<>();
    private final AtomicBoolean claimed = new AtomicBoolean();
    private volatile boolean serialized;
    private volatile Thread waiting; // the writer, parked until the claiming thread is done
    private byte[][] lines;
    private RuntimeException error;

    private Entry(List<AuditRecord> records, List<TokenBinding> bindings, Object marker, long firstSeq, long[] timesMs) {
      this.records = records;
      this.bindings = bindings;
      this.marker = marker;
      this.firstSeq = firstSeq;
      this.timesMs = timesMs;
    }

    /** The records' count (0 for a marker). */
    public int size() {
      return records == null ? 1 : records.size();
    }

    /** Whether this entry is a copied line ({@link #replicate}): no record, no time, its line as given. */
    public boolean copied() {
      return records == null;
    }

    public long firstSeq() {
      return firstSeq;
    }

    /** The seq after this entry's records. */
    public long endSeq() {
      return firstSeq + size();
    }

    /** The marker object, or null for an append. */
    public Object marker() {
      return marker;
    }

    /** The records appended (empty for a marker and for a copied line). */
    public List<AuditRecord> records() {
      return records == null ? List.of() : records;
    }

    public List<TokenBinding> bindings() {
      return bindings;
    }

    /** The time of record {@code i} as written (clamped); not known for a copied line. */
    public long timeMs(int i) {
      if (records == null) throw new IllegalStateException("a copied line's time is in the line");
      return timesMs[i];
    }

    /** The canonical line of record {@code i} (no newline); do not modify it. */
    public byte[] line(int i) {
      return lines[i];
    }

    private static Entry copied(byte[] line, long seq) {
      Entry e = new Entry(null, List.of(), null, seq, null);
      e.lines = new byte[][] {line};
      e.claimed.set(true);
      e.serialized = true;
      return e;
    }

    void serialize() {
      if (!claimed.compareAndSet(false, true)) return;
      try {
        byte[][] l = new byte[records.size()][];
        for (int i = 0; i < l.length; i++) l[i] = records.get(i).canonicalLine(firstSeq + i, timesMs[i]);
        lines = l;
      } catch (RuntimeException e) {
        error = e;
      } finally {
        serialized = true; // publishes the fields above
        Thread w = waiting;
        if (w != null) LockSupport.unpark(w);
      }
    }

    /**
     * Serializes unless another thread claimed it, then waits for that thread: a short spin (it
     * takes microseconds), then parked until it is done, so that a writer waiting for a caller
     * that lost its core does not keep the core from it.
     */
    void awaitSerialized() {
      serialize();
      for (int spins = 0; !serialized && spins < SPINS; spins++) Thread.onSpinWait();
      if (!serialized) {
        waiting = Thread.currentThread();
        while (!serialized) LockSupport.park(this);
        waiting = null;
      }
      if (error != null) {
        // its seq is taken: the log cannot skip it, so it fails closed
        throw new IllegalStateException("record at seq " + firstSeq + " cannot be serialized: " + error, error);
      }
    }
  }

  /** Where a marker sits in the append order: the log size there, and when all before it is durable. */
  public record Marked(long seq, CompletableFuture<Void> durable) {}

  private final String name;
  private final Options options;
  private final Writer writer;
  private final Health health;
  private final Thread thread;

  // Enqueue side: guarded by lock.
  private final Object lock = new Object();
  private ArrayDeque<Entry> queue = new ArrayDeque<>();
  private long nextSeq;
  private long notDurableRecords;
  private long lastTimeMs;
  private boolean closing;
  private long closeStartedNanos;
  private volatile Throwable failure;

  private final java.util.TreeMap<Long, List<CompletableFuture<Void>>> waiters = new java.util.TreeMap<>(); // by lock
  private volatile boolean outage;
  private volatile Throwable lastOutage;
  private volatile long durableSize;

  /**
   * @param name what the log is, for messages ("audit log in /var/lib/curfew")
   * @param nextSeq the seq of the next record (the log's size)
   * @param lastTimeMs the time of the log's last record ({@code Long.MIN_VALUE}: none)
   */
  public GroupCommit(String name, Options options, Writer writer, Health health, long nextSeq, long lastTimeMs) {
    this.name = Objects.requireNonNull(name, "name");
    this.options = Objects.requireNonNull(options, "options");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.health = health == null ? Health.NONE : health;
    if (nextSeq < 0) throw new IllegalArgumentException("nextSeq < 0: " + nextSeq);
    this.nextSeq = nextSeq;
    this.durableSize = nextSeq;
    this.lastTimeMs = lastTimeMs;
    this.thread = new Thread(this::run, "curfew-group-commit");
    this.thread.setDaemon(true);
  }

  /** Starts the writer thread. */
  public GroupCommit start() {
    thread.start();
    return this;
  }

  /**
   * Enqueues {@code records} (seq assigned now, in call order) and {@code bindings}; the future
   * completes when both are durable, or fails if the log fails for good first. The lists must not
   * change afterwards. Blocks only while {@code maxQueuedRecords} are not durable yet.
   */
  public CompletableFuture<Void> append(List<AuditRecord> records, List<TokenBinding> bindings) {
    Objects.requireNonNull(records, "records");
    Objects.requireNonNull(bindings, "bindings");
    int n = records.size();
    Entry entry;
    synchronized (lock) {
      while (notDurableRecords > 0 && notDurableRecords + n > options.maxQueuedRecords() && acceptingLocked()) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return CompletableFuture.failedFuture(e);
        }
      }
      if (!acceptingLocked()) return CompletableFuture.failedFuture(notAccepting());
      long[] timesMs = new long[n];
      for (int i = 0; i < n; i++) {
        lastTimeMs = Math.max(lastTimeMs, records.get(i).timeMs());
        timesMs[i] = lastTimeMs;
      }
      entry = new Entry(records, bindings, null, nextSeq, timesMs);
      enqueueLocked(entry);
    }
    entry.serialize();
    return entry.future;
  }

  /** Completes when everything appended before this call is durable. */
  public CompletableFuture<Void> sync() {
    return append(List.of(), List.of());
  }

  /**
   * Enqueues {@code line}, which already is record {@code seq} (a copy of another log's record,
   * written verbatim). Returns false, enqueuing nothing, when {@code seq} is not the next one (a
   * seq already held or queued, or one beyond the next), or when the log has failed or is closed.
   * Blocks only while {@code maxQueuedRecords} are not durable yet. {@link #durableThrough} tells
   * when it is durable.
   */
  public boolean replicate(long seq, byte[] line) {
    Objects.requireNonNull(line, "line");
    synchronized (lock) {
      if (seq != nextSeq) return false;
      while (notDurableRecords > 0 && notDurableRecords + 1 > options.maxQueuedRecords() && acceptingLocked()) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      if (!acceptingLocked() || seq != nextSeq) return false;
      enqueueLocked(Entry.copied(line.clone(), seq));
      return true;
    }
  }

  /** The seq the next record gets (durable and queued records). */
  public long nextSeq() {
    synchronized (lock) {
      return nextSeq;
    }
  }

  /**
   * Completes once the first {@code size} records are durable; fails if the log fails for good
   * first.
   */
  public CompletableFuture<Void> durableThrough(long size) {
    if (durableSize >= size) return CompletableFuture.completedFuture(null);
    synchronized (lock) {
      if (failure != null) return CompletableFuture.failedFuture(notAccepting());
      if (durableSize >= size) return CompletableFuture.completedFuture(null);
      CompletableFuture<Void> f = new CompletableFuture<>();
      waiters.computeIfAbsent(size, k -> new ArrayList<>(1)).add(f);
      return f;
    }
  }

  /** Places {@code marker} at this point of the append order; the Writer sees it in its batch. */
  public Marked mark(Object marker) {
    Objects.requireNonNull(marker, "marker");
    synchronized (lock) {
      if (!acceptingLocked()) throw notAccepting();
      Entry e = new Entry(List.of(), List.of(), marker, nextSeq, new long[0]);
      enqueueLocked(e);
      return new Marked(e.firstSeq, e.future);
    }
  }

  private void enqueueLocked(Entry e) {
    if (queue.isEmpty()) lock.notifyAll();
    queue.add(e);
    nextSeq += e.size();
    notDurableRecords += e.size();
  }

  private boolean acceptingLocked() {
    return failure == null && !closing;
  }

  private IllegalStateException notAccepting() {
    Throwable f = failure;
    return f != null ? new IllegalStateException(name + " failed closed: " + f, f)
        : new IllegalStateException(name + " is closed");
  }

  /** False during an outage, after a failure for good, and once closing. */
  public boolean writable() {
    return failure == null && !outage && !closing;
  }

  /** Whether an outage is under way (the batch in flight waits for a retry to succeed). */
  public boolean inOutage() {
    return outage;
  }

  /** The cause of the current or last outage, or null. */
  public Throwable lastOutage() {
    return lastOutage;
  }

  /** Why the log failed for good, or null. */
  public Throwable failure() {
    return failure;
  }

  /** Records durable now (every record below this seq). */
  public long durableSize() {
    return durableSize;
  }

  // ---------------------------------------------------------------- writer thread

  private void run() {
    List<Entry> batch = List.of();
    try {
      while ((batch = take()) != null) {
        commitUntilDone(batch);
        batch = List.of();
      }
    } catch (Throwable t) {
      failClosed(t, batch);
    }
  }

  private List<Entry> take() throws InterruptedException {
    synchronized (lock) {
      while (queue.isEmpty() && !closing) lock.wait();
      if (queue.isEmpty()) return null;
      List<Entry> batch = new ArrayList<>();
      long n = 0;
      while (!queue.isEmpty() && (batch.isEmpty() || n + queue.peek().size() <= options.maxBatchRecords())) {
        Entry e = queue.poll();
        batch.add(e);
        n += e.size();
      }
      return batch;
    }
  }

  private void commitUntilDone(List<Entry> batch) throws IOException, InterruptedException {
    long seq = batch.get(0).firstSeq;
    for (Entry e : batch) e.serialize(); // the ones no caller claimed yet, before waiting for any
    for (Entry e : batch) {
      if (e.firstSeq != seq) throw new IllegalStateException("batch at seq " + seq + " but the next entry has seq " + e.firstSeq);
      e.awaitSerialized();
      seq = e.endSeq();
    }
    long delayMs = options.retryDelayMin().toMillis();
    long outageStartedNanos = 0;
    int attempts = 0;
    while (true) {
      try {
        writer.write(batch);
        break;
      } catch (IOException e) {
        attempts++;
        lastOutage = e;
        if (!outage) {
          outage = true;
          outageStartedNanos = System.nanoTime();
          health.outage(e, batch.get(0).firstSeq, (int) (seq - batch.get(0).firstSeq));
        } else if (outageStartedNanos == 0) {
          outageStartedNanos = System.nanoTime();
        }
        giveUpIfClosedTooLong(e);
        TimeUnit.MILLISECONDS.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, options.retryDelayMax().toMillis());
      }
    }
    durableSize = seq;
    writer.durable(batch);
    if (outage) {
      outage = false;
      health.recovered(System.nanoTime() - outageStartedNanos, attempts);
    }
    long records = seq - batch.get(0).firstSeq;
    List<CompletableFuture<Void>> reached = new ArrayList<>();
    synchronized (lock) {
      notDurableRecords -= records;
      lock.notifyAll(); // appenders waiting for room
      while (!waiters.isEmpty() && waiters.firstKey() <= seq) reached.addAll(waiters.pollFirstEntry().getValue());
    }
    for (Entry e : batch) e.future.complete(null);
    for (CompletableFuture<Void> f : reached) f.complete(null);
  }

  private void giveUpIfClosedTooLong(IOException cause) throws IOException {
    synchronized (lock) {
      if (closing && System.nanoTime() - closeStartedNanos > options.closeTimeout().toNanos()) {
        throw new IllegalStateException("closed while " + name + " could not be written: " + notDurableRecords
            + " records from seq " + durableSize + " were not written", cause);
      }
    }
  }

  private void failClosed(Throwable cause, List<Entry> batch) {
    List<Entry> failed = new ArrayList<>(batch);
    List<CompletableFuture<Void>> waiting = new ArrayList<>();
    synchronized (lock) {
      failure = cause;
      failed.addAll(queue);
      queue = new ArrayDeque<>();
      notDurableRecords = 0;
      for (List<CompletableFuture<Void>> w : waiters.values()) waiting.addAll(w);
      waiters.clear();
      lock.notifyAll();
    }
    IllegalStateException e = notAccepting();
    for (Entry p : failed) p.future.completeExceptionally(e);
    for (CompletableFuture<Void> w : waiting) w.completeExceptionally(e);
  }

  /**
   * Stops accepting appends, waits until the writer has written everything queued (during an
   * outage: until it ends or {@code closeTimeout} passes, then what is left fails), and stops.
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closing) return;
      closing = true;
      closeStartedNanos = System.nanoTime();
      lock.notifyAll();
    }
    try {
      if (thread.isAlive()) thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}

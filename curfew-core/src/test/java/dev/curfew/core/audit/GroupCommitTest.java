package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GroupCommitTest {
  private static final GroupCommit.Options OPTIONS = new GroupCommit.Options(1_000, 100, Duration.ofMillis(1),
      Duration.ofMillis(20), Duration.ofMillis(200));

  private static AuditRecord event(long i) {
    return AuditRecord.builder("test.event", 1_000, "node-1").put("i", i).build();
  }

  /** A storage that keeps what it was given and fails while {@code full} is set. */
  private static final class Storage implements GroupCommit.Writer {
    final List<Long> seqs = new CopyOnWriteArrayList<>();
    final AtomicBoolean full = new AtomicBoolean();
    final AtomicInteger attempts = new AtomicInteger();

    @Override
    public void write(List<GroupCommit.Entry> batch) throws IOException {
      attempts.incrementAndGet();
      if (full.get()) throw new IOException("No space left on device");
      for (GroupCommit.Entry e : batch) {
        for (int i = 0; i < e.size(); i++) seqs.add(e.firstSeq() + i);
      }
    }
  }

  @Test
  void outage_keepsTheBatch_refusesNothingAcknowledged_andRecoversWithoutGapOrDuplicate() throws Exception {
    Storage storage = new Storage();
    List<String> health = new CopyOnWriteArrayList<>();
    GroupCommit log = new GroupCommit("test log", OPTIONS, storage, new GroupCommit.Health() {
      @Override public void outage(Throwable cause, long firstSeq, int records) {
        health.add("outage at " + firstSeq + ": " + cause.getMessage());
      }

      @Override public void recovered(long outageNanos, int attempts) {
        health.add("recovered");
      }
    }, 0, Long.MIN_VALUE).start();
    try {
      log.append(List.of(event(0), event(1)), List.of()).join();
      storage.full.set(true);
      List<CompletableFuture<Void>> during = new ArrayList<>();
      for (int i = 2; i < 12; i++) during.add(log.append(List.of(event(i)), List.of()));
      await().atMost(Duration.ofSeconds(30)).until(() -> !log.writable() && storage.attempts.get() >= 5);
      assertThat(log.inOutage()).isTrue();
      assertThat(during).noneMatch(CompletableFuture::isDone);
      assertThat(log.durableSize()).isEqualTo(2);

      storage.full.set(false);
      assertThat(CompletableFuture.allOf(during.toArray(CompletableFuture[]::new))).succeedsWithin(Duration.ofSeconds(5));
      assertThat(log.writable()).isTrue();
      assertThat(storage.seqs).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L);
      assertThat(health).containsExactly("outage at 2: No space left on device", "recovered");
      assertThat(log.failure()).isNull();
    } finally {
      log.close();
    }
  }

  @Test
  void aWriterWaitingForACallerStillSerializing_parksInsteadOfSpinning() throws Exception {
    List<Long> seqs = new CopyOnWriteArrayList<>();
    CountDownLatch firstWrite = new CountDownLatch(1);
    GroupCommit log = new GroupCommit("test log", OPTIONS, batch -> {
      try {
        firstWrite.await(30, TimeUnit.SECONDS); // the writer is busy with the first batch
      } catch (InterruptedException e) {
        throw new IOException(e);
      }
      for (GroupCommit.Entry e : batch) {
        for (int i = 0; i < e.size(); i++) seqs.add(e.firstSeq() + i);
      }
    }, null, 0, Long.MIN_VALUE).start();
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger reads = new AtomicInteger();
    AuditRecord record = event(1);
    // read once under the enqueue lock (its time), then by the caller that serializes it: that read
    // holds the caller as if it had lost its core
    List<AuditRecord> slow = new AbstractList<>() {
      @Override public AuditRecord get(int i) {
        if (reads.incrementAndGet() > 1) {
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        return record;
      }

      @Override public int size() {
        return 1;
      }
    };
    try {
      CompletableFuture<Void> first = log.append(List.of(event(0)), List.of());
      await().atMost(Duration.ofSeconds(30)).until(() -> log.durableSize() == 0 && firstWrite.getCount() == 1
          && writerWriting());
      // the caller claims the second entry while the writer cannot: it is writing the first batch
      CompletableFuture<CompletableFuture<Void>> appended = CompletableFuture.supplyAsync(() -> log.append(slow, List.of()));
      await().atMost(Duration.ofSeconds(30)).until(() -> reads.get() == 2);
      firstWrite.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> writerWaiting() != null);
      Thread writer = writerWaiting();
      Thread.sleep(100);
      int parked = 0;
      for (int i = 0; i < 10; i++) {
        Thread.State st = writer.getState();
        if (st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING) parked++;
        Thread.sleep(10);
      }
      release.countDown();
      assertThat(appended.get(30, TimeUnit.SECONDS)).succeedsWithin(Duration.ofSeconds(30));
      assertThat(first).succeedsWithin(Duration.ofSeconds(30));
      assertThat(seqs).containsExactly(0L, 1L);
      assertThat(parked).as("samples of the waiting writer that found it parked").isGreaterThanOrEqualTo(8);
    } finally {
      firstWrite.countDown();
      release.countDown();
      log.close();
    }
  }

  /** Whether a group-commit writer thread is inside its Writer's write. */
  private static boolean writerWriting() {
    for (var e : Thread.getAllStackTraces().entrySet()) {
      if (!e.getKey().getName().equals("curfew-group-commit")) continue;
      for (StackTraceElement f : e.getValue()) {
        if (f.getMethodName().equals("commitUntilDone")) return true;
      }
    }
    return false;
  }

  /** The group-commit writer thread that is waiting for a caller's serialization, or null. */
  private static Thread writerWaiting() {
    for (var e : Thread.getAllStackTraces().entrySet()) {
      if (!e.getKey().getName().equals("curfew-group-commit")) continue;
      for (StackTraceElement f : e.getValue()) {
        if (f.getMethodName().equals("awaitSerialized")) return e.getKey();
      }
    }
    return null;
  }

  @Test
  void aWriterBug_failsClosedForGood() {
    GroupCommit log = new GroupCommit("test log", OPTIONS, batch -> {
      throw new IllegalStateException("bug");
    }, null, 0, Long.MIN_VALUE).start();
    try {
      CompletableFuture<Void> f = log.append(List.of(event(0)), List.of());
      await().atMost(Duration.ofSeconds(30)).until(f::isDone);
      assertThat(f).isCompletedExceptionally();
      assertThat(log.writable()).isFalse();
      assertThat(log.failure()).hasMessage("bug");
      assertThat(log.append(List.of(event(1)), List.of())).isCompletedExceptionally();
    } finally {
      log.close();
    }
  }

  @Test
  void closeDuringAnOutage_givesUpAfterTheCloseTimeout() {
    Storage storage = new Storage();
    storage.full.set(true);
    GroupCommit log = new GroupCommit("test log", OPTIONS, storage, null, 0, Long.MIN_VALUE).start();
    CompletableFuture<Void> f = log.append(List.of(event(0)), List.of());
    await().atMost(Duration.ofSeconds(30)).until(log::inOutage);
    log.close(); // returns once the 200 ms close timeout passed
    assertThat(f).isCompletedExceptionally();
    assertThat(log.failure()).hasMessageContaining("closed while test log could not be written");
  }
  @Test
  void copiedLines_takeOnlyTheNextSeq_areWrittenVerbatim_andDurableThroughTellsWhen() throws Exception {
    List<String> written = new CopyOnWriteArrayList<>();
    AtomicBoolean full = new AtomicBoolean();
    GroupCommit log = new GroupCommit("test log", OPTIONS, batch -> {
      if (full.get()) throw new IOException("unreachable");
      for (GroupCommit.Entry e : batch) {
        for (int i = 0; i < e.size(); i++) {
          assertThat(e.copied()).isTrue();
          written.add(e.firstSeq() + i + ":" + new String(e.line(i), java.nio.charset.StandardCharsets.UTF_8));
        }
      }
    }, null, 3, Long.MIN_VALUE).start();
    try {
      assertThat(log.replicate(4, "ahead".getBytes())).isFalse(); // a gap is never made
      assertThat(log.replicate(2, "held".getBytes())).isFalse(); // below the log's size
      full.set(true);
      CompletableFuture<Void> through5 = log.durableThrough(5);
      assertThat(log.replicate(3, "a".getBytes())).isTrue();
      assertThat(log.replicate(3, "a again".getBytes())).isFalse(); // queued already
      assertThat(log.replicate(4, "b".getBytes())).isTrue();
      assertThat(log.nextSeq()).isEqualTo(5);
      await().atMost(Duration.ofSeconds(30)).until(log::inOutage);
      assertThat(through5).isNotDone(); // kept, not acknowledged
      full.set(false);
      assertThat(through5).succeedsWithin(Duration.ofSeconds(5));
      assertThat(log.durableThrough(4)).isDone();
      assertThat(written).containsExactly("3:a", "4:b");
    } finally {
      log.close();
    }
  }

  @Test
  void durableThrough_failsWhenTheLogFailsForGood() {
    GroupCommit log = new GroupCommit("test log", OPTIONS, batch -> {
      if (!batch.isEmpty()) throw new IllegalStateException("bug");
    }, null, 0, Long.MIN_VALUE).start();
    try {
      CompletableFuture<Void> through = log.durableThrough(1);
      log.append(List.of(event(0)), List.of());
      assertThat(through).failsWithin(Duration.ofSeconds(5));
      assertThat(log.durableThrough(1)).isCompletedExceptionally();
    } finally {
      log.close();
    }
  }
}

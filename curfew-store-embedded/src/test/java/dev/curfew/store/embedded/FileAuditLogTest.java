package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.AuditSink.TokenBinding;
import dev.curfew.core.ManualClock;
import dev.curfew.core.TokenHash;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.core.audit.Times;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileAuditLogTest {
  private static final long T0 = Times.parse("2026-11-26T22:00:00.000Z");

  @TempDir Path dir;
  private final ManualClock clock = new ManualClock(java.time.Instant.ofEpochMilli(T0));

  private EmbeddedStore.Options options() {
    return EmbeddedStore.Options.defaults().withClock(clock);
  }

  private static AuditRecord event(long timeMs, long i) {
    return AuditRecord.builder("test.event", timeMs, "node-1").put("i", i).build();
  }

  private static List<String> lines(FileAuditLog log) throws IOException {
    List<String> out = new ArrayList<>();
    log.scan(0, out::add);
    return out;
  }

  @Test
  void groupCommit_concurrentAppendsGetGapFreeSeqAndNonDecreasingTime() throws Exception {
    int threads = 8;
    int perThread = 25_000;
    AtomicInteger commits = new AtomicInteger();
    List<Long> leafSeqs = new ArrayList<>(); // writer thread only
    EmbeddedStore.Options opts = options()
        .withLogMetrics((nanos, records) -> commits.incrementAndGet())
        .withLeafListener((seq, line) -> leafSeqs.add(seq));
    List<CompletableFuture<Void>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
    long started;
    long elapsedNanos;
    try (FileAuditLog log = FileAuditLog.open(dir, opts, "node-1")) {
      List<Thread> workers = new ArrayList<>();
      started = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        int id = t;
        workers.add(new Thread(() -> {
          for (int i = 0; i < perThread; i++) {
            // times jump back and forth: the log must clamp them to never decrease
            long time = T0 + (i % 7 == 0 ? -5_000 : i);
            futures.add(log.append(List.of(event(time, (long) id * perThread + i)), List.of()));
          }
        }));
      }
      workers.forEach(Thread::start);
      for (Thread w : workers) w.join();
      CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).join();
      elapsedNanos = System.nanoTime() - started;
      assertThat(log.size()).isEqualTo((long) threads * perThread);
    }
    long n = (long) threads * perThread;
    System.out.printf("group commit: %d records in %.0f ms (%.0f records/s), %d fsyncs%n",
        n, elapsedNanos / 1e6, n / (elapsedNanos / 1e9), commits.get());
    assertThat(futures).hasSize((int) n).allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
    assertThat(commits.get()).isLessThan((int) n / 10); // many records per fsync
    assertThat(leafSeqs).hasSize((int) n);
    for (int i = 0; i < n; i++) assertThat(leafSeqs.get(i)).isEqualTo(i);

    try (FileAuditLog log = FileAuditLog.open(dir, options(), "node-1")) {
      List<String> lines = lines(log);
      assertThat(lines).hasSize((int) n);
      long lastTime = Long.MIN_VALUE;
      for (int i = 0; i < lines.size(); i++) {
        Map<String, Object> rec = Json.parseObject(lines.get(i));
        assertThat(rec.get("seq")).isEqualTo((long) i);
        long time = Times.parse((String) rec.get("time"));
        assertThat(time).isGreaterThanOrEqualTo(lastTime);
        lastTime = time;
      }
    }
  }

  @Test
  void tornLastLine_isCutAndRecorded_earlierLinesIntact() throws Exception {
    try (FileAuditLog log = FileAuditLog.open(dir, options(), "node-1")) {
      for (int i = 0; i < 10; i++) log.append(List.of(event(T0 + i, i)), List.of());
      log.sync().join();
    }
    Path segment = dir.resolve("audit").resolve(Segments.name(0));
    byte[] before = Files.readAllBytes(segment);
    byte[] torn = "{\"data\":{\"i\":10},\"node\":\"no".getBytes(StandardCharsets.UTF_8);
    Files.write(segment, torn, StandardOpenOption.APPEND);

    try (FileAuditLog log = FileAuditLog.open(dir, options(), "node-9")) {
      assertThat(log.openReport().cutBytes()).isEqualTo(torn.length);
      assertThat(log.recordsAtOpen()).isEqualTo(10);
      List<String> lines = lines(log);
      assertThat(lines).hasSize(11);
      byte[] after = Files.readAllBytes(segment);
      assertThat(new String(after, 0, before.length, StandardCharsets.UTF_8))
          .isEqualTo(new String(before, StandardCharsets.UTF_8));
      Map<String, Object> repaired = Json.parseObject(lines.get(10));
      assertThat(repaired.get("type")).isEqualTo(RecordTypes.LOG_REPAIRED);
      assertThat(repaired.get("seq")).isEqualTo(10L);
      assertThat(repaired.get("node")).isEqualTo("node-9");
      assertThat(repaired.get("data")).isEqualTo(Map.of(
          "cut_bytes", (long) torn.length, "segment", Segments.name(0), "after_seq", 9L));
    }
  }

  @Test
  void unparseableCompleteLastLine_isCut() throws Exception {
    try (FileAuditLog log = FileAuditLog.open(dir, options(), "node-1")) {
      for (int i = 0; i < 3; i++) log.append(List.of(event(T0 + i, i)), List.of());
      log.sync().join();
    }
    Path segment = dir.resolve("audit").resolve(Segments.name(0));
    Files.write(segment, new byte[] {0, 0, 0, '\n', 0, 0}, StandardOpenOption.APPEND);
    try (FileAuditLog log = FileAuditLog.open(dir, options(), "node-1")) {
      assertThat(log.openReport().cutBytes()).isEqualTo(6);
      assertThat(lines(log)).hasSize(4).last().asString().contains(RecordTypes.LOG_REPAIRED);
    }
  }

  @Test
  void openFails_whenSeqIsNotContinuous() throws Exception {
    try (FileAuditLog log = FileAuditLog.open(dir, options(), "node-1")) {
      for (int i = 0; i < 5; i++) log.append(List.of(event(T0 + i, i)), List.of());
      log.sync().join();
    }
    Path segment = dir.resolve("audit").resolve(Segments.name(0));
    List<String> lines = new ArrayList<>(Files.readAllLines(segment));
    lines.remove(2);
    Files.write(segment, lines);
    assertThatThrownBy(() -> FileAuditLog.open(dir, options(), "node-1"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("not continuous");
  }

  @Test
  void segmentsRollBySize_scanCrossesThem_andSeqContinuesAfterReopen() throws Exception {
    EmbeddedStore.Options opts = options().withSegmentMaxBytes(1_000);
    try (FileAuditLog log = FileAuditLog.open(dir, opts, "node-1")) {
      for (int i = 0; i < 100; i++) log.append(List.of(event(T0 + i, i)), List.of());
      log.sync().join();
    }
    var segments = Segments.list(dir.resolve("audit"));
    assertThat(segments.size()).isGreaterThan(5);
    for (var e : segments.entrySet()) {
      assertThat(Files.size(e.getValue())).isLessThanOrEqualTo(1_000);
      assertThat(Segments.seqOf(Segments.firstLine(e.getValue()))).isEqualTo(e.getKey());
    }
    try (FileAuditLog log = FileAuditLog.open(dir, opts, "node-1")) {
      assertThat(log.size()).isEqualTo(100);
      List<String> from37 = new ArrayList<>();
      log.scan(37, from37::add);
      assertThat(from37).hasSize(63);
      for (int i = 0; i < from37.size(); i++) {
        assertThat(Json.parseObject(from37.get(i)).get("seq")).isEqualTo(37L + i);
      }
      List<String> stopped = new ArrayList<>();
      log.scan(50, l -> stopped.add(l) && stopped.size() < 3);
      assertThat(stopped).hasSize(3);
      log.append(List.of(event(T0, 100)), List.of()).join();
      assertThat(Json.parseObject(lines(log).get(100)).get("seq")).isEqualTo(100L);
    }
  }

  @Test
  void segmentsRollAtUtcMidnight() throws Exception {
    long beforeMidnight = Times.parse("2026-11-26T23:59:59.999Z");
    try (FileAuditLog log = FileAuditLog.open(dir, options(), "node-1")) {
      log.append(List.of(event(beforeMidnight - 1, 0), event(beforeMidnight, 1)), List.of()).join();
      log.append(List.of(event(beforeMidnight + 1, 2), event(beforeMidnight + 2, 3)), List.of()).join();
    }
    assertThat(Segments.list(dir.resolve("audit")).keySet()).containsExactly(0L, 2L);
  }

  @Test
  void filesAre0600_directories0700_andTokenHashesStayOutOfTheAuditLog() throws Exception {
    TokenHash hash = TokenHash.of("cft_secret-token-value");
    try (FileAuditLog log = FileAuditLog.open(dir.resolve("data"), options(), "node-1")) {
      log.append(List.of(event(T0, 0)), List.of(new TokenBinding("s_1", hash, T0))).join();
    }
    Path data = dir.resolve("data");
    assertThat(mode(data)).isEqualTo("rwx------");
    assertThat(mode(data.resolve("audit"))).isEqualTo("rwx------");
    assertThat(mode(data.resolve("tokens-0.jsonl"))).isEqualTo("rw-------");
    assertThat(mode(data.resolve("audit").resolve(Segments.name(0)))).isEqualTo("rw-------");
    assertThat(Files.readString(data.resolve("tokens-0.jsonl"))).contains(hash.toHex()).contains("\"s_1\"");
    assertThat(Files.readString(data.resolve("audit").resolve(Segments.name(0)))).doesNotContain(hash.toHex());
  }

  @Test
  void failsClosed_whenTheWriterFails_andStaysFailed() throws Exception {
    AtomicLong calls = new AtomicLong();
    EmbeddedStore.Options opts = options().withLeafListener((seq, line) -> {
      if (calls.incrementAndGet() == 3) throw new IllegalStateException("disk on fire");
    });
    try (FileAuditLog log = FileAuditLog.open(dir, opts, "node-1")) {
      log.append(List.of(event(T0, 0), event(T0, 1)), List.of()).join();
      CompletableFuture<Void> third = log.append(List.of(event(T0, 2)), List.of());
      assertThatThrownBy(third::join).isInstanceOf(CompletionException.class).hasMessageContaining("disk on fire");
      assertThat(log.writable()).isFalse();
      assertThat(log.failure()).hasMessage("disk on fire");
      assertThat(log.append(List.of(event(T0, 3)), List.of())).isCompletedExceptionally();
    }
    try (FileAuditLog log = FileAuditLog.open(dir, options(), "node-1")) {
      assertThat(log.writable()).isTrue();
      assertThat(log.size()).isEqualTo(3); // the third was written but never acknowledged
    }
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}

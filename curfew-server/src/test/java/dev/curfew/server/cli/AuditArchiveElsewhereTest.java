package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Clock;
import dev.curfew.core.ManualClock;
import dev.curfew.core.SystemClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.AuditTrail;
import dev.curfew.store.embedded.EmbeddedStore;
import dev.curfew.store.embedded.FileAuditLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code audit export} and {@code audit attest} on a data directory whose archive was moved
 * elsewhere: they read it with {@code --archive DIR}, as verify and evidence do, and without it
 * they fail naming the archived records not at hand rather than leave them out.
 */
class AuditArchiveElsewhereTest {
  @TempDir Path data;
  @TempDir Path elsewhere;
  @TempDir Path work;

  /** 50 records of 2024 over several segments, then a start (today) that archives them, and the archive moved. */
  private void writeArchivedLog() throws IOException {
    ManualClock clock = new ManualClock(Instant.parse("2024-06-01T09:00:00Z"));
    AuditTrail trail = AuditTrail.open(data, AuditTrail.Settings.defaults(), "vm", clock);
    FileAuditLog log = FileAuditLog.open(data, EmbeddedStore.Options.defaults().withClock(clock)
        .withSegmentMaxBytes(2048).withLeafListener(trail), "vm");
    trail.attach(log);
    for (int i = 0; i < 50; i++) {
      log.append(List.of(AuditRecord.builder(RecordTypes.SESSION_CREATED, clock.millis(), "vm")
          .session("s_" + (i % 3), "subject-" + (i % 3), "standard", 1).build()), List.of()).join();
      clock.advance(Duration.ofSeconds(10));
    }
    log.close();
    trail.close();
    Clock now = new SystemClock();
    trail = AuditTrail.open(data, AuditTrail.Settings.defaults(), "vm", now);
    log = FileAuditLog.open(data, EmbeddedStore.Options.defaults().withClock(now).withLeafListener(trail), "vm");
    trail.attach(log);
    log.append(List.of(AuditRecord.builder(RecordTypes.SESSION_CREATED, now.millis(), "vm")
        .session("s_new", "subject-new", "standard", 1).build()), List.of()).join();
    log.close();
    trail.close();
    try (Stream<Path> s = Files.list(AuditFiles.of(data).archiveDir())) {
      List<Path> archived = s.toList();
      assertThat(archived).hasSizeGreaterThan(1);
      for (Path p : archived) Files.move(p, elsewhere.resolve(p.getFileName()));
    }
  }

  @Test
  void export_withoutTheArchive_failsNamingTheArchivedRecords_andWithItWritesThemAll() throws IOException {
    writeArchivedLog();

    CliRun without = CliRun.of("audit", "export", "--data", data.toString());
    CliRun with = CliRun.of("audit", "export", "--data", data.toString(), "--archive", elsewhere.toString());
    CliRun recent = CliRun.of("audit", "export", "--data", data.toString(), "--from", "2025-01-01");

    assertThat(without.exit()).as(without.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(without.err()).contains("seq 0..").contains("archived").contains("--archive");
    assertThat(with.exit()).as(with.err()).isZero();
    assertThat(with.out().lines().filter(l -> l.contains("\"time\":\"2024-")).count()).isEqualTo(50);
    assertThat(with.out().lines().map(l -> dev.curfew.core.audit.Json.parseObject(l).get("seq")).toList())
        .as("every record, in seq order").isEqualTo(java.util.stream.LongStream.range(0, with.out().lines().count())
            .boxed().toList());
    assertThat(recent.exit()).as("the archived records are all before --from: %s", recent.err()).isZero();
    assertThat(recent.out()).doesNotContain("\"time\":\"2024-").contains("s_new");
  }

  @Test
  void attest_withoutTheArchive_failsNamingTheArchivedRecords_andWithItAttestsAndVerifies() throws IOException {
    writeArchivedLog();
    Path q = work.resolve("q");

    CliRun without = CliRun.of("audit", "attest", "--data", data.toString(), "--from", "2024-01-01", "--to", "2030-01-01",
        "--out", q.toString());
    CliRun with = CliRun.of("audit", "attest", "--data", data.toString(), "--from", "2024-01-01", "--to", "2030-01-01",
        "--out", q.toString(), "--archive", elsewhere.toString());
    CliRun verifyWith = CliRun.of("audit", "attest", "--data", data.toString(), "--verify",
        q.resolve("attestation.json").toString(), "--archive", elsewhere.toString());
    CliRun verifyWithout = CliRun.of("audit", "attest", "--data", data.toString(), "--verify",
        q.resolve("attestation.json").toString());

    assertThat(without.exit()).as(without.out() + without.err()).isNotZero();
    assertThat(without.err()).contains("seq 0..").contains("archived").contains("--archive");
    assertThat(with.exit()).as(with.out() + with.err()).isZero();
    assertThat(verifyWith.exit()).as(verifyWith.out() + verifyWith.err()).isZero();
    assertThat(verifyWithout.exit()).as(verifyWithout.out() + verifyWithout.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(verifyWithout.out()).contains("seq 0..").contains("--archive");
  }
}

package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.AuditTrail;
import dev.curfew.store.embedded.DataDirLock;
import dev.curfew.store.embedded.EmbeddedStore;
import dev.curfew.store.embedded.FileAuditLog;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code curfew audit repair} on hand-written logs of a stopped server. */
class AuditRepairTest {
  @TempDir Path dir;

  @Test
  void aTornLastLineIsNotDamage_butWhatTheNextStartCuts() throws IOException {
    Path data = AuditExportTest.logOf(dir.resolve("data"), 7);
    Path segment = AuditExportTest.segment(data);
    Files.writeString(segment, "{\"data\":{},\"node\":\"vm\",\"seq\":7,\"ti", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    byte[] before = Files.readAllBytes(segment);

    CliRun r = CliRun.of("audit", "repair", "--data", data.toString());

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("is continuous").contains(segment + " line 8")
        .contains("no line feed").contains("log.repaired").doesNotContain("damage");
    assertThat(Files.readAllBytes(segment)).as("nothing changed").isEqualTo(before);
  }

  @Test
  void aBreakBeforeATornLastLineIsStillNamed() throws IOException {
    Path data = AuditExportTest.logOf(dir.resolve("data"), 7);
    Path segment = AuditExportTest.segment(data);
    Files.writeString(segment, AuditExportTest.line(3) + "\n{\"data\":{},\"node\":\"vm\",\"seq\":8,\"ti",
        StandardCharsets.UTF_8, StandardOpenOption.APPEND);

    CliRun r = CliRun.of("audit", "repair", "--data", data.toString());

    assertThat(r.exit()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).contains(segment + " line 8 has seq 3 where seq 7 was due; 1 record(s) follow");
  }

  @Test
  void aDirectoryInUseIsRefusedAsACommandThatCannotRunNow_notAsABreak() throws IOException {
    Path data = AuditExportTest.logOf(dir.resolve("data"), 7);
    try (DataDirLock held = DataDirLock.acquire(data, "serve")) {
      CliRun r = CliRun.of("audit", "repair", "--data", data.toString());

      assertThat(r.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
      assertThat(r.err()).startsWith("curfew: the data directory ").contains("is in use")
          .contains("pid " + ProcessHandle.current().pid()).doesNotContain("\tat ");
      assertThat(r.out()).isEmpty();
    }
  }

  @Test
  void anArchiveMovedElsewhere_isNoBreak() throws IOException {
    Path data = dir.resolve("data");
    ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    AuditTrail trail = AuditTrail.open(data, AuditTrail.Settings.defaults().withRetention(Duration.ofDays(400)), "vm", clock);
    FileAuditLog log = FileAuditLog.open(data, EmbeddedStore.Options.defaults().withClock(clock).withSegmentMaxBytes(2048)
        .withLeafListener(trail), "vm");
    trail.attach(log);
    for (int i = 0; i < 45; i++) {
      if (i == 40) clock.advance(Duration.ofDays(401));
      log.append(List.of(AuditRecord.builder(RecordTypes.SESSION_CREATED, clock.millis(), "vm")
          .session("s_" + i, "alice", "standard", 1).build()), List.of()).join();
    }
    assertThat(trail.applyRetention()).isPositive();
    log.close();
    trail.close();
    Path cold = Files.createDirectories(dir.resolve("cold"));
    try (Stream<Path> s = Files.list(AuditFiles.of(data).archiveDir())) {
      for (Path p : s.toList()) Files.move(p, cold.resolve(p.getFileName()));
    }

    CliRun r = CliRun.of("audit", "repair", "--data", data.toString());

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("is continuous").doesNotContain("damage");
  }
}

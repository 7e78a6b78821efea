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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `curfew audit hold` and `curfew audit verify|evidence --archive` on a data directory whose old
 * segments are past the retention: a hold keeps them out of the archive until it is lifted, both
 * steps are records with the actor, and the archive moved elsewhere is still proven (and a changed
 * one caught) through audit/archived.jsonl.
 */
class AuditHoldCliTest {
  private static final Pattern HOLD_ID = Pattern.compile("(hold_[0-9a-f]{12})");
  @TempDir Path data;
  @TempDir Path elsewhere;

  /** Old records (2024) of three subjects over several segments, written with a manual clock. */
  private void writeOldLog() throws IOException {
    ManualClock clock = new ManualClock(Instant.parse("2024-06-01T09:00:00Z"));
    AuditTrail trail = AuditTrail.open(data, AuditTrail.Settings.defaults(), "node-1", clock);
    FileAuditLog log = FileAuditLog.open(data, EmbeddedStore.Options.defaults().withClock(clock)
        .withSegmentMaxBytes(2048).withLeafListener(trail), "node-1");
    trail.attach(log);
    for (int i = 0; i < 60; i++) {
      log.append(List.of(AuditRecord.builder(RecordTypes.SESSION_CREATED, clock.millis(), "node-1")
          .session("s_" + (i % 3), "subject-" + (i % 3), "standard", 1).build()), List.of()).join();
      clock.advance(Duration.ofSeconds(10));
    }
    log.close();
    trail.close();
  }

  /** Opens the trail as the server does at start (with the real clock: 2024 is past the 400 days), which applies the retention. */
  private void startAndStop() throws IOException {
    Clock clock = new SystemClock();
    AuditTrail trail = AuditTrail.open(data, AuditTrail.Settings.defaults(), "node-1", clock);
    FileAuditLog log = FileAuditLog.open(data, EmbeddedStore.Options.defaults().withClock(clock).withLeafListener(trail), "node-1");
    trail.attach(log);
    log.close();
    trail.close();
  }

  private long archivedCount() throws IOException {
    Path archive = AuditFiles.of(data).archiveDir();
    if (!Files.isDirectory(archive)) return 0;
    try (Stream<Path> s = Files.list(archive)) {
      return s.count();
    }
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void aHoldPlacedFromTheCli_keepsSegmentsOutOfTheArchive_untilLifted_andVerifySaysWhatIsHeld() throws IOException {
    writeOldLog();
    CliRun placed = run("audit", "hold", "place", "--data", data.toString(), "--subject", "subject-2",
        "--reason", "matter 2026-114", "--actor", "legal@example.com");
    assertThat(placed.exit()).as(placed.out() + placed.err()).isZero();
    Matcher m = HOLD_ID.matcher(placed.out());
    assertThat(m.find()).as(placed.out()).isTrue();
    String id = m.group(1);
    assertThat(run("audit", "hold", "list", "--data", data.toString()).out()).contains(id).contains("subject \"subject-2\"")
        .contains("legal@example.com");

    startAndStop();
    assertThat(archivedCount()).isZero(); // every old segment has a record of subject-2

    CliRun held = run("audit", "verify", "--data", data.toString());
    assertThat(held.exit()).as(held.out() + held.err()).isZero();
    assertThat(held.out()).contains("holds:       1 in force").contains(id);
    String log = String.join("\n", Files.readAllLines(Files.list(AuditFiles.of(data).auditDir())
        .filter(p -> p.getFileName().toString().startsWith("audit-")).max(Path::compareTo).orElseThrow(), StandardCharsets.UTF_8));
    assertThat(log).contains("\"type\":\"audit.hold_placed\"").contains("\"actor\":\"legal@example.com\"");

    CliRun lifted = run("audit", "hold", "lift", "--data", data.toString(), "--id", id,
        "--reason", "matter closed", "--actor", "legal@example.com");
    assertThat(lifted.exit()).as(lifted.out() + lifted.err()).isZero();
    assertThat(run("audit", "hold", "list", "--data", data.toString()).out()).contains("no hold in force");
    startAndStop();
    assertThat(archivedCount()).isGreaterThan(1);

    // the archive moved elsewhere: still proven, from the subtree hashes kept in audit/archived.jsonl
    try (Stream<Path> s = Files.list(AuditFiles.of(data).archiveDir())) {
      for (Path p : s.toList()) Files.move(p, elsewhere.resolve(p.getFileName()));
    }
    CliRun without = run("audit", "verify", "--data", data.toString());
    assertThat(without.exit()).as(without.out() + without.err()).isZero();
    assertThat(without.out()).contains("not at hand (give --archive DIR)").contains("holds:       none in force");
    CliRun with = run("audit", "verify", "--data", data.toString(), "--archive", elsewhere.toString());
    assertThat(with.exit()).as(with.out() + with.err()).isZero();
    assertThat(with.out()).contains("all read and compared with what was archived");

    CliRun evidence = run("audit", "evidence", "--data", data.toString(), "--session", "s_1",
        "--archive", elsewhere.toString());
    assertThat(evidence.exit()).as(evidence.out() + evidence.err()).isZero();
    Path bundle = elsewhere.resolveSibling(elsewhere.getFileName() + "-bundle.json");
    Files.writeString(bundle, evidence.out());
    Path key = elsewhere.resolveSibling(elsewhere.getFileName() + "-key.pub");
    Files.writeString(key, run("audit", "public-key", "--data", data.toString()).out());
    CliRun checked = run("audit", "verify-evidence", bundle.toString(), "--public-key", key.toString());
    assertThat(checked.exit()).as(checked.out() + checked.err()).isZero();
    assertThat(checked.out()).contains("OK: 20 records of session s_1");

    // a changed archive is caught and named
    Path first;
    try (Stream<Path> s = Files.list(elsewhere)) {
      first = s.sorted().findFirst().orElseThrow();
    }
    Files.writeString(first, Files.readString(first).replaceFirst("subject-1", "subject-7"));
    CliRun tampered = run("audit", "verify", "--data", data.toString(), "--archive", elsewhere.toString());
    assertThat(tampered.exit()).as(tampered.out() + tampered.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(tampered.out()).contains("FAILED").contains("ARCHIVE CHANGED").contains(first.getFileName().toString());
  }

  @Test
  void placingAHold_needsASubjectOrAPeriod_andTheActor() throws IOException {
    writeOldLog();
    assertThat(run("audit", "hold", "place", "--data", data.toString(), "--reason", "x", "--actor", "a").exit()).isEqualTo(2);
    assertThat(run("audit", "hold", "place", "--data", data.toString(), "--subject", "s", "--from", "2024-01-01",
        "--to", "2025-01-01", "--reason", "x", "--actor", "a").exit()).isEqualTo(2);
    assertThat(run("audit", "hold", "place", "--data", data.toString(), "--subject", "s", "--reason", "x").exit()).isEqualTo(2);
    CliRun period = run("audit", "hold", "place", "--data", data.toString(), "--from", "2024-06-01",
        "--to", "2024-06-02", "--reason", "inquiry", "--actor", "a");
    assertThat(period.exit()).as(period.out() + period.err()).isZero();
    assertThat(period.out()).contains("period [2024-06-01T00:00:00.000Z, 2024-06-02T00:00:00.000Z)");
  }
}

package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.ManualClock;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment file that is not part of the log's chain (a copy of a later part with edits, named by a
 * seq that another segment already holds, or one after the log's end) is named by {@code audit
 * verify} and {@code audit export}, as {@code serve} refuses to start on it.
 */
class AuditStraySegmentTest {
  @TempDir Path data;

  /** A cleanly stopped log of 60 records over several segments, written with a manual clock. */
  static void writeLog(Path data, int records) throws IOException {
    ManualClock clock = new ManualClock(Instant.parse("2026-06-01T09:00:00Z"));
    AuditTrail trail = AuditTrail.open(data, AuditTrail.Settings.defaults(), "vm", clock);
    FileAuditLog log = FileAuditLog.open(data, EmbeddedStore.Options.defaults().withClock(clock)
        .withSegmentMaxBytes(2048).withLeafListener(trail), "vm");
    trail.attach(log);
    for (int i = 0; i < records; i++) {
      log.append(List.of(AuditRecord.builder(RecordTypes.SESSION_CREATED, clock.millis(), "vm")
          .session("s_" + (i % 3), "subject-" + (i % 3), "standard", 1).build()), List.of()).join();
      clock.advance(Duration.ofSeconds(10));
    }
    log.close();
    trail.close();
  }

  /** The kept segments by first seq. */
  static TreeMap<Long, Path> segments(Path data) throws IOException {
    TreeMap<Long, Path> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(AuditFiles.of(data).auditDir())) {
      for (Path p : s.toList()) {
        String n = p.getFileName().toString();
        if (n.matches("audit-\\d{20}\\.jsonl")) out.put(Long.parseLong(n.substring(6, 26)), p);
      }
    }
    return out;
  }

  /** Copies the lines of the second segment from its fourth on, one edited, under the name of its fourth line's seq. */
  private Path forgeACopyOfALaterPart() throws IOException {
    Map.Entry<Long, Path> second = new ArrayList<>(segments(data).entrySet()).get(1);
    List<String> lines = Files.readAllLines(second.getValue(), StandardCharsets.UTF_8);
    List<String> copy = new ArrayList<>(lines.subList(3, lines.size()));
    copy.set(0, copy.get(0).replace("subject-", "subject-x"));
    Path forged = second.getValue().resolveSibling(String.format("audit-%020d.jsonl", second.getKey() + 3));
    Files.write(forged, copy, StandardCharsets.UTF_8);
    return forged;
  }

  @Test
  void verify_namesASegmentFileThatStartsInsideAnother_andFails() throws IOException {
    writeLog(data, 60);
    assertThat(segments(data)).hasSizeGreaterThan(3);
    assertThat(CliRun.of("audit", "verify", "--data", data.toString()).exit()).isZero();
    Path forged = forgeACopyOfALaterPart();

    CliRun r = CliRun.of("audit", "verify", "--data", data.toString());

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).contains("FAILED").contains("NOT IN THE LOG: " + forged);
  }

  @Test
  void verify_namesEverySegmentFileAfterTheLogsEnd() throws IOException {
    writeLog(data, 60);
    Path last = segments(data).lastEntry().getValue();
    Path after1 = last.resolveSibling(String.format("audit-%020d.jsonl", 1000));
    Path after2 = last.resolveSibling(String.format("audit-%020d.jsonl", 2000));
    Files.writeString(after1, Files.readAllLines(last).get(0).replace("\"seq\":", "\"seq\":1") + "\n");
    Files.writeString(after2, "");

    CliRun r = CliRun.of("audit", "verify", "--data", data.toString());

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).contains("NOT IN THE LOG: " + after1).contains("NOT IN THE LOG: " + after2);
  }

  @Test
  void export_writesTheWholeChain_thenFailsNamingTheSegmentFileNotInIt() throws IOException {
    writeLog(data, 60);
    String whole = CliRun.of("audit", "export", "--data", data.toString()).out();
    assertThat(whole.lines()).hasSizeGreaterThanOrEqualTo(60);
    Path forged = forgeACopyOfALaterPart();

    CliRun r = CliRun.of("audit", "export", "--data", data.toString());

    assertThat(r.exit()).as(r.err()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).as("every record of the chain, none of the forged file").isEqualTo(whole);
    assertThat(r.err()).contains(forged.toString()).contains("not part of the log");
  }
}

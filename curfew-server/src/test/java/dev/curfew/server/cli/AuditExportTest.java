package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code curfew audit export} on hand-written logs: what it writes when a line cannot be read, and
 * which ranges it refuses.
 */
class AuditExportTest {
  @TempDir Path dir;

  /** A data directory whose log is one segment of {@code records} records, one per second from 2026-01-01. */
  static Path logOf(Path data, int records) throws IOException {
    Files.createDirectories(data.resolve("audit"));
    StringBuilder sb = new StringBuilder();
    for (int seq = 0; seq < records; seq++) sb.append(line(seq)).append('\n');
    Files.writeString(segment(data), sb.toString(), StandardCharsets.UTF_8);
    return data;
  }

  static Path segment(Path data) {
    return data.resolve("audit").resolve("audit-00000000000000000000.jsonl");
  }

  static String line(int seq) {
    return String.format("{\"data\":{},\"node\":\"vm\",\"seq\":%d,\"time\":\"2026-01-01T00:%02d:%02d.000Z\",\"type\":\"session.logged_out\"}",
        seq, seq / 60, seq % 60);
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void anUnreadableLineEndsTheExportAfterEveryWholeRecordBeforeIt_andIsNamed() throws IOException {
    Path data = logOf(dir.resolve("data"), 402);
    List<String> lines = new ArrayList<>(Files.readAllLines(segment(data)));
    lines.set(299, "{garbage");
    Files.write(segment(data), lines);

    CliRun r = run("audit", "export", "--data", data.toString());

    assertThat(r.exit()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).isEqualTo(String.join("\n", lines.subList(0, 299)) + "\n");
    assertThat(r.err().strip()).doesNotContain("\n")
        .contains(segment(data).toString()).contains("line 300").contains("seq 299")
        .contains("299 records");
  }

  @Test
  void anUnreadableFirstLineWritesNothing() throws IOException {
    Path data = logOf(dir.resolve("data"), 5);
    Files.writeString(segment(data), "{garbage\n" + Files.readString(segment(data)));

    CliRun r = run("audit", "export", "--data", data.toString(), "--format", "csv");

    assertThat(r.exit()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(r.out()).as("the header only").isEqualTo(String.join(",", AuditCommand.Export.CSV_COLUMNS) + "\r\n");
    assertThat(r.err()).contains("line 1").contains("seq 0");
  }

  @Test
  void aRangeThatEndsBeforeItStartsIsRefusedAsAttestRefusesIt() throws IOException {
    Path data = logOf(dir.resolve("data"), 3);
    CliRun export = run("audit", "export", "--data", data.toString(), "--from", "2027-01-01", "--to", "2026-01-01");
    CliRun attest = run("audit", "attest", "--data", data.toString(), "--from", "2027-01-01", "--to", "2026-01-01",
        "--out", dir.resolve("q").toString());

    assertThat(export.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(export.out()).isEmpty();
    assertThat(attest.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
    assertThat(export.err()).isEqualTo(attest.err()).startsWith("curfew: --to must be after --from");
  }
}

package dev.curfew.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit page's filters by time and type, read by the server, and their CSV export. */
class ConsoleAuditExportTest {
  @TempDir Path dir;
  private ConsoleFixture f;

  @BeforeEach
  void start() throws Exception {
    f = new ConsoleFixture(dir); // the clock starts at 2026-11-26T22:00:00Z
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
  }

  @Test
  void recordsFilteredByTimeRangeAndType_areTheServersQuery() {
    f.open("alice");
    f.clock.advance(Duration.ofHours(1));
    String bob = f.open("bob").get("session_id").asText();
    f.clock.advance(Duration.ofHours(1));
    f.open("carol");
    ConsoleFixture.Operator op = f.signIn(ConsoleFixture.KEY);
    HttpResponse<String> r = f.get("/console/api/audit/records?type=session.created&from=2026-11-26T22:30:00Z"
        + "&to=2026-11-26T23:30:00Z", op.token());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(ConsoleFixture.json(r).get("records").findValuesAsText("session_id")).containsExactly(bob);
  }

  @Test
  void export_isTheFilteredRecordsAsCsv_fieldsAFormulaWouldRunNeutralised_andItIsARecordedRead() throws Exception {
    f.open("alice");
    f.clock.advance(Duration.ofHours(1));
    String odd = f.open("=HYPERLINK(\\\"x\\\",1), \\\"quoted\\\"").get("session_id").asText();
    String bob = f.open("bob").get("session_id").asText();
    f.clock.advance(Duration.ofHours(1));
    f.open("carol");
    ConsoleFixture.Operator op = f.signIn(ConsoleFixture.KEY);

    HttpResponse<String> csv = f.get("/console/api/audit/export?type=session.created&from=2026-11-26T22:30:00Z"
        + "&to=2026-11-26T23:30:00Z", op.token());
    assertThat(csv.statusCode()).as(csv.body()).isEqualTo(200);
    assertThat(csv.headers().firstValue("Content-Type")).hasValue("text/csv; charset=utf-8; header=present");
    assertThat(csv.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"curfew-audit.csv\"");
    assertThat(csv.headers().firstValue("X-Curfew-Next")).isEmpty();
    List<String> lines = List.of(csv.body().split("\r\n"));
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).isEqualTo("seq,time,type,node,session_id,subject,policy,policy_version,data");
    assertThat(lines.get(1)).matches("\\d+,2026-11-26T23:00:00\\.000Z,session\\.created,node-1," + odd
        + ",\"'=HYPERLINK\\(\"\"x\"\",1\\), \"\"quoted\"\"\",standard,1,\"\\{\"\"absolute_expires_at\"\":\"\"2026-11-27T11:00:00.000Z\"\",.*\"\"idle_timeout_ms\"\":900000,.*\\}\"");
    assertThat(lines.get(2)).matches("\\d+,2026-11-26T23:00:00\\.000Z,session\\.created,node-1," + bob + ",bob,standard,1,\".*\"");

    // Reading the trail is in the trail, with what was asked.
    Map<String, Object> read = f.records().stream().filter(m -> "audit.read".equals(m.get("type"))).reduce((a, b) -> b).orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> data = (Map<String, Object>) read.get("data");
    assertThat(data).containsEntry("what", "records_csv").containsEntry("actor", "app")
        .containsEntry("path", "/console/api/audit/export");
    assertThat(data.get("query")).isEqualTo(Map.of("type", "session.created", "from", "2026-11-26T22:30:00Z",
        "to", "2026-11-26T23:30:00Z"));

    // An export continues after a seq (what X-Curfew-Next names when more records match than one holds).
    String firstSeq = lines.get(1).substring(0, lines.get(1).indexOf(','));
    HttpResponse<String> rest = f.get("/console/api/audit/export?type=session.created&from=2026-11-26T22:30:00Z"
        + "&to=2026-11-26T23:30:00Z&after=" + firstSeq, op.token());
    assertThat(rest.statusCode()).as(rest.body()).isEqualTo(200);
    assertThat(List.of(rest.body().split("\r\n"))).hasSize(2).last().isEqualTo(lines.get(2));
  }

  @Test
  void export_refusesPagingParameters_andBadTimes() {
    ConsoleFixture.Operator op = f.signIn(ConsoleFixture.KEY);
    assertThat(f.get("/console/api/audit/export?limit=5", op.token()).statusCode()).isEqualTo(400);
    assertThat(f.get("/console/api/audit/export?from=yesterday", op.token()).statusCode()).isEqualTo(400);
    assertThat(f.get("/console/api/audit/export", null).statusCode()).isEqualTo(401);
  }
}

package dev.curfew.bench.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogCheckTest {
  @TempDir Path data;

  private void log(String... lines) throws Exception {
    Files.createDirectories(data.resolve("audit"));
    Files.write(data.resolve("audit/audit-00000000000000000000.jsonl"), List.of(lines));
  }

  private static String rec(int seq, String type, String sid) {
    return "{\"data\":{},\"node\":\"n\",\"seq\":" + seq + (sid == null ? "" : ",\"session_id\":\"" + sid + "\"")
        + ",\"time\":\"2026-11-27T03:00:00.000Z\",\"type\":\"" + type + "\"}";
  }

  @Test
  void aCleanLog_withTheLedgersChanges_passes() throws Exception {
    log(rec(0, "node.started", null), rec(1, "session.created", "s_1"), rec(2, "session.logged_out", "s_1"),
        rec(3, "session.refused", "s_1"), rec(4, "node.stopped", null));
    Tracked t = new Tracked("s_1", "cft_x", "long", 1, 1, 0, 0);
    t.acknowledgedEnd = "logged_out";
    Judge judge = new Judge();
    AuditLogCheck.Summary s = AuditLogCheck.check(data, List.of(t), judge);
    assertThat(judge.first()).isEmpty();
    assertThat(s.records()).isEqualTo(5);
    assertThat(s.lastType()).isEqualTo("node.stopped");
  }

  @Test
  void aMissingCreation_aSecondEnding_aRevival_andAGap_areEachCaught() throws Exception {
    log(rec(0, "session.created", "s_1"), rec(1, "session.expired", "s_1"), rec(2, "session.extended", "s_1"),
        rec(3, "session.revoked", "s_1"), rec(5, "node.stopped", null));
    Tracked lost = new Tracked("s_2", "cft_y", "long", 1, 1, 0, 0);
    Tracked revoked = new Tracked("s_1", "cft_x", "long", 1, 1, 0, 0);
    revoked.acknowledgedEnd = "revoked";
    Judge judge = new Judge();
    AuditLogCheck.check(data, List.of(lost, revoked), judge);
    assertThat(judge.first()).hasSize(5)
        .anyMatch(v -> v.contains("session.extended of s_1 after its session.expired"))
        .anyMatch(v -> v.contains("session.revoked of s_1 after its session.expired"))
        .anyMatch(v -> v.contains("seq 5 where 4 was due"))
        .anyMatch(v -> v.contains("no session.created") && v.contains("s_2"))
        .anyMatch(v -> v.contains("acknowledged revoked but the log ends it with session.expired"));
  }
}

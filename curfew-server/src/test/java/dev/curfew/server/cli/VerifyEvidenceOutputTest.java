package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code audit verify-evidence} says when a bundle holds: its records are in the signed log;
 * that none of the session's records was left out is not something a bundle can prove.
 */
class VerifyEvidenceOutputTest {
  @TempDir Path dir;

  @Test
  void aBundleWithRecordsRemovedStillVerifies_andTheOutputSaysCompletenessIsNotProven() throws Exception {
    Path data = dir.resolve("data");
    AuditStraySegmentTest.writeLog(data, 12);
    Map<String, Object> bundle = Json.parseObject(CliRun.of("audit", "evidence", "--data", data.toString(),
        "--session", "s_1").out());
    List<?> entries = (List<?>) bundle.get("entries");
    assertThat(entries).hasSize(4);
    bundle.put("entries", List.of(entries.get(0), entries.get(3))); // two records left out
    Path f = dir.resolve("bundle.json");
    Files.writeString(f, CanonicalJson.write(bundle));
    Path key = dir.resolve("curfew.pub");
    Files.writeString(key, CliRun.of("audit", "public-key", "--data", data.toString()).out());

    CliRun r = CliRun.of("audit", "verify-evidence", f.toString(), "--public-key", key.toString());

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("OK: 2 records of session s_1")
        .contains("proven:      these 2 records are in the signed log")
        .contains("not proven:  that no record of the session is missing")
        .contains("curfew audit export").contains("GET /v1/audit/evidence");
  }
}

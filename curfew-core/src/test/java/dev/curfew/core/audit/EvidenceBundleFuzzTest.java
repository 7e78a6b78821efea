package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Evidence bundles given to {@code audit verify-evidence}: a dispute's input, so anyone may have written it. */
class EvidenceBundleFuzzTest {
  private static final AuditTestLog LOG = AuditTestLog.of(40, 10);
  private static final NoteVerifier KEY = AuditTestLog.SIGNER.verifier();

  /**
   * Verification is a value, never an exception, and never a defect caught as one; a bundle that
   * verifies under the log's key shows only records of the real log, at their real positions.
   */
  @FuzzTest
  void verify_acceptsOnlyRealRecords(byte[] input) {
    String json = new String(input, StandardCharsets.UTF_8);
    EvidenceVerification v = EvidenceBundle.verify(json, KEY);
    assertThat(v.problems()).noneMatch(p -> p.startsWith("The bundle could not be checked"));
    EvidenceBundle.verify(json, null); // without a trusted key: the bundle's own, still a value
    if (!v.ok()) return;
    assertThat(v.keyAuthenticated()).isTrue();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> entries = (List<Map<String, Object>>) Json.parseObject(json).get("entries");
    for (Map<String, Object> e : entries) {
      int index = ((Long) e.get("leaf_index")).intValue();
      assertThat((String) e.get("record")).isEqualTo(new String(LOG.lines.get(index), StandardCharsets.UTF_8));
    }
  }
}

package dev.curfew.core.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Audit files given to {@code audit verify}: whatever the bytes, the verifier returns a verdict
 * (no exception), and a verdict of "holds" for a checkpointed prefix means those records are the
 * ones the log's key signed.
 */
class AuditVerifierFuzzTest {
  private static final AuditTestLog LOG = AuditTestLog.of(24, 6);
  private static final byte[] REAL = AuditTestLog.join(LOG.lines);

  private static AuditVerification verify(byte[] log, List<String> checkpointLines) {
    AuditVerifier v = AuditVerifier.builder(AuditTestLog.SIGNER.verifier()).checkpointLines(checkpointLines.iterator()).build();
    try {
      v.acceptAll(new ByteArrayInputStream(log));
    } catch (IOException e) {
      throw new AssertionError("reading from memory cannot fail", e);
    }
    return v.finish();
  }

  /** Mutated log bytes with the real checkpoints: any verified prefix is the real log's. */
  @FuzzTest
  void log_verifiedPrefixIsTheSignedOne(byte[] input) {
    AuditVerification v = verify(input, LOG.checkpointLines);
    if (v.ok()) {
      assertSignedPrefixIsReal(input, v.checkpointedSize());
    } else {
      assertThat(v.failure()).isNotNull();
    }
  }

  /** Mutated checkpoints file with the real log: a verdict, never an exception, and no forged coverage. */
  @FuzzTest
  void checkpoints_neverThrow_neverCoverMoreThanTheLog(byte[] input) {
    List<String> lines = Arrays.asList(new String(input, StandardCharsets.UTF_8).split("\n", -1));
    AuditVerification v = verify(REAL, lines);
    if (v.ok()) {
      assertThat(v.checkpointedSize()).isLessThanOrEqualTo(LOG.lines.size());
      assertThat(v.records()).isEqualTo(LOG.lines.size());
    }
  }

  private static void assertSignedPrefixIsReal(byte[] log, long size) {
    byte[] prefix = AuditTestLog.join(LOG.lines.subList(0, (int) size));
    assertThat(log.length).isGreaterThanOrEqualTo(prefix.length);
    assertThat(Arrays.copyOf(log, prefix.length)).isEqualTo(prefix);
  }
}

package dev.curfew.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.NoteVerifier;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Audit files given to {@code curfew audit verify}, as the server writes them, with the segment's
 * bytes replaced by the fuzzer's: the verifier always comes back with a verdict, and a verdict that
 * holds covers, with signatures, only the records the server wrote.
 */
class AuditFilesFuzzTest {
  private static final Path DATA;
  private static final Path SEGMENT;
  private static final byte[] REAL;
  private static final NoteVerifier KEY;

  static {
    try {
      DATA = Files.createTempDirectory("curfew-audit-fuzz");
      ManualClock clock = new ManualClock(Instant.parse("2026-11-27T03:00:00.000Z"));
      EmbeddedStore store = EmbeddedStore.open(DATA, EmbeddedStore.Options.defaults().withClock(clock)
          .withSnapshotInterval(Duration.ofHours(1)).withVersion("fuzz"), "node-1");
      Policy p = Policy.of("standard", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3);
      SessionEngine engine = new SessionEngine(clock, "node-1", new Policies(List.of(p), "standard"), store.log(),
          SessionEvents.NONE, EngineMetrics.NONE, SessionEngine.Limits.defaults());
      store.recover(engine);
      for (int i = 0; i < 6; i++) {
        String token = engine.open("user-" + i, null, Map.of("ip", "192.0.2." + i)).token();
        clock.advanceMillis(1500);
        if (i % 2 == 0) engine.extend(token);
        if (i % 3 == 0) engine.logout(token).durable().join();
      }
      store.auditTrail().checkpointNow();
      KEY = store.auditTrail().verifier();
      store.close();
      SEGMENT = AuditFiles.of(DATA).segments().firstEntry().getValue();
      REAL = Files.readAllBytes(SEGMENT);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The input's first byte chooses: 0, the rest is the whole segment; otherwise the real segment
   * with the rest written over it at the offset of the next two bytes (edits of a log that holds).
   */
  @FuzzTest
  void segment_verdictHolds_onlyForTheSignedRecords(byte[] fuzz) throws IOException {
    byte[] input = segment(fuzz);
    Files.write(SEGMENT, input);
    AuditFileVerifier.Result r = AuditFileVerifier.verify(AuditFiles.of(DATA), KEY, null, 0, null);
    AuditVerification v = r.verification();
    assertThat(r.incompleteTailBytes()).isBetween(0L, (long) input.length);
    if (!v.ok()) {
      assertThat(v.failure()).isNotNull();
      return;
    }
    int signed = 0;
    for (int i = 0, lines = 0; i < REAL.length && lines < v.checkpointedSize(); i++) {
      if (REAL[i] == '\n') {
        lines++;
        signed = i + 1;
      }
    }
    assertThat(v.checkpointedSize()).isPositive();
    assertThat(Arrays.copyOf(input, signed)).isEqualTo(Arrays.copyOf(REAL, signed));
  }

  private static byte[] segment(byte[] fuzz) {
    if (fuzz.length == 0 || fuzz[0] == 0) return fuzz.length == 0 ? fuzz : Arrays.copyOfRange(fuzz, 1, fuzz.length);
    if (fuzz.length < 3) return REAL.clone();
    int offset = ((fuzz[1] & 0xff) << 8 | (fuzz[2] & 0xff)) % (REAL.length + 1);
    byte[] patch = Arrays.copyOfRange(fuzz, 3, fuzz.length);
    byte[] out = Arrays.copyOf(REAL, Math.max(REAL.length, offset + patch.length));
    System.arraycopy(patch, 0, out, offset, patch.length);
    return out;
  }
}

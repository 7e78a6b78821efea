package dev.curfew.bench;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.AuditVerifier;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.RecordTypes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Throughput of {@link AuditVerifier} over a synthetic log held in memory (so that the figure is
 * the verifier's, not the disk's): {@code records} canonical lines with the spec's record types
 * and realistic data, and a checkpoint every {@code checkpointEvery} records. Prints records/s
 * for each of {@code rounds} full verifications (the first ones warm the JIT up).
 *
 * <pre>java -cp curfew-bench/target/curfew-bench.jar dev.curfew.bench.AuditVerifyBenchmark [records] [rounds]</pre>
 */
public final class AuditVerifyBenchmark {

  private AuditVerifyBenchmark() {}

  public static void main(String[] args) throws IOException {
    int records = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int checkpointEvery = 10_000;
    NoteSigner signer = NoteSigner.generate("bench.curfew.dev");

    ByteArrayOutputStream log = new ByteArrayOutputStream(records * 400);
    List<String> checkpoints = new ArrayList<>();
    MerkleTree tree = MerkleTree.inMemory();
    Random random = new Random(42);
    long timeMs = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    for (int seq = 0; seq < records; seq++) {
      timeMs += random.nextInt(3);
      byte[] line = record(seq, random).canonicalLine(seq, timeMs);
      log.write(line);
      log.write('\n');
      tree.append(line);
      if ((seq + 1) % checkpointEvery == 0) {
        Checkpoint c = Checkpoint.of(signer.name(), tree);
        checkpoints.add(new CheckpointLine(c.treeSize(), signer.sign(c.body())).toJson());
      }
    }
    byte[] bytes = log.toByteArray();
    System.out.printf("log: %d records, %d bytes (%.0f bytes/record), %d checkpoints%n",
        records, bytes.length, (double) bytes.length / records, checkpoints.size());

    for (int round = 1; round <= rounds; round++) {
      long start = System.nanoTime();
      AuditVerifier verifier = AuditVerifier.builder(signer.verifier())
          .checkpointLines(checkpoints.iterator())
          .build();
      verifier.acceptAll(new ByteArrayInputStream(bytes));
      AuditVerification result = verifier.finish();
      double seconds = (System.nanoTime() - start) / 1e9;
      if (!result.ok()) {
        throw new IllegalStateException("benchmark log does not verify: " + result.failure());
      }
      System.out.printf("round %d: %.3f s, %,.0f records/s, %.0f MB/s (%d sessions, %d checkpoints)%n",
          round, seconds, records / seconds, bytes.length / seconds / 1e6, result.sessions(),
          result.checkpointsVerified());
    }
  }

  /** A record of a session's life; session ids repeat so that about one in six records opens one. */
  static AuditRecord record(int seq, Random random) {
    String session = "s_" + Long.toString((seq / 6) * 2654435761L & 0xffffffffL, 36) + "x7Qa";
    long timeMs = 1_767_225_600_000L + seq;
    switch (seq % 6) {
      case 0:
        return AuditRecord.builder(RecordTypes.SESSION_CREATED, timeMs, "node-1")
            .session(session, "user-" + random.nextInt(100_000) + "@example.com", "default", 3)
            .put("idle_timeout_ms", 900_000L).put("absolute_timeout_ms", 43_200_000L)
            .put("warn_before_ms", 120_000L).put("max_extensions", 3L)
            .putTime("idle_expires_at", timeMs + 900_000).putTime("absolute_expires_at", timeMs + 43_200_000)
            .put("attributes", java.util.Map.of("ip", "203.0.113." + random.nextInt(255), "app", "portal"))
            .build();
      case 1:
        return AuditRecord.builder(RecordTypes.WARNING_SENT, timeMs, "node-1")
            .session(session, "user@example.com", "default", 3)
            .putTime("expires_at", timeMs + 120_000).put("lead_ms", 120_000L).put("delivered_to", 1L).build();
      case 2:
        return AuditRecord.builder(RecordTypes.EXTENDED, timeMs, "node-1")
            .session(session, "user@example.com", "default", 3)
            .putTime("previous_expires_at", timeMs + 120_000).putTime("expires_at", timeMs + 900_000)
            .put("extensions_used", 1L).build();
      case 3:
        return AuditRecord.builder(RecordTypes.WARNING_ACKNOWLEDGED, timeMs, "node-1")
            .session(session, "user@example.com", "default", 3)
            .putTime("expires_at", timeMs + 900_000).build();
      case 4:
        return AuditRecord.builder(RecordTypes.REVOKED, timeMs, "node-1")
            .session(session, "user@example.com", "default", 3)
            .put("actor", "admin-key").put("reason_text", "user left the company").build();
      default:
        return AuditRecord.builder(RecordTypes.EXPIRED, timeMs, "node-1")
            .session(session, "user@example.com", "default", 3)
            .put("reason", "idle_timeout").putTime("deadline", timeMs).putTime("detected_at", timeMs + 3)
            .put("lateness_ms", 3L).putTime("last_activity_at", timeMs - 900_000).put("detected_by", "timer")
            .build();
    }
  }
}

package dev.curfew.core.audit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A small audit log built the way the server builds one (AuditRecord.canonicalLine, MerkleTree,
 * NoteSigner), with a checkpoint every {@code checkpointEvery} records, for tampering with.
 * Records alternate between nodes "node-1" and "node-2"; session "s-k" owns records 4k..4k+3.
 */
final class AuditTestLog {
  static final String ORIGIN = "curfew.test/log";
  static final long START_MS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  static final NoteSigner SIGNER = NoteSigner.fromSeed(ORIGIN, new byte[32]);
  static final NoteSigner OTHER_SIGNER = NoteSigner.fromSeed(ORIGIN, filled(7));

  final List<byte[]> lines = new ArrayList<>();
  final List<String> checkpointLines = new ArrayList<>();
  final MerkleTree tree = MerkleTree.inMemory();

  static AuditTestLog of(int records, int checkpointEvery) {
    AuditTestLog log = new AuditTestLog();
    for (int seq = 0; seq < records; seq++) {
      log.append(record(seq, START_MS + 10L * seq));
      if ((seq + 1) % checkpointEvery == 0) {
        log.checkpointLines.add(new CheckpointLine(seq + 1, log.note(seq + 1)).toJson());
      }
    }
    return log;
  }

  void append(byte[] line) {
    lines.add(line);
    tree.append(line);
  }

  static byte[] record(long seq, long timeMs) {
    return record(seq, timeMs, seq % 2 == 0 ? "node-1" : "node-2", "s-" + seq / 4);
  }

  static byte[] record(long seq, long timeMs, String node, String session) {
    return AuditRecord.builder(seq % 4 == 0 ? RecordTypes.SESSION_CREATED : RecordTypes.EXTENDED, timeMs, node)
        .session(session, "user-" + seq + "@example.com", "default", 2)
        .put("extensions_used", seq % 4)
        .putTime("expires_at", timeMs + 900_000)
        .put("attributes", java.util.Map.of("app", "portal", "note", "caf\u00e9 \"quoted\"\n"))
        .build()
        .canonicalLine(seq, timeMs);
  }

  /** The checkpoint note for the first {@code size} records, signed by {@link #SIGNER}. */
  String note(long size) {
    return note(size, SIGNER);
  }

  String note(long size, NoteSigner signer) {
    return signer.sign(new Checkpoint(ORIGIN, size, tree.rootHash(size)).body());
  }

  static byte[] join(List<byte[]> lines) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] line : lines) {
      out.writeBytes(line);
      out.write('\n');
    }
    return out.toByteArray();
  }

  static AuditVerification verify(List<byte[]> lines, List<String> checkpointLines, String trustedNote) {
    return verify(join(lines), checkpointLines, trustedNote);
  }

  static AuditVerification verify(byte[] log, List<String> checkpointLines, String trustedNote) {
    AuditVerifier.Builder builder = AuditVerifier.builder(SIGNER.verifier())
        .checkpointLines(checkpointLines.iterator());
    if (trustedNote != null) {
      builder.trustedCheckpoint(trustedNote);
    }
    AuditVerifier verifier = builder.build();
    try {
      verifier.acceptAll(new ByteArrayInputStream(log));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return verifier.finish();
  }

  private static byte[] filled(int value) {
    byte[] b = new byte[32];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }
}

package dev.curfew.server.cli;

import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.EvidenceVerification;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.embedded.AuditFileVerifier;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.AuditTrail;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code curfew audit verify-recording FILE}: proves that an SSH recording is the one the gateway
 * wrote (spec/protocol-gateways.md, SSH; spec/cli-and-config.md). Three steps, each of which must
 * hold: the whole log verifies (every leaf, checkpoint and signature); the {@code connection.closed}
 * record that names the file is included in the signed tree (an RFC 6962 inclusion proof against the
 * latest signed checkpoint, as {@code audit evidence} builds it); and the file's SHA-256 equals the
 * one in that record. Exit 0 when all holds, 1 when any does not, 2 on bad input.
 */
@Command(name = "verify-recording", mixinStandardHelpOptions = true,
    description = {"Check an SSH recording (asciicast file) against the signed audit trail.",
        "Verifies the log, finds the connection.closed record naming the file, proves that record's inclusion",
        "under the latest signed checkpoint, and compares the file's SHA-256 with the one recorded.",
        "Exit 0 when the recording is untouched, 1 when it is not (or not provable), 2 on bad input."})
final class VerifyRecordingCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @picocli.CommandLine.Mixin AuditCommand.Location location = new AuditCommand.Location();

  @Parameters(paramLabel = "FILE", description = "The recording (a .cast file written by the SSH gateway).")
  Path file;

  /** A record of the log that names a recording, with the hash it recorded. */
  record Named(String line, String sessionId, String sha256) {}

  @Override
  public Integer call() {
    if (location.postgres()) {
      throw new IllegalArgumentException("verify-recording reads the audit files of a data directory (--data); "
          + "the PostgreSQL audit store is not supported by this command yet");
    }
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("cannot read " + file + ": not a file");
    PrintWriter out = spec.commandLine().getOut();
    Path dir = location.dataDir();
    NoteVerifier key = location.ownKey(dir);
    String name = file.getFileName().toString();
    try {
      AuditVerification log = AuditFileVerifier.verify(AuditFiles.of(dir), key, null, Long.MAX_VALUE, n -> {}).verification();
      if (!log.ok()) return fail(out, "the audit log does not verify: " + log.failure());
      Named named = find(dir, name);
      if (named == null) return fail(out, "no connection.closed record names " + name);
      AuditTrail.FileEvidence e = AuditTrail.evidenceFromFiles(dir, key, named.sessionId());
      String bundle = e.bundle().orElse(null);
      if (bundle == null || !included(bundle, named.line())) {
        return fail(out, "the connection.closed record naming " + name + " is not yet under a signed checkpoint"
            + " (checkpoints are written every second while the server runs, and at its stop)");
      }
      EvidenceVerification proof = EvidenceBundle.verify(bundle, key);
      if (!proof.ok()) return fail(out, "the record's inclusion proof does not verify: " + proof.problems());
      String actual = sha256(file);
      if (!actual.equals(named.sha256())) {
        return fail(out, "the file was changed: its SHA-256 is " + actual + ", the trail recorded " + named.sha256());
      }
      out.println("curfew audit verify-recording: OK: " + name + " is untouched");
      out.println("  sha256:  " + actual);
      out.println("  session: " + named.sessionId() + "; record included in the tree of size " + proof.treeSize()
          + ", signed by " + key.verifierKey());
      out.flush();
      return 0;
    } catch (IOException ex) {
      throw new IllegalArgumentException("cannot read " + dir + " or " + file + ": " + ex.getMessage());
    }
  }

  private static int fail(PrintWriter out, String why) {
    out.println("curfew audit verify-recording: FAILED: " + why);
    out.flush();
    return AuditCommand.EXIT_FAILED;
  }

  /** The last connection.closed record whose recordings name {@code fileName}, or null. */
  static Named find(Path dir, String fileName) throws IOException {
    Named[] found = {null};
    String needle = "\"" + fileName + "\"";
    AuditFiles.of(dir).forEachLine(0, Long.MAX_VALUE, 1 << 20, (seq, first, offset, b, off, len) -> {
      String line = new String(b, off, len, StandardCharsets.UTF_8);
      if (!line.contains(RecordTypes.CONNECTION_CLOSED) || !line.contains(needle)) return true;
      Map<String, Object> r = Json.parseObject(line);
      if (!RecordTypes.CONNECTION_CLOSED.equals(r.get("type")) || !(r.get("data") instanceof Map<?, ?> data)) return true;
      if (data.get("recordings") instanceof List<?> recs) {
        for (Object o : recs) {
          if (o instanceof Map<?, ?> rec && fileName.equals(rec.get("file"))) {
            found[0] = new Named(line, String.valueOf(r.get("session_id")), String.valueOf(rec.get("sha256")));
          }
        }
      }
      return true;
    });
    return found[0];
  }

  private static boolean included(String bundle, String line) {
    if (!(Json.parseObject(bundle).get("entries") instanceof List<?> entries)) return false;
    for (Object o : entries) {
      if (o instanceof Map<?, ?> entry && line.equals(entry.get("record"))) return true;
    }
    return false;
  }

  static String sha256(Path file) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
    try (InputStream in = Files.newInputStream(file)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) sha.update(buf, 0, n);
    }
    return HexFormat.of().formatHex(sha.digest());
  }
}

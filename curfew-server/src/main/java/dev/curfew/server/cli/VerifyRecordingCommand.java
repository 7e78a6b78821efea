package dev.curfew.server.cli;

import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.EvidenceVerification;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.embedded.AuditFileVerifier;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.postgres.AuditDatabase;
import dev.curfew.store.postgres.PgAuditProofs;
import dev.curfew.store.postgres.PgAuditVerifier;
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
        "With --config of a server with audit: postgres, the same over the PostgreSQL audit store (every node's log).",
        "Exit 0 when the recording is untouched, 1 when it is not (or not provable), 2 on bad input."})
final class VerifyRecordingCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @picocli.CommandLine.Mixin AuditCommand.Location location = new AuditCommand.Location();

  @Parameters(paramLabel = "FILE", description = "The recording (a .cast file written by the SSH gateway).")
  Path file;

  @picocli.CommandLine.Option(names = "--public-key", paramLabel = "FILE",
      description = {"With audit: postgres: verifier keys kept elsewhere, one per line (default: the keys the nodes",
          "registered in the database)."})
  Path publicKey;

  /** A record of the log that names a recording, with the hash it recorded. */
  record Named(String line, String sessionId, String sha256) {}

  @Override
  public Integer call() {
    if (!Files.isRegularFile(file)) throw new IllegalArgumentException("cannot read " + file + ": not a file");
    PrintWriter out = spec.commandLine().getOut();
    if (location.postgres()) return postgres(out);
    if (publicKey != null) throw new IllegalArgumentException("--public-key applies to the PostgreSQL audit store (--config with audit: postgres)");
    Path dir = location.dataDir();
    NoteVerifier key = location.ownKey(dir);
    String name = file.getFileName().toString();
    try {
      // Reads the files only, so a running server's directory will do: the verification recomputes
      // every signed root from the records, so a record below the signed size is in a signed tree.
      AuditVerification log = AuditFileVerifier.verify(AuditFiles.of(dir), key, null, Long.MAX_VALUE, n -> {}).verification();
      if (!log.ok()) return fail(out, "the audit log does not verify: " + log.failure());
      long[] seq = {-1};
      Named named = find(dir, name, seq);
      if (named == null) return fail(out, "no connection.closed record names " + name);
      if (seq[0] >= log.checkpointedSize()) {
        return fail(out, "the connection.closed record naming " + name + " (seq " + seq[0] + ") is not yet under a signed"
            + " checkpoint (checkpoints are written every second while the server runs, and at its stop)");
      }
      return compare(out, named, log.checkpointedSize(), key.verifierKey());
    } catch (IOException ex) {
      throw new IllegalArgumentException("cannot read " + dir + " or " + file + ": " + ex.getMessage());
    }
  }

  /**
   * The same three steps over the PostgreSQL audit store ({@code audit: postgres}): every node's log
   * verifies; the {@code connection.closed} record naming the file is found in whichever node's log
   * holds it, and proven included under that node's latest signed checkpoint; the hashes match.
   */
  private int postgres(PrintWriter out) throws IllegalArgumentException {
    List<NoteVerifier> keys = publicKey == null ? List.of() : PostgresAuditCli.readKeys(publicKey);
    String name = file.getFileName().toString();
    try (AuditDatabase db = location.database()) {
      PgAuditVerifier.Result log = PgAuditVerifier.verify(db, keys, List.of(), AuditCommand.PROGRESS_EVERY_RECORDS, null);
      if (!log.ok()) {
        List<String> problems = new java.util.ArrayList<>(log.problems());
        for (PgAuditVerifier.NodeResult n : log.nodes()) {
          if (!n.verification().ok()) problems.add("node " + n.node().name() + ": " + n.verification().failure());
        }
        return fail(out, "the audit log does not verify: " + String.join("; ", problems));
      }
      Named named = null;
      PgAuditVerifier.NodeResult holder = null;
      for (PgAuditVerifier.NodeResult n : log.nodes()) {
        Named[] found = {null};
        db.scan(n.node().id(), 0, Long.MAX_VALUE, (seq, line, leafHash) -> {
          Named m = named(line, name);
          if (m != null) found[0] = m;
          return true;
        });
        if (found[0] != null) {
          named = found[0];
          holder = n;
        }
      }
      if (named == null) return fail(out, "no connection.closed record names " + name);
      PgAuditProofs.DatabaseEvidence e = PgAuditProofs.fromDatabase(db, named.sessionId(), holder.node().name());
      String bundle = e.bundle().orElse(null);
      if (bundle == null || !included(bundle, named.line())) {
        return fail(out, "the connection.closed record naming " + name + " is not yet under a signed checkpoint of node "
            + holder.node().name() + " (checkpoints are written every second while the server runs, and at its stop)");
      }
      EvidenceVerification proof = EvidenceBundle.verify(bundle, holder.key());
      if (!proof.ok()) return fail(out, "the record's inclusion proof does not verify: " + proof.problems());
      return compare(out, named, proof.treeSize(), holder.key().verifierKey() + " (node " + holder.node().name()
          + (holder.keyTrusted() ? "" : ", key registered in the database") + ")");
    } catch (IOException ex) {
      throw new IllegalArgumentException("cannot read the audit store or " + file + ": " + ex.getMessage());
    }
  }

  /** The last step, over files and PostgreSQL alike: the file's hash against the one recorded. */
  private int compare(PrintWriter out, Named named, long treeSize, String signer) throws IOException {
    String name = file.getFileName().toString();
    String actual = sha256(file);
    if (!actual.equals(named.sha256())) {
      return fail(out, "the file was changed: its SHA-256 is " + actual + ", the trail recorded " + named.sha256());
    }
    out.println("curfew audit verify-recording: OK: " + name + " is untouched");
    out.println("  sha256:  " + actual);
    out.println("  session: " + named.sessionId() + "; record included in the tree of size " + treeSize
        + ", signed by " + signer);
    out.flush();
    return 0;
  }

  private static int fail(PrintWriter out, String why) {
    out.println("curfew audit verify-recording: FAILED: " + why);
    out.flush();
    return AuditCommand.EXIT_FAILED;
  }

  /** The last connection.closed record whose recordings name {@code fileName}, or null. */
  static Named find(Path dir, String fileName, long[] seqOut) throws IOException {
    Named[] found = {null};
    AuditFiles.of(dir).forEachLine(0, Long.MAX_VALUE, 1 << 20, (seq, first, offset, b, off, len) -> {
      Named m = named(new String(b, off, len, StandardCharsets.UTF_8), fileName);
      if (m != null) {
        found[0] = m;
        seqOut[0] = seq;
      }
      return true;
    });
    return found[0];
  }

  /** {@code line} when it is a connection.closed record whose recordings name {@code fileName}, else null. */
  static Named named(String line, String fileName) {
    if (!line.contains(RecordTypes.CONNECTION_CLOSED) || !line.contains("\"" + fileName + "\"")) return null;
    Map<String, Object> r = Json.parseObject(line);
    if (!RecordTypes.CONNECTION_CLOSED.equals(r.get("type")) || !(r.get("data") instanceof Map<?, ?> data)) return null;
    Named found = null;
    if (data.get("recordings") instanceof List<?> recs) {
      for (Object o : recs) {
        if (o instanceof Map<?, ?> rec && fileName.equals(rec.get("file"))) {
          found = new Named(line, String.valueOf(r.get("session_id")), String.valueOf(rec.get("sha256")));
        }
      }
    }
    return found;
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

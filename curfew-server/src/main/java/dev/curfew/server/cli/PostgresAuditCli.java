package dev.curfew.server.cli;

import dev.curfew.core.ClusterAuditReader;
import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.WitnessQuorum;
import dev.curfew.core.audit.Times;
import dev.curfew.store.postgres.AuditDatabase;
import dev.curfew.store.postgres.PgAuditProofs;
import dev.curfew.store.postgres.PgClusterTrail;
import dev.curfew.store.postgres.PgAuditVerifier;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code curfew audit} subcommands over the PostgreSQL audit store (a configuration with
 * {@code audit: postgres}): the same checks and outputs as over files, for every node's log.
 */
final class PostgresAuditCli {
  private PostgresAuditCli() {}

  static int verify(AuditCommand.Location location, Path publicKeyFile, List<Path> trustedCheckpointFiles,
      WitnessQuorum witnesses, PrintWriter out, PrintWriter err) {
    List<NoteVerifier> keys = publicKeyFile == null ? List.of() : readKeys(publicKeyFile);
    List<String> trusted = new ArrayList<>();
    for (Path f : trustedCheckpointFiles) {
      try {
        trusted.add(Files.readString(f, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + f + ": " + IoFailure.describe(e));
      }
    }
    long start = System.nanoTime();
    PgAuditVerifier.Result r;
    try (AuditDatabase db = location.database()) {
      r = PgAuditVerifier.verify(db, keys, trusted, witnesses, AuditCommand.PROGRESS_EVERY_RECORDS, n -> {
        double s = (System.nanoTime() - start) / 1e9;
        err.printf("curfew audit verify: %,d records verified (%,.0f records/s)%n", n, n / Math.max(s, 1e-9));
        err.flush();
      });
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the audit store: " + e.getMessage());
    }
    out.println("curfew audit verify: " + (r.ok() ? "OK" : "FAILED") + " (PostgreSQL, " + r.nodes().size() + " node"
        + (r.nodes().size() == 1 ? "" : "s") + ")");
    for (PgAuditVerifier.NodeResult n : r.nodes()) {
      report(out, n);
      if (witnesses != null && n.verification().witnessedSize() >= 0) {
        out.printf("    witnesses:   the latest checkpoint (tree size %,d) carries at least %d of the %d trusted witnesses' cosignatures%n",
            n.verification().witnessedSize(), witnesses.required(), witnesses.witnesses().size());
      }
    }
    for (String p : r.problems()) out.println("  FAILED: " + p);
    out.printf("  took:        %.2f s%n", (System.nanoTime() - start) / 1e9);
    out.flush();
    return r.ok() ? 0 : AuditCommand.EXIT_FAILED;
  }

  private static void report(PrintWriter out, PgAuditVerifier.NodeResult n) {
    AuditVerification v = n.verification();
    String node = "node " + n.node().name();
    if (v.ok()) {
      out.println("  " + node + ": OK");
    } else {
      out.println("  " + node + ": FAILED: " + v.failure());
      if (n.suspectSeq() >= 0) {
        out.println("    first bad record: node " + n.node().name() + " seq " + n.suspectSeq() + ": its bytes no longer"
            + " hash to the leaf hash recorded when it was written (the record was changed after it was written)");
      }
    }
    out.printf("    records:     %,d%s%n", v.records(), v.ok() ? "" : " checked before the failure");
    out.printf("    sessions:    %,d%n", v.sessions());
    if (v.firstTime() != null) {
      out.println("    time span:   " + Times.format(v.firstTime().toEpochMilli()) + " .. "
          + Times.format(v.lastTime().toEpochMilli()) + " ("
          + AuditCommand.human(Duration.between(v.firstTime(), v.lastTime())) + ")");
    }
    out.printf("    checkpoints: %,d verified; signed up to tree size %,d%s%n", v.checkpointsVerified(),
        v.checkpointedSize(), v.ok() && v.records() > v.checkpointedSize()
            ? " (" + (v.records() - v.checkpointedSize()) + " later records not yet signed)" : "");
    if (v.trustedCheckpointVerified()) out.println("    trusted checkpoint: consistent");
    out.println("    key:         " + n.key().verifierKey() + (n.keyTrusted() ? ""
        : " (registered in the database; pass --public-key with copies kept elsewhere for an independent check)"));
  }

  /** Node {@code name} of {@code db}, or its only node when {@code name} is null. */
  static AuditDatabase.Node node(AuditDatabase db, String name) throws IOException {
    if (name != null) return db.node(name).orElseThrow(() -> new IllegalArgumentException("no audit node named " + name));
    List<AuditDatabase.Node> nodes = db.nodes();
    if (nodes.size() == 1) return nodes.get(0);
    if (nodes.isEmpty()) throw new IllegalArgumentException("the PostgreSQL audit store holds no node's log yet");
    throw new IllegalArgumentException("the PostgreSQL audit store holds the logs of nodes "
        + nodes.stream().map(AuditDatabase.Node::name).toList() + ": name one with --node");
  }

  static int evidence(AuditCommand.Location location, String session, String node, CommandSpec spec) {
    if (node == null) return allTreesEvidence(location, session, spec);
    PgAuditProofs.DatabaseEvidence e;
    try (AuditDatabase db = location.database()) {
      e = PgAuditProofs.fromDatabase(db, session, node);
    } catch (IOException ex) {
      throw new IllegalArgumentException("cannot read the audit store: " + ex.getMessage());
    }
    if (e.omittedRecords() > 0) {
      spec.commandLine().getErr().println("curfew audit evidence: " + e.omittedRecords() + " records of the session"
          + " come after node " + e.node().name() + "'s latest checkpoint and are left out; a running server signs"
          + " them within a second (or serves GET /v1/audit/evidence)");
    }
    if (e.bundle().isEmpty()) {
      throw new IllegalArgumentException("the audit log of node " + e.node().name() + " holds no signed record of session " + session);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(e.bundle().get());
    out.flush();
    return 0;
  }

  /** Without --node: the session's records in every node's tree, one bundle (of one tree, or of several). */
  private static int allTreesEvidence(AuditCommand.Location location, String session, CommandSpec spec) {
    PgAuditProofs.AllTreesEvidence e;
    try (AuditDatabase db = location.database()) {
      e = PgAuditProofs.fromDatabase(db, session);
    } catch (IOException ex) {
      throw new IllegalArgumentException("cannot read the audit store: " + ex.getMessage());
    }
    e.omittedRecords().forEach((name, n) -> spec.commandLine().getErr().println("curfew audit evidence: " + n
        + " records of the session come after node " + name + "'s latest checkpoint and are left out; a running"
        + " server signs them within a second (or serves GET /v1/audit/evidence)"));
    if (e.bundle().isEmpty()) {
      throw new IllegalArgumentException("the audit logs hold no signed record of session " + session);
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(e.bundle().get());
    out.flush();
    return 0;
  }

  /** Records per read of the trail of several nodes. */
  static final int EXPORT_PAGE_RECORDS = 1_000;

  static int export(AuditCommand.Location location, String node, String fromTime, String toTime, String format,
      PrintWriter out, PrintWriter err) {
    if (format.equals("csv")) out.print(String.join(",", AuditCommand.Export.CSV_COLUMNS) + "\r\n");
    long[] written = {0};
    try (AuditDatabase db = location.database()) {
      if (node != null && db.node(node).isEmpty()) throw new IllegalArgumentException("no audit node named " + node);
      PgClusterTrail trail = new PgClusterTrail(db);
      if (node == null && trail.spansNodes()) {
        // several trees: one trail, as GET /v1/audit reads it (by time, then node, then seq)
        String after = null;
        do {
          ClusterAuditReader.Page page = trail.read(new ClusterAuditReader.Query(null, null, null,
              fromTime == null ? null : Times.parse(fromTime), toTime == null ? null : Times.parse(toTime), after,
              EXPORT_PAGE_RECORDS));
          for (String line : page.lines()) {
            if (format.equals("jsonl")) out.print(line + "\n");
            else out.print(AuditCommand.Export.csvRow(Json.parseObject(line)));
            if (++written[0] % AuditCommand.PROGRESS_EVERY_RECORDS == 0) {
              err.printf("curfew audit export: %,d records%n", written[0]);
            }
          }
          after = page.next();
        } while (after != null);
        out.flush();
        err.printf("curfew audit export: %,d records written%n", written[0]);
        err.flush();
        return 0;
      }
      for (AuditDatabase.Node n : db.nodes()) {
        if (node != null && !n.name().equals(node)) continue;
        db.scan(n.id(), 0, Long.MAX_VALUE, (seq, line, hash) -> {
          Map<String, Object> r = Json.parseObject(line);
          String time = String.valueOf(r.get("time"));
          if (toTime != null && time.compareTo(toTime) >= 0) return false; // time never decreases along a node's log
          if (fromTime == null || time.compareTo(fromTime) >= 0) {
            if (format.equals("jsonl")) out.print(line + "\n");
            else out.print(AuditCommand.Export.csvRow(r));
            if (++written[0] % AuditCommand.PROGRESS_EVERY_RECORDS == 0) {
              err.printf("curfew audit export: %,d records%n", written[0]);
              err.flush();
            }
          }
          return true;
        });
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the audit store: " + e.getMessage());
    }
    out.flush();
    err.printf("curfew audit export: %,d records written%n", written[0]);
    err.flush();
    return 0;
  }

  static int publicKeys(AuditCommand.Location location, String node, PrintWriter out) {
    try (AuditDatabase db = location.database()) {
      List<AuditDatabase.Node> nodes = db.nodes();
      if (node != null) nodes = nodes.stream().filter(n -> n.name().equals(node)).toList();
      if (nodes.isEmpty()) {
        throw new IllegalArgumentException(node != null ? "no audit node named " + node : "no node has written to the audit store yet");
      }
      for (AuditDatabase.Node n : nodes) out.println(n.publicKey());
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read the audit store: " + e.getMessage());
    }
    out.flush();
    return 0;
  }

  /** Verifier keys, one per line (blank lines and lines starting with # are skipped). */
  static List<NoteVerifier> readKeys(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + IoFailure.describe(e));
    }
    List<NoteVerifier> keys = new ArrayList<>();
    for (String l : lines) {
      String t = l.strip();
      if (t.isEmpty() || t.startsWith("#")) continue;
      try {
        keys.add(NoteVerifier.parse(t));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " is not a list of verifier keys (name+hex8+base64): " + e.getMessage());
      }
    }
    if (keys.isEmpty()) throw new IllegalArgumentException(file + " holds no verifier key");
    return keys;
  }
}

package dev.curfew.server.cli;

import dev.curfew.core.audit.AuditVerification;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.EvidenceVerification;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.NoteVerifier;
import dev.curfew.core.audit.Times;
import dev.curfew.core.audit.WitnessKey;
import dev.curfew.core.audit.WitnessQuorum;
import dev.curfew.server.attest.AttestedLog;
import dev.curfew.server.attest.Attestation;
import dev.curfew.server.config.AuditConfig;
import dev.curfew.server.config.ConfigException;
import dev.curfew.server.config.CurfewConfig;
import dev.curfew.store.postgres.AuditDatabase;
import dev.curfew.store.embedded.ArchiveManifest;
import dev.curfew.store.embedded.AuditFileVerifier;
import dev.curfew.store.embedded.AuditFiles;
import dev.curfew.store.embedded.AuditTrail;
import dev.curfew.store.embedded.SegmentChain;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code curfew audit}: the proof step (spec/audit.md). Every subcommand reads the files of a data
 * directory directly, so it works with the server stopped; verify and export also tolerate a
 * running server (they read up to the last complete line). With {@code --config} naming {@code
 * audit: postgres} (and no {@code --data}) they read the PostgreSQL audit store instead, every
 * node's log in it, servers running or not. Exit 0: all holds; 1: a verification failed (the first
 * failing record or checkpoint is named); 2: bad input.
 */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = "Prove the audit trail: verify it, build and check evidence bundles, export it, print the verifier key.",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Evidence.class, AuditCommand.VerifyEvidence.class,
        AuditCommand.Export.class, AuditCommand.PublicKey.class, AuditCommand.Attest.class, AuditHoldCommand.class, AuditRepair.class,
        VerifyRecordingCommand.class})
final class AuditCommand {
  static final int EXIT_FAILED = 1;
  /** Progress lines on stderr every this many records. */
  static final long PROGRESS_EVERY_RECORDS = 1_000_000;

  /** Where the log is: {@code --data}, or the data_dir (and audit_signing_key) of {@code --config}. */
  static final class Location {
    @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default ./curfew-data, or data_dir of --config).")
    Path data;

    @Option(names = "--config", paramLabel = "FILE",
        description = "Configuration file: its data_dir and audit_signing_key, or with audit: postgres its PostgreSQL audit store.")
    Path config;

    private CurfewConfig cfg() {
      return config == null ? CurfewConfig.defaults() : CurfewConfig.load(config);
    }

    /** The configuration of --config, or the defaults. */
    CurfewConfig config() {
      return cfg();
    }

    /** Whether the log is the PostgreSQL audit store that --config names (audit: postgres), not files. */
    boolean postgres() {
      return data == null && config != null && cfg().audit() instanceof AuditConfig.Postgres;
    }

    /** The PostgreSQL audit store of --config; read only (the schema is the servers' to migrate). */
    AuditDatabase database() {
      if (!(cfg().audit() instanceof AuditConfig.Postgres pg)) {
        throw new ConfigException("postgres", "give audit: postgres with postgres.url and postgres.user");
      }
      return AuditDatabase.connect(null, pg.connection(System.getenv()), 2);
    }

    void requirePostgresFor(String option) {
      if (!postgres()) throw new IllegalArgumentException(option + " applies to the PostgreSQL audit store (--config with audit: postgres)");
    }

    /** The data directory, which need not hold a log yet. */
    Path dataDirAnyState() {
      return data != null ? data : cfg().dataDir();
    }

    Path dataDir() {
      Path dir = dataDirAnyState();
      if (!Files.isDirectory(dir.resolve("audit"))) {
        throw new IllegalArgumentException("no audit log in " + dir + " (no audit/ directory)");
      }
      return dir;
    }

    /** audit_signing_key of the config, or null. */
    Path cfgSigningKey() {
      return cfg().auditSigningKey();
    }

    /** The verifier key of the log's signer: audit_signing_key of the config, or the data dir's key. */
    NoteVerifier ownKey(Path dataDir) {
      Path key = cfg().auditSigningKey() != null ? cfg().auditSigningKey() : AuditFiles.of(dataDir).defaultSigningKeyFile();
      try {
        return AuditFiles.readSigner(key).verifier();
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the signing key " + key + ": " + IoFailure.describe(e));
      }
    }
  }

  /** {@code --witness-key FILE ... [--witnesses K]}: the k-of-n witness rule, or none. */
  static final class WitnessOptions {
    @Option(names = "--witness-key", paramLabel = "FILE",
        description = {"A witness's verifier key (what 'curfew witness public-key' prints; one key per line). Repeatable.",
            "Then the checkpoint relied on must carry K valid cosignatures of these witnesses (C2SP tlog-cosignature)."})
    List<Path> keys = new java.util.ArrayList<>();

    @Option(names = "--witnesses", paramLabel = "K", description = "How many of the witnesses given must have cosigned (default: all).")
    Integer required;

    /** The rule, or null when no witness key is given. */
    WitnessQuorum quorum() {
      if (keys.isEmpty()) {
        if (required != null) throw new IllegalArgumentException("--witnesses needs at least one --witness-key");
        return null;
      }
      List<WitnessKey> all = new java.util.ArrayList<>();
      for (Path f : keys) {
        List<String> lines;
        try {
          lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new IllegalArgumentException("cannot read " + f + ": " + IoFailure.describe(e));
        }
        for (String line : lines) {
          if (line.isBlank()) continue;
          try {
            all.add(WitnessKey.parse(line));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(f + " is not a witness key (name+hex8+base64(0x04||key)): " + e.getMessage());
          }
        }
      }
      return WitnessQuorum.of(all, required == null ? all.size() : required);
    }
  }

  /** {@code --archive DIR}: where the archived segments are now, when they were moved out of audit/archive/. */
  static final class ArchiveOption {
    @Option(names = "--archive", paramLabel = "DIR",
        description = "Where the archived segments are now, if moved out of DATA/audit/archive/ (default: there).")
    Path archive;

    AuditFiles files(Path dataDir) {
      if (archive == null) return AuditFiles.of(dataDir);
      if (!Files.isDirectory(archive)) throw new IllegalArgumentException("--archive " + archive + " is not a directory");
      return AuditFiles.of(dataDir).withArchiveDir(archive);
    }
  }

  /**
   * The trusted key of one log from {@code file}, which holds one verifier key or several, one per
   * line: with several, the one whose name and key id sign {@code note} (the log's checkpoint, or
   * null), else the first (the check then says the note is not signed by it).
   */
  static NoteVerifier readPublicKeyFor(Path file, String note) {
    List<NoteVerifier> keys = readPublicKeys(file);
    NoteVerifier signer = keys.size() == 1 || note == null ? null : NoteVerifier.signerOf(keys, note);
    return signer != null ? signer : keys.get(0);
  }

  /** The verifier keys in {@code file}, one per line (blank lines skipped). */
  static List<NoteVerifier> readPublicKeys(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + IoFailure.describe(e));
    }
    List<NoteVerifier> out = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank()) continue;
      try {
        out.add(NoteVerifier.parse(line.strip()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " is not a list of verifier keys (name+hex8+base64): " + e.getMessage());
      }
    }
    if (out.isEmpty()) throw new IllegalArgumentException(file + " holds no verifier key");
    return out;
  }

  /** {@code curfew audit verify}. */
  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Verify the whole log: every record, checkpoint and signature.",
          "Recompute every leaf and every checkpoint root, check every checkpoint signature, seq continuity",
          "and per-node time order, and consistency with a checkpoint kept elsewhere. Reads kept and archived segments.",
          "Exit 0 when all holds, 1 naming the first failing record (or checkpoint), 2 on bad input."})
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin Location location = new Location();

    @Option(names = "--public-key", paramLabel = "FILE",
        description = {"The verifier key to trust (what 'curfew audit public-key' printed, kept elsewhere). Default: the key in the data directory.",
            "A file of several keys, one per line: the one whose name and key id sign the log's latest checkpoint.",
            "PostgreSQL: one key per line, matched to nodes by key name (and key id); default: the keys registered in the database."})
    Path publicKey;

    @Option(names = "--trusted-checkpoint", paramLabel = "FILE",
        description = {"A signed checkpoint kept outside the data directory (GET /v1/audit/checkpoint): the log must extend it.",
            "PostgreSQL: repeat it, one per node; each applies to the node whose key name is its origin."})
    List<Path> trustedCheckpoints = new java.util.ArrayList<>();

    @picocli.CommandLine.Mixin WitnessOptions witnessOptions = new WitnessOptions();

    @picocli.CommandLine.Mixin ArchiveOption archiveOption = new ArchiveOption();

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      WitnessQuorum witnesses = witnessOptions.quorum();
      if (archiveOption.archive != null && location.postgres()) {
        throw new IllegalArgumentException("--archive applies to the files of a data directory");
      }
      if (location.postgres()) return PostgresAuditCli.verify(location, publicKey, trustedCheckpoints, witnesses, out, err);
      if (trustedCheckpoints.size() > 1) {
        throw new IllegalArgumentException("one --trusted-checkpoint for the files of a data directory (one log)");
      }
      Path trustedCheckpoint = trustedCheckpoints.isEmpty() ? null : trustedCheckpoints.get(0);
      Path dir = location.dataDir();
      NoteVerifier key = publicKey != null ? readPublicKeyFor(publicKey, latestNote(archiveOption.files(dir)))
          : location.ownKey(dir);
      String trusted = null;
      if (trustedCheckpoint != null) {
        try {
          trusted = Files.readString(trustedCheckpoint, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new IllegalArgumentException("cannot read " + trustedCheckpoint + ": " + IoFailure.describe(e));
        }
      }
      long startNanos = System.nanoTime();
      AuditFileVerifier.Result r;
      try {
        r = AuditFileVerifier.verify(archiveOption.files(dir), key, trusted, witnesses, PROGRESS_EVERY_RECORDS, n -> {
          double s = (System.nanoTime() - startNanos) / 1e9;
          err.printf("curfew audit verify: %,d records verified (%,.0f records/s)%n", n, n / Math.max(s, 1e-9));
          err.flush();
        });
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the audit log in " + dir + ": " + e.getMessage());
      }
      report(out, r, key, publicKey == null, trustedCheckpoint, System.nanoTime() - startNanos);
      if (witnesses != null && r.verification().witnessedSize() >= 0) {
        out.printf("  witnesses:   the latest checkpoint (tree size %,d) carries at least %d of the %d trusted witnesses' cosignatures%n",
            r.verification().witnessedSize(), witnesses.required(), witnesses.witnesses().size());
      }
      for (String s : r.strays()) out.println("  NOT IN THE LOG: " + s);
      reportArchive(out, r.archive());
      reportHolds(out, r.holds());
      if (r.incompleteTailBytes() > 0) {
        err.println("curfew audit verify: note: the last segment ends in " + r.incompleteTailBytes()
            + " bytes without a line feed, not verified: a write in progress, or a torn write that the next start cuts and records");
      }
      out.flush();
      err.flush();
      return r.ok() ? 0 : EXIT_FAILED;
    }

    /** The log's latest checkpoint note, or null (none, or unreadable: verify then names what is wrong). */
    private static String latestNote(AuditFiles files) {
      try {
        return files.latestCheckpointNote();
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    private static void reportArchive(PrintWriter out, AuditFileVerifier.ArchiveReport a) {
      if (a.segments() == 0) return;
      out.printf("  archive:     %,d segments archived (audit/archived.jsonl)%s%n", a.segments(), a.absentSegments() == 0
          ? ", all read and compared with what was archived"
          : "; " + a.absentSegments() + " not at hand (give --archive DIR): their " + String.format("%,d", a.summarizedRecords())
              + " records were taken as the Merkle subtree hashes kept when they were archived, which every later"
              + " checkpoint root was recomputed over; the records themselves were not read");
      if (a.checkpointsInsideSummaries() > 0) {
        out.printf("               %,d checkpoints fall inside segments not at hand: their signatures checked, their roots not%n",
            a.checkpointsInsideSummaries());
      }
      for (String p : a.problems()) out.println("  ARCHIVE CHANGED: " + p);
    }

    private static void reportHolds(PrintWriter out, AuditFileVerifier.HoldsReport h) {
      if (h.inForce().isEmpty() && h.recordedInForce().isEmpty()) {
        out.println("  holds:       none in force");
        return;
      }
      out.printf("  holds:       %d in force (audit/holds.json); segments holding their records are not archived%n", h.inForce().size());
      for (dev.curfew.store.embedded.LegalHolds.Hold hold : h.inForce()) out.println("    " + AuditHoldCommand.describe(hold));
      for (String d : h.disagreements()) out.println("    note: " + d);
    }

    private static void report(PrintWriter out, AuditFileVerifier.Result r, NoteVerifier key, boolean ownKey,
        Path trustedFile, long nanos) {
      AuditVerification v = r.verification();
      if (r.ok()) {
        out.println("curfew audit verify: OK");
      } else if (v.ok() && r.unsignedChangedSeq() >= 0) {
        out.println("curfew audit verify: FAILED: record seq " + r.unsignedChangedSeq() + ", which no checkpoint covers yet,"
            + " no longer hashes to the leaf hash recorded when it was written (audit/tree): the record was changed after it"
            + " was written");
      } else if (v.ok() && !r.strays().isEmpty()) {
        out.println("curfew audit verify: FAILED: " + r.strays().size() + " segment file(s) in the audit directories are not"
            + " part of the log, and were not read (see NOT IN THE LOG below)");
      } else if (v.ok()) {
        out.println("curfew audit verify: FAILED: an archived segment differs from what was archived (see ARCHIVE CHANGED below)");
      } else {
        out.println("curfew audit verify: FAILED: " + v.failure());
        if (r.suspectSeq() >= 0) {
          out.println("  first bad record: seq " + r.suspectSeq() + ": its bytes no longer hash to the leaf hash"
              + " recorded when it was written (the record was changed after it was written)");
        }
      }
      out.printf("  records:     %,d%s%n", v.records(), v.ok() ? "" : " checked before the failure");
      out.printf("  sessions:    %,d%n", v.sessions());
      if (v.firstTime() != null) {
        Duration span = Duration.between(v.firstTime(), v.lastTime());
        out.println("  time span:   " + Times.format(v.firstTime().toEpochMilli()) + " .. "
            + Times.format(v.lastTime().toEpochMilli()) + " (" + human(span) + ")");
      }
      out.printf("  checkpoints: %,d verified; signed up to tree size %,d%s%n", v.checkpointsVerified(),
          v.checkpointedSize(), v.ok() && v.records() > v.checkpointedSize()
              ? " (" + (v.records() - v.checkpointedSize()) + " later records not yet signed)" : "");
      if (trustedFile != null) {
        out.println("  trusted checkpoint " + trustedFile + ": " + (v.trustedCheckpointVerified() ? "consistent" : "NOT consistent"));
      }
      out.println("  key:         " + key.verifierKey() + (ownKey
          ? " (read from the data directory; pass --public-key with a copy kept elsewhere for an independent check)" : ""));
      out.printf("  took:        %.2f s%n", nanos / 1e9);
    }
  }

  /** {@code curfew audit evidence}. */
  @Command(name = "evidence", mixinStandardHelpOptions = true,
      description = {"Print the evidence bundle of one session (JSON).",
          "Its records with RFC 6962 inclusion proofs against",
          "the latest signed checkpoint, revealing nothing about other sessions. Run it with the server stopped;",
          "a running server serves the same as GET /v1/audit/evidence?session_id=ID."})
  static final class Evidence implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin Location location = new Location();

    @Option(names = "--session", paramLabel = "ID", required = true, description = "The session id.")
    String session;

    @Option(names = "--node", paramLabel = "NAME",
        description = "PostgreSQL: the node whose tree proves the records (needed only when several nodes hold records of the session).")
    String node;

    @picocli.CommandLine.Mixin ArchiveOption archiveOption = new ArchiveOption();

    @Override
    public Integer call() {
      if (node != null) location.requirePostgresFor("--node");
      if (archiveOption.archive != null && location.postgres()) {
        throw new IllegalArgumentException("--archive applies to the files of a data directory");
      }
      if (location.postgres()) return PostgresAuditCli.evidence(location, session, node, spec);
      Path dir = location.dataDir();
      NoteVerifier key = location.ownKey(dir);
      AuditTrail.FileEvidence e;
      try {
        e = AuditTrail.evidenceFromFiles(archiveOption.files(dir), key, session);
      } catch (IOException | IllegalStateException ex) {
        throw new IllegalArgumentException(ex.getMessage());
      }
      if (e.omittedRecords() > 0) {
        spec.commandLine().getErr().println("curfew audit evidence: " + e.omittedRecords()
            + " records of the session come after the latest checkpoint and are left out; start and stop the server to sign them");
      }
      if (e.bundle().isEmpty()) {
        throw new IllegalArgumentException("the audit log holds no signed record of session " + session);
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println(e.bundle().get());
      out.flush();
      return 0;
    }
  }

  /** {@code curfew audit verify-evidence}. */
  @Command(name = "verify-evidence", mixinStandardHelpOptions = true,
      description = {"Check an evidence bundle offline.",
          "Checks the checkpoint signature (Ed25519, C2SP signed note), that it",
          "commits to the bundle's tree size and root, every record's RFC 6962 inclusion proof, and that all records",
          "name one session; for a bundle of several nodes' trees, each tree so, each with its own node's key.",
          "Exit 0 valid, 1 invalid, 2 unreadable (not a JSON object, or an HTTP problem saved in its place)."})
  static final class VerifyEvidence implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The bundle (JSON), or - for standard input.")
    Path file;

    @Option(names = "--public-key", paramLabel = "FILE",
        description = {"The verifier keys to trust, one per line (what 'curfew audit public-key' prints); may be repeated.",
            "Each tree is checked with the trusted key of its name and key id; without any, with the bundle's own keys, which",
            "proves the records are consistent but not who signed."})
    List<Path> publicKeys = new ArrayList<>();

    @picocli.CommandLine.Mixin WitnessOptions witnessOptions = new WitnessOptions();

    @Override
    public Integer call() throws IOException {
      WitnessQuorum witnesses = witnessOptions.quorum();
      String json;
      try {
        json = file.toString().equals("-") ? new String(System.in.readNBytes(EvidenceBundle.MAX_BUNDLE_CHARS + 1),
            StandardCharsets.UTF_8) : readLimited(file);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + file + ": " + IoFailure.describe(e));
      }
      rejectNotAnObject(json);
      rejectProblem(json);
      List<NoteVerifier> keys = new ArrayList<>();
      for (Path p : publicKeys) keys.addAll(readPublicKeys(p));
      EvidenceBundle.Verified verified = EvidenceBundle.verifyTrees(json, keys);
      EvidenceVerification v = verified.result();
      PrintWriter out = spec.commandLine().getOut();
      WitnessQuorum.Result w = null;
      if (v.ok() && witnesses != null) {
        for (String checkpoint : checkpoints(json)) {
          w = witnesses.check(checkpoint);
          if (!w.satisfied()) {
            out.println("curfew audit verify-evidence: INVALID");
            out.println("  The bundle's checkpoint carries " + w.describe() + ".");
            out.flush();
            return EXIT_FAILED;
          }
        }
      }
      if (v.ok() && verified.trees().size() == 1 && v.treeSize() >= 0) {
        NoteVerifier key = keys.isEmpty() ? null : keyOf(json, keys);
        out.printf("curfew audit verify-evidence: OK: %d records of session %s, included in the tree of size %,d%n",
            v.entries(), v.sessionId(), v.treeSize());
        out.println(v.keyAuthenticated() ? "  signed by the trusted key " + key.verifierKey()
            : "  signed by the bundle's own key (not authenticated: pass --public-key with the log's key)");
        if (w != null) out.println("  witnessed: " + w.describe());
        printWhatIsProven(out, v);
      } else if (v.ok()) {
        out.printf("curfew audit verify-evidence: OK: %d records of session %s, included in %d trees%n",
            v.entries(), v.sessionId(), verified.trees().size());
        List<String> trees = checkpointKeys(json);
        for (int i = 0; i < verified.trees().size(); i++) {
          out.printf("  tree of %s: %d records, included in the tree of size %,d%n", trees.get(i),
              verified.trees().get(i).entries(), verified.trees().get(i).treeSize());
        }
        out.println(v.keyAuthenticated() ? "  every tree signed by a trusted key"
            : "  signed by the bundle's own keys (not authenticated: pass --public-key with the nodes' keys)");
        if (w != null) out.println("  witnessed: " + w.describe());
        printWhatIsProven(out, v);
      } else {
        out.println("curfew audit verify-evidence: INVALID");
        for (String p : v.problems()) out.println("  " + p);
      }
      out.flush();
      return v.ok() ? 0 : EXIT_FAILED;
    }

    /**
     * What a valid bundle proves and what it cannot: an inclusion proof shows a record is in the
     * signed tree, and nothing in a bundle shows which records of the session were left out.
     */
    private static void printWhatIsProven(PrintWriter out, EvidenceVerification v) {
      out.printf("  proven:      these %d records are in the signed log, byte for byte, at the leaf indexes given%n", v.entries());
      out.println("  not proven:  that no record of the session is missing: a bundle shows the records it holds, not the"
          + " ones left out of it. To check, read the session's records in the whole log (curfew audit verify, then"
          + " curfew audit export, on the data directory) or fetch the bundle yourself from the node"
          + " (GET /v1/audit/evidence?session_id=...)");
    }

    /** The trusted key a verified bundle of one tree was checked with. */
    private static NoteVerifier keyOf(String json, List<NoteVerifier> keys) {
      if (keys.size() == 1) return keys.get(0);
      return java.util.Objects.requireNonNull(NoteVerifier.lookup(keys, String.valueOf(Json.parseObject(json).get("public_key"))));
    }

    /** The checkpoint of each tree of a verified bundle. */
    @SuppressWarnings("unchecked")
    private static List<String> checkpoints(String json) {
      java.util.Map<String, Object> o = Json.parseObject(json);
      if (!(o.get("trees") instanceof List<?> trees)) return List.of(String.valueOf(o.get("checkpoint")));
      List<String> out = new ArrayList<>();
      for (Object t : trees) out.add(String.valueOf(((java.util.Map<String, Object>) t).get("checkpoint")));
      return out;
    }

    /** The key name of each tree of a verified bundle of several trees. */
    @SuppressWarnings("unchecked")
    private static List<String> checkpointKeys(String json) {
      List<String> out = new ArrayList<>();
      for (Object t : (List<Object>) Json.parseObject(json).get("trees")) {
        out.add(String.valueOf(((java.util.Map<String, Object>) t).get("public_key")).split("\\+", 2)[0]);
      }
      return out;
    }

    /** A file that is not a JSON object (empty, text, an array) is unreadable as a bundle: exit 2, as the help says. */
    private void rejectNotAnObject(String json) {
      try {
        Json.parseObject(json);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + " is not an evidence bundle: not a JSON object (" + e.getMessage() + ")");
      }
    }

    /**
     * An HTTP problem (RFC 9457) saved in place of the bundle, as {@code curl -s} does when the evidence
     * request was refused: said as such (exit 2), not checked as a bundle.
     */
    private void rejectProblem(String json) {
      java.util.Map<String, Object> o;
      try {
        o = Json.parseObject(json);
      } catch (RuntimeException notAnObject) {
        return; // the bundle check says what is wrong with it
      }
      if (o == null || o.containsKey("checkpoint") || !o.containsKey("title") || !(o.get("status") instanceof Number)) {
        return;
      }
      Object detail = o.get("detail");
      throw new IllegalArgumentException(file + " is not an evidence bundle but an HTTP problem answer: "
          + o.get("status") + " " + o.get("title") + (detail == null ? "" : " (" + detail + ")")
          + "; the evidence request was refused, ask again with a session_id that has records and an API key with the auditor or admin scope");
    }

    private static String readLimited(Path file) throws IOException {
      if (Files.size(file) > 4L * EvidenceBundle.MAX_BUNDLE_CHARS) {
        throw new IOException("larger than a bundle can be");
      }
      return Files.readString(file, StandardCharsets.UTF_8);
    }
  }

  /** {@code curfew audit export}. */
  @Command(name = "export", mixinStandardHelpOptions = true,
      description = {"Export the records as jsonl or csv.",
          "Writes the records (kept and archived; --archive DIR when the archive was moved) to standard output for auditors' own tools:",
          "jsonl (the canonical lines, verbatim: their hashes are the Merkle leaves) or csv (one column per common",
          "field, data as canonical JSON). --from is inclusive, --to exclusive; RFC 3339 instants or dates (UTC).",
          "Exit 0 when all are written; 1 at a line that is not a record (every record before it is written, then",
          "the line's file, line number and due seq are named), or when a segment file is not part of the log's chain",
          "(every record of the chain is written, then the file is named), or when archived records the period may hold",
          "are not at hand (every record before them is written, then their seq range is named); 2 on bad input."})
  static final class Export implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin Location location = new Location();

    @Option(names = "--from", paramLabel = "T", description = "First time, inclusive (e.g. 2026-01-01 or 2026-01-01T00:00:00Z).")
    String from;

    @Option(names = "--to", paramLabel = "T", description = "End time, exclusive; after --from.")
    String to;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "jsonl", description = "jsonl (default) or csv.")
    String format;

    @Option(names = "--node", paramLabel = "NAME", description = "PostgreSQL: only this node's records, in seq order (default: every node's, as one trail by time, then node, then seq).")
    String node;

    @picocli.CommandLine.Mixin ArchiveOption archiveOption = new ArchiveOption();

    static final List<String> CSV_COLUMNS = List.of("seq", "time", "type", "node", "session_id", "subject", "policy",
        "policy_version", "data");

    @Override
    public Integer call() {
      if (!format.equals("jsonl") && !format.equals("csv")) {
        throw new IllegalArgumentException("--format must be jsonl or csv, not \"" + format + "\"");
      }
      Long fromMs = from == null ? null : parseTime("--from", from);
      Long toMs = to == null ? null : parseTime("--to", to);
      if (fromMs != null && toMs != null) requirePeriod(fromMs, toMs);
      String fromTime = fromMs == null ? null : Times.format(fromMs);
      String toTime = toMs == null ? null : Times.format(toMs);
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      if (node != null) location.requirePostgresFor("--node");
      if (archiveOption.archive != null && location.postgres()) {
        throw new IllegalArgumentException("--archive applies to the files of a data directory");
      }
      if (location.postgres()) return PostgresAuditCli.export(location, node, fromTime, toTime, format, out, err);
      Path dir = location.dataDir();
      if (format.equals("csv")) out.print(String.join(",", CSV_COLUMNS) + "\r\n");
      long[] written = {0};
      List<String> problems;
      try {
        problems = exportFiles(archiveOption.files(dir), fromTime, toTime, out, err, written);
      } catch (UnreadableLine e) {
        out.flush(); // every whole record before the line, and nothing of it
        err.printf("curfew audit export: stopped at line %,d of %s (seq %,d was due): not a record (%s); the %,d records"
            + " before it were written%n", e.seq - e.segmentFirstSeq + 1, segmentName(dir, e.segmentFirstSeq), e.seq,
            e.getMessage(), written[0]);
        err.flush();
        return EXIT_FAILED;
      } catch (IOException e) {
        out.flush();
        throw new IllegalArgumentException("cannot read the audit log in " + dir + ": " + e.getMessage());
      }
      if (out.checkError()) return 0; // nothing to count: Main names the write failure (CommandOutput)
      err.printf("curfew audit export: %,d records written%n", written[0]);
      for (String p : problems) err.println("curfew audit export: FAILED: " + p);
      err.flush();
      return problems.isEmpty() ? 0 : EXIT_FAILED;
    }

    /**
     * Writes the records of [fromTime, toTime) in seq order, counting them in {@code written[0]}, and
     * returns what keeps the export from being whole: archived segments not at hand whose records may
     * fall in the period (the export stops before them), segment files that are not part of the
     * log's chain (not read).
     */
    private List<String> exportFiles(AuditFiles files, String fromTime, String toTime, PrintWriter out, PrintWriter err,
        long[] written) throws IOException {
      java.util.TreeMap<Long, Path> present = files.segments();
      java.util.TreeMap<Long, ArchiveManifest.Entry> manifest = ArchiveManifest.read(files);
      SegmentChain chain = new SegmentChain(present);
      List<ArchiveManifest.Entry> absent = new ArrayList<>();
      boolean[] stopped = {false};
      long seq = 0;
      while (!stopped[0]) {
        ArchiveManifest.Entry e = manifest.get(seq);
        if (e != null && !present.containsKey(seq)) { // moved elsewhere: the records are not here to write
          absent.add(e);
          chain.summarized(seq, e.endSeq());
          seq = e.endSeq();
          continue;
        }
        if (!present.containsKey(seq)) break;
        if (!absent.isEmpty() && !before(firstTime(files, seq), fromTime)) {
          return List.of(ArchiveManifest.notAtHand(files, absent) + "; the " + String.format("%,d", written[0])
              + " records before them were written");
        }
        absent.clear(); // all before --from: the period lacks none of them
        long next = files.forEachLine(seq, Long.MAX_VALUE, 1 << 20, (s, first, offset, b, off, len) -> {
          chain.read(first, s);
          stopped[0] = !exportLine(s, first, new String(b, off, len, StandardCharsets.UTF_8), fromTime, toTime, out,
              err, written);
          return !stopped[0];
        }).nextSeq();
        if (next == seq) break;
        seq = next;
      }
      if (!absent.isEmpty()) return List.of(ArchiveManifest.notAtHand(files, absent));
      return chain.strays(seq, !stopped[0]).stream().map(s -> s + "; it was not exported").toList();
    }

    /** Whether {@code time} is known and before {@code fromTime} (null: the log's start, which nothing is before). */
    private static boolean before(String time, String fromTime) {
      return time != null && fromTime != null && time.compareTo(fromTime) < 0;
    }

    /** The time of record {@code seq}, or null when it cannot be read. */
    private static String firstTime(AuditFiles files, long seq) throws IOException {
      String[] time = {null};
      files.forEachLine(seq, seq + 1, 1 << 20, (s, first, offset, b, off, len) -> {
        try {
          time[0] = String.valueOf(Json.parseObject(new String(b, off, len, StandardCharsets.UTF_8)).get("time"));
        } catch (IllegalArgumentException unreadable) {
          // null: the export reads it next and names it
        }
        return false;
      });
      return time[0];
    }

    /** Writes one line if its time is in [fromTime, toTime); false when the period is over. */
    private boolean exportLine(long seq, long first, String line, String fromTime, String toTime, PrintWriter out,
        PrintWriter err, long[] written) {
      Map<String, Object> r;
      try {
        r = Json.parseObject(line);
      } catch (RuntimeException e) {
        throw new UnreadableLine(seq, first, e.getMessage());
      }
      String time = String.valueOf(r.get("time"));
      if (toTime != null && time.compareTo(toTime) >= 0) return false; // time never decreases along the log
      if (fromTime == null || time.compareTo(fromTime) >= 0) {
        if (format.equals("jsonl")) out.print(line + "\n");
        else out.print(csvRow(r));
        if (++written[0] % PROGRESS_EVERY_RECORDS == 0) {
          err.printf("curfew audit export: %,d records%n", written[0]);
          err.flush();
        }
      }
      return true;
    }

    private static String segmentName(Path dir, long segmentFirstSeq) {
      try {
        Path segment = AuditFiles.of(dir).segments().get(segmentFirstSeq);
        if (segment != null) return segment.toString();
      } catch (IOException e) {
        // named by its first seq below
      }
      return "the segment from seq " + segmentFirstSeq + " in " + dir;
    }

    /** A line of the log that is not a record (not a JSON object): the export ends before it. */
    private static final class UnreadableLine extends RuntimeException {
      final long seq;
      final long segmentFirstSeq;

      UnreadableLine(long seq, long segmentFirstSeq, String why) {
        super(why, null, false, false);
        this.seq = seq;
        this.segmentFirstSeq = segmentFirstSeq;
      }
    }

    static String csvRow(Map<String, Object> r) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < CSV_COLUMNS.size(); i++) {
        if (i > 0) sb.append(',');
        Object v = r.get(CSV_COLUMNS.get(i));
        String cell = v == null ? "" : v instanceof String s ? s : CanonicalJson.write(v);
        sb.append(csvCell(cell));
      }
      return sb.append("\r\n").toString();
    }

    /** RFC 4180: quote a cell holding a comma, quote, CR or LF; double the quotes. */
    static String csvCell(String s) {
      if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
      return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Refuses a period [from, to) that holds no instant: export and attest say it alike. */
    static void requirePeriod(long fromMs, long toMs) {
      if (toMs <= fromMs) throw new IllegalArgumentException("--to must be after --from");
    }

    /** A date (midnight UTC) or an instant; both as {@link Times#parse} reads them: years 0000-9999. */
    static long parseTime(String option, String text) {
      try {
        if (text.length() == 10) return Times.parse(LocalDate.parse(text) + "T00:00:00Z");
        return Times.parse(text);
      } catch (DateTimeParseException | IllegalArgumentException e) {
        throw new IllegalArgumentException(option + " must be a date (2026-01-31) or an RFC 3339 instant"
            + " (2026-01-31T12:00:00Z) of the years 0000-9999, not \"" + text + "\"");
      }
    }
  }

  /** {@code curfew audit attest}. */
  @Command(name = "attest", mixinStandardHelpOptions = true,
      description = {"Write or check a signed period attestation.",
          "Writes OUT/attestation.json (the figures of [--from, --to): policies in force, sessions opened and how they",
          "ended, expiry lateness p50/p99/max, warnings, extensions and refusals, revocations by actor, clock steps,",
          "anomalies; bound to the latest signed checkpoint and signed Ed25519 by the log's key) and OUT/attestation.pdf.",
          "With --verify FILE: recompute every figure from the log and the checkpoint; exit 0 equal, 1 naming each",
          "difference, 2 bad input."})
  static final class Attest implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin Location location = new Location();

    @Option(names = "--from", paramLabel = "T", description = "Start, inclusive (a date or an RFC 3339 instant, UTC).")
    String from;

    @Option(names = "--to", paramLabel = "T", description = "End, exclusive.")
    String to;

    @Option(names = "--out", paramLabel = "DIR", description = "Where to write attestation.json and attestation.pdf.")
    Path out;

    @Option(names = "--verify", paramLabel = "FILE", description = "Check this attestation.json against the log instead.")
    Path verify;

    @Option(names = "--public-key", paramLabel = "FILE",
        description = {"With --verify: the log's verifier key to trust (default: the data directory's, or the node's key registered in PostgreSQL).",
            "A file of several keys, one per line: the one whose name and key id sign the attestation's checkpoint."})
    Path publicKey;

    @Option(names = "--node", paramLabel = "NAME",
        description = "PostgreSQL: the node whose log to attest (needed only when the database holds several).")
    String node;

    @picocli.CommandLine.Mixin ArchiveOption archiveOption = new ArchiveOption();

    @Override
    public Integer call() throws IOException {
      if (node != null) location.requirePostgresFor("--node");
      if (archiveOption.archive != null && location.postgres()) {
        throw new IllegalArgumentException("--archive applies to the files of a data directory");
      }
      if (verify != null && (from != null || to != null || out != null)) {
        throw new IllegalArgumentException("--verify takes no --from, --to or --out");
      }
      if (verify == null && (from == null || to == null || out == null)) {
        throw new IllegalArgumentException("give --from, --to and --out (or --verify FILE)");
      }
      if (!location.postgres()) return attest(AttestedLog.files(archiveOption.files(location.dataDir())), null);
      try (AuditDatabase db = location.database()) {
        AuditDatabase.Node n = PostgresAuditCli.node(db, node);
        return attest(AttestedLog.postgres(db, n), n);
      }
    }

    /** Writes or checks the attestation of {@code log}; {@code pgNode} is its node in PostgreSQL, or null (files). */
    private int attest(AttestedLog log, AuditDatabase.Node pgNode) throws IOException {
      PrintWriter o = spec.commandLine().getOut();
      if (verify != null) {
        String json;
        try {
          json = Files.readString(verify, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new IllegalArgumentException("cannot read " + verify + ": " + IoFailure.describe(e));
        }
        NoteVerifier key = publicKey != null ? readPublicKeyFor(publicKey, checkpointNote(json))
            : pgNode != null ? NoteVerifier.parse(pgNode.publicKey()) : location.ownKey(location.dataDir());
        List<String> problems;
        try {
          problems = Attestation.verify(json, log, key);
        } catch (IllegalArgumentException notAnAttestation) {
          throw new IllegalArgumentException(verify + " is not an attestation: " + notAnAttestation.getMessage());
        }
        if (problems.isEmpty()) {
          o.println("curfew audit attest --verify: OK: the signature holds and every figure equals the one recomputed from the log"
              + (publicKey == null && pgNode != null ? " (signature checked with the key registered in the database; pass"
                  + " --public-key with a copy kept elsewhere for an independent check)" : ""));
        } else {
          o.println("curfew audit attest --verify: FAILED");
          for (String p : problems) o.println("  " + p);
        }
        o.flush();
        return problems.isEmpty() ? 0 : EXIT_FAILED;
      }
      long fromMs = Export.parseTime("--from", from);
      long toMs = Export.parseTime("--to", to);
      Export.requirePeriod(fromMs, toMs);
      Path keyFile = location.cfgSigningKey() != null ? location.cfgSigningKey()
          : AuditFiles.of(location.dataDirAnyState()).defaultSigningKeyFile();
      NoteSigner signer;
      try {
        signer = AuditFiles.readSigner(keyFile);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the signing key " + keyFile + ": " + IoFailure.describe(e));
      }
      if (pgNode != null && !signer.verifier().verifierKey().equals(pgNode.publicKey())) {
        throw new IllegalArgumentException("the signing key " + keyFile + " is not the key of node " + pgNode.name()
            + " (" + pgNode.publicKey() + "): an attestation is signed by the key of the log it states");
      }
      Map<String, Object> a;
      try {
        a = Attestation.build(log, signer, fromMs, toMs, System.currentTimeMillis());
      } catch (IllegalStateException e) {
        throw new IllegalArgumentException(e.getMessage());
      }
      Files.createDirectories(out);
      Files.writeString(out.resolve("attestation.json"), CanonicalJson.write(a) + "\n", StandardCharsets.UTF_8);
      try (java.io.OutputStream pdf = Files.newOutputStream(out.resolve("attestation.pdf"))) {
        dev.curfew.server.attest.AttestationPdf.write(a, pdf);
      }
      o.println("curfew audit attest: wrote " + out.resolve("attestation.json") + " and " + out.resolve("attestation.pdf"));
      o.flush();
      return 0;
    }
  }

  /** The checkpoint note an attestation is bound to, or null when it has none to read. */
  private static String checkpointNote(String attestationJson) {
    try {
      return Json.parseObject(attestationJson).get("checkpoint") instanceof Map<?, ?> c && c.get("note") instanceof String n
          ? n : null;
    } catch (IllegalArgumentException e) {
      return null; // Attestation.verify says it is not an attestation
    }
  }

  /** {@code curfew audit public-key}. */
  @Command(name = "public-key", mixinStandardHelpOptions = true,
      description = {"Print the verifier key of the checkpoints.",
          "C2SP signed-note verifier key format: name+hex8+base64(0x01||key).",
          "Keep a copy outside the data directory: it is what 'audit verify --public-key' and third parties check against.",
          "PostgreSQL: the keys the nodes registered in the database, one per line."})
  static final class PublicKey implements Callable<Integer> {
    @Spec CommandSpec spec;
    @picocli.CommandLine.Mixin Location location = new Location();

    @Option(names = "--node", paramLabel = "NAME", description = "PostgreSQL: only this node's key (default: every node's, one per line).")
    String node;

    @Override
    public Integer call() {
      if (node != null) location.requirePostgresFor("--node");
      if (location.postgres()) return PostgresAuditCli.publicKeys(location, node, spec.commandLine().getOut());
      spec.commandLine().getOut().println(location.ownKey(location.dataDirAnyState()).verifierKey());
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  static String human(Duration d) {
    long s = d.toSeconds();
    if (s < 120) return s + " s";
    if (s < 2 * 3600) return s / 60 + " min";
    if (s < 2 * 86_400) return s / 3600 + " h " + (s % 3600) / 60 + " min";
    return s / 86_400 + " days";
  }
}

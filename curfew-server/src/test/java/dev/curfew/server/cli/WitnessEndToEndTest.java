package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.AddCheckpointRequest;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.SignedNote;
import dev.curfew.core.audit.WitnessKey;
import dev.curfew.server.config.CurfewConfig;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The witness as a separate process (the real CLI, {@code curfew witness serve}, in a child JVM)
 * and a real server that submits every checkpoint to it. The operator, who holds the log's key,
 * then rewrites a record and signs every checkpoint again: the log's key alone accepts the rewrite,
 * the witness's key does not, and the witness refuses to cosign the rewritten log.
 */
class WitnessEndToEndTest {
  private static final Pattern LISTENING = Pattern.compile("listening on http://localhost:(\\d+)");
  private static final Pattern SESSION = Pattern.compile("\"session_id\":\"([^\"]+)\"");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path dir;
  private Process witness;

  @AfterEach
  void stopWitness() throws InterruptedException {
    if (witness != null) {
      witness.destroy();
      if (!witness.waitFor(20, TimeUnit.SECONDS)) witness.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void anHonestWitness_catchesALogRewrittenAndReSignedWithTheOperatorsOwnKey() throws Exception {
    NoteSigner logKey = NoteSigner.generate("curfew/witnessed-node");
    Path signerFile = dir.resolve("log-signing.key");
    Files.writeString(signerFile, logKey.signerKey() + "\n");
    Path logPub = dir.resolve("log.pub");
    Files.writeString(logPub, logKey.verifier().verifierKey() + "\n");
    Path witnessDir = dir.resolve("witness");
    int witnessPort = startWitness(witnessDir, logPub);
    CliRun pk = run("witness", "public-key", "--data", witnessDir.toString());
    assertThat(pk.exit()).as(pk.err()).isZero();
    WitnessKey witnessKey = WitnessKey.parse(pk.out().strip());
    Path witnessPub = dir.resolve("witness.pub");
    Files.writeString(witnessPub, pk.out());

    Path data = dir.resolve("data");
    CurfewConfig cfg = CurfewConfig.parse("node: witnessed-node\n"
        + "audit_signing_key: " + signerFile + "\n"
        + "witnesses:\n  - { url: \"http://127.0.0.1:" + witnessPort + "\", key: \"" + witnessKey.verifierKey() + "\" }\n")
        .withOverrides(0, data);
    ServeCommand.Running server = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream()));
    String sessionId;
    String bundle;
    try {
      String apiKey = Files.readString(data.resolve(KeyBootstrap.KEY_FILE)).trim();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 6; i++) ids.add(session(server.port, apiKey, "user-" + i));
      sessionId = ids.get(2);
      // the checkpoint served carries the witness's cosignature, once one covers the records
      String cosigned = Awaitility.await("a cosigned checkpoint").atMost(Duration.ofSeconds(30))
          .until(() -> get(server.port, "/v1/audit/checkpoint", apiKey).body(),
              note -> note.contains("\u2014 " + witnessKey.name() + " "));
      assertThat(logKey.verifier().verify(cosigned).verified()).isTrue();
      bundle = get(server.port, "/v1/audit/evidence?session_id=" + sessionId, apiKey).body();
    } finally {
      server.stop(new PrintStream(new ByteArrayOutputStream()));
    }
    Path bundleFile = dir.resolve("bundle.json");
    Files.writeString(bundleFile, bundle);
    CliRun ev = run("audit", "verify-evidence", bundleFile.toString(), "--public-key", logPub.toString(),
        "--witness-key", witnessPub.toString());
    assertThat(ev.exit()).as(ev.out() + ev.err()).isZero();
    assertThat(ev.out()).contains("witnessed: 1 of 1");

    CliRun honest = run("audit", "verify", "--data", data.toString(), "--public-key", logPub.toString(),
        "--witness-key", witnessPub.toString());
    assertThat(honest.exit()).as(honest.out() + honest.err()).isZero();
    assertThat(honest.out()).contains("witnesses:");

    // The operator rewrites one record and signs every checkpoint again with the log's key.
    Path forged = rewriteAndReSign(data, logKey, sessionId);
    CliRun ownKeyOnly = run("audit", "verify", "--data", forged.toString(), "--public-key", logPub.toString());
    assertThat(ownKeyOnly.exit()).as("the log's key alone cannot tell: " + ownKeyOnly.out()).isZero();
    CliRun withWitness = run("audit", "verify", "--data", forged.toString(), "--public-key", logPub.toString(),
        "--witness-key", witnessPub.toString());
    assertThat(withWitness.exit()).as(withWitness.out()).isEqualTo(1);
    assertThat(withWitness.out()).contains("FAILED").contains("0 of 1 required witness cosignatures");

    // ... and the witness will not cosign the rewritten log, at its own size or later.
    List<String> forgedLines = segmentLines(forged);
    MerkleTree tree = MerkleTree.inMemory();
    for (String l : forgedLines) tree.append(l.getBytes(StandardCharsets.UTF_8));
    long witnessed = Checkpoint.parse(SignedNote.parse(lastCheckpointNote(data)).text()).treeSize();
    String sameSize = logKey.sign(new Checkpoint(logKey.name(), witnessed, tree.rootHash(witnessed)).body());
    HttpResponse<String> conflict = addCheckpoint(witnessPort, new AddCheckpointRequest(witnessed, List.of(), sameSize));
    assertThat(conflict.statusCode()).isEqualTo(409);
    tree.append("{\"more\":1}".getBytes(StandardCharsets.UTF_8));
    long bigger = tree.size();
    String later = logKey.sign(new Checkpoint(logKey.name(), bigger, tree.rootHash()).body());
    HttpResponse<String> badProof = addCheckpoint(witnessPort,
        new AddCheckpointRequest(witnessed, tree.consistencyProof(witnessed, bigger), later));
    assertThat(badProof.statusCode()).isEqualTo(422);
    HttpResponse<String> fromZero = addCheckpoint(witnessPort, new AddCheckpointRequest(0, List.of(), later));
    assertThat(fromZero.statusCode()).isEqualTo(409);
    assertThat(fromZero.headers().firstValue("Content-Type")).hasValue("text/x.tlog.size");
    assertThat(fromZero.body()).isEqualTo(witnessed + "\n");
  }

  @Test
  void withThePostgresAuditStore_checkpointsAreCosignedInTheDatabase_andVerifyAppliesTheWitnessRule() throws Exception {
    NoteSigner logKey = NoteSigner.generate("curfew/pg-node");
    Path signerFile = dir.resolve("log-signing.key");
    Files.writeString(signerFile, logKey.signerKey() + "\n");
    Path logPub = dir.resolve("log.pub");
    Files.writeString(logPub, logKey.verifier().verifierKey() + "\n");
    Path witnessDir = dir.resolve("witness");
    int witnessPort = startWitness(witnessDir, logPub);
    CliRun pk = run("witness", "public-key", "--data", witnessDir.toString());
    WitnessKey witnessKey = WitnessKey.parse(pk.out().strip());
    Path witnessPub = dir.resolve("witness.pub");
    Files.writeString(witnessPub, pk.out());
    Path otherWitnessPub = dir.resolve("other-witness.pub");
    Files.writeString(otherWitnessPub, dev.curfew.core.audit.WitnessSigner.generate("other.witness/w").key().verifierKey() + "\n");

    try (dev.curfew.store.postgres.testing.TestDatabase database = dev.curfew.store.postgres.testing.TestDatabase.create("witnessed")) {
      String pg = "postgres: { url: \"jdbc:postgresql://" + dev.curfew.store.postgres.testing.TestDatabase.HOST + ":"
          + dev.curfew.store.postgres.testing.TestDatabase.PORT + "/" + database.name() + "\", user: "
          + dev.curfew.store.postgres.testing.TestDatabase.USER + " }\n";
      CurfewConfig cfg = CurfewConfig.parse("node: pg-node\naudit: postgres\n" + pg
          + "audit_signing_key: " + signerFile + "\n"
          + "witnesses:\n  - { url: \"http://127.0.0.1:" + witnessPort + "\", key: \"" + witnessKey.verifierKey() + "\" }\n")
          .withOverrides(0, dir.resolve("data"));
      ServeCommand.Running server = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream()));
      try {
        String apiKey = Files.readString(dir.resolve("data").resolve(KeyBootstrap.KEY_FILE)).trim();
        for (int i = 0; i < 4; i++) session(server.port, apiKey, "user-" + i);
        String cosigned = Awaitility.await("a cosigned checkpoint from PostgreSQL").atMost(Duration.ofSeconds(30))
            .until(() -> get(server.port, "/v1/audit/checkpoint", apiKey).body(),
                note -> note.contains("\u2014 " + witnessKey.name() + " "));
        assertThat(logKey.verifier().verify(cosigned).verified()).isTrue();
      } finally {
        server.stop(new PrintStream(new ByteArrayOutputStream()));
      }
      Path cliConfig = dir.resolve("cli.yaml");
      Files.writeString(cliConfig, "audit: postgres\n" + pg);
      // the final checkpoint at stop is cosigned too: the latest one carries the witness
      CliRun honest = run("audit", "verify", "--config", cliConfig.toString(), "--public-key", logPub.toString(),
          "--witness-key", witnessPub.toString());
      assertThat(honest.exit()).as(honest.out() + honest.err()).isZero();
      assertThat(honest.out()).contains("(PostgreSQL, 1 node)").contains("witnesses:");
      CliRun unknownWitness = run("audit", "verify", "--config", cliConfig.toString(), "--public-key", logPub.toString(),
          "--witness-key", otherWitnessPub.toString());
      assertThat(unknownWitness.exit()).as(unknownWitness.out()).isEqualTo(1);
      assertThat(unknownWitness.out()).contains("0 of 1 required witness cosignatures");
      assertThat(database.queryLong("SELECT count(*) FROM audit_cosignatures")).isPositive();
    }
  }

  @Test
  void witnessCommands_haveHelp_andRefuseBadInput() {
    assertThat(run("witness", "--help").out()).contains("serve").contains("public-key");
    assertThat(run("witness", "serve", "--help").out()).contains("--log-key").contains("409");
    assertThat(run("witness", "public-key", "--data", dir.resolve("none").toString()).exit()).isEqualTo(2);
    assertThat(run("audit", "verify", "--witnesses", "1", "--data", dir.toString()).exit()).isEqualTo(2);
  }

  /** A copy of {@code data} with the session.created record of {@code sessionId} rewritten and every checkpoint re-signed. */
  private Path rewriteAndReSign(Path data, NoteSigner logKey, String sessionId) throws Exception {
    Path copy = dir.resolve("forged");
    try (Stream<Path> all = Files.walk(data)) {
      for (Path p : all.toList()) {
        String rel = data.relativize(p).toString();
        if (rel.startsWith("audit/tree") || rel.startsWith("audit/index")) continue; // derived: rebuilt from the log
        Path target = copy.resolve(rel);
        if (Files.isDirectory(p)) Files.createDirectories(target);
        else Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    Path segment = segment(copy);
    List<String> lines = new ArrayList<>(Files.readAllLines(segment));
    boolean edited = false;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains("\"session_id\":\"" + sessionId + "\"") && lines.get(i).contains("\"subject\":\"user-2\"")) {
        lines.set(i, lines.get(i).replace("\"subject\":\"user-2\"", "\"subject\":\"user-9\""));
        edited = true;
        break;
      }
    }
    assertThat(edited).isTrue();
    Files.write(segment, lines);
    MerkleTree tree = MerkleTree.inMemory();
    for (String l : lines) tree.append(l.getBytes(StandardCharsets.UTF_8));
    List<String> checkpoints = new ArrayList<>();
    for (String l : Files.readAllLines(copy.resolve("audit/checkpoints.jsonl"))) {
      long size = CheckpointLine.parse(l).treeSize();
      checkpoints.add(new CheckpointLine(size, logKey.sign(new Checkpoint(logKey.name(), size, tree.rootHash(size)).body())).toJson());
    }
    Files.write(copy.resolve("audit/checkpoints.jsonl"), checkpoints);
    return copy;
  }

  private static String lastCheckpointNote(Path data) throws Exception {
    List<String> l = Files.readAllLines(data.resolve("audit/checkpoints.jsonl"));
    return CheckpointLine.parse(l.get(l.size() - 1)).note();
  }

  private static Path segment(Path data) throws Exception {
    try (Stream<Path> s = Files.list(data.resolve("audit"))) {
      List<Path> segs = s.filter(p -> p.getFileName().toString().matches("audit-\\d{20}\\.jsonl")).sorted().toList();
      assertThat(segs).hasSize(1);
      return segs.get(0);
    }
  }

  private static List<String> segmentLines(Path data) throws Exception {
    return Files.readAllLines(segment(data));
  }

  /** {@code curfew witness serve} in a child JVM; returns its port. */
  private int startWitness(Path witnessDir, Path logPub) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "witness", "serve", "--data", witnessDir.toString(), "--port", "0",
        "--host", "127.0.0.1", "--log-key", logPub.toString(), "--name", "witness.test/w1");
    pb.redirectErrorStream(true);
    witness = pb.start();
    BufferedReader out = new BufferedReader(new InputStreamReader(witness.getInputStream(), StandardCharsets.UTF_8));
    List<String> lines = new CopyOnWriteArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      String line = out.readLine();
      if (line == null) break;
      lines.add(line);
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // keep the pipe from filling
            }
          } catch (Exception ignored) {
            // gone
          }
        });
        drain.setDaemon(true);
        drain.start();
        return Integer.parseInt(m.group(1));
      }
    }
    throw new AssertionError("witness did not start: " + lines);
  }

  private static HttpResponse<String> addCheckpoint(int port, AddCheckpointRequest r) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/add-checkpoint"))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(r.body())).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String session(int port, String key, String subject) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/v1/sessions"))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"subject\":\"" + subject + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(201);
    Matcher s = SESSION.matcher(r.body());
    assertThat(s.find()).isTrue();
    return s.group(1);
  }

  private static HttpResponse<String> get(int port, String path, String key) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }
}

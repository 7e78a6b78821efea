package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.curfew.server.config.CurfewConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit trail end to end: a real server (in-process, port 0) writes the log; `curfew audit`
 * verifies it, catches every kind of tampering on copies of it and names the record; evidence
 * bundles from the API and from the CLI verify with `audit verify-evidence` and, independently,
 * with BouncyCastle's Ed25519 and a hand-written RFC 6962 inclusion check; forged ones do not.
 */
class AuditCliEndToEndTest {
  private static final Pattern TOKEN = Pattern.compile("\"token\":\"(cft_[A-Za-z0-9_-]+)\"");
  private static final Pattern SESSION = Pattern.compile("\"session_id\":\"([^\"]+)\"");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path shared;
  @TempDir Path dir;

  static Path data;
  static Path trustedCheckpoint;
  static Path publicKey;
  static String sessionId;
  static String httpBundle;
  static int sessions;
  static String laterCheckpoint;
  static String consistencyBody;

  @BeforeAll
  static void writeALogWithARealServer() throws Exception {
    data = shared.resolve("data");
    ServeCommand.Running server = start(data);
    try {
      String key = Files.readString(data.resolve(KeyBootstrap.KEY_FILE)).trim();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 12; i++) ids.add(session(server.port, key, i));
      // a checkpoint is written within a second of new records: wait (generously) for one that covers
      // at least the 12 session.created and 6 logged_out records just written
      org.awaitility.Awaitility.await("a checkpoint over the first sessions").atMost(java.time.Duration.ofSeconds(30))
          .pollInterval(java.time.Duration.ofMillis(100)).until(() -> {
            HttpResponse<String> c = get(server.port, "/v1/audit/checkpoint", key);
            return c.statusCode() == 200 && checkpointOf(c.body()).treeSize() >= 18;
          });
      HttpResponse<String> cp = get(server.port, "/v1/audit/checkpoint", key);
      assertThat(cp.statusCode()).isEqualTo(200);
      assertThat(cp.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
      assertThat(cp.headers().firstValue("Cache-Control")).hasValue("no-store");
      trustedCheckpoint = shared.resolve("trusted-checkpoint.txt");
      Files.writeString(trustedCheckpoint, cp.body());
      for (int i = 12; i < 24; i++) ids.add(session(server.port, key, i));
      sessions = ids.size();
      sessionId = ids.get(3);
      HttpResponse<String> ev = get(server.port, "/v1/audit/evidence?session_id=" + sessionId, key);
      assertThat(ev.statusCode()).isEqualTo(200);
      assertThat(ev.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
      httpBundle = ev.body();
      long from = checkpointOf(Files.readString(trustedCheckpoint)).treeSize();
      // a checkpoint is written within a second of new records: wait (generously) for one past the kept one
      long deadline = System.nanoTime() + 60_000_000_000L;
      do {
        laterCheckpoint = get(server.port, "/v1/audit/checkpoint", key).body();
        if (checkpointOf(laterCheckpoint).treeSize() > from) break;
        Thread.sleep(100);
      } while (System.nanoTime() < deadline);
      long to = checkpointOf(laterCheckpoint).treeSize();
      HttpResponse<String> cons = get(server.port, "/v1/audit/consistency?from=" + from + "&to=" + to, key);
      assertThat(cons.statusCode()).isEqualTo(200);
      consistencyBody = cons.body();
      assertThat(get(server.port, "/v1/audit/consistency?from=" + from + "&to=" + (to + 1000), key).statusCode()).isEqualTo(404);
      assertThat(get(server.port, "/v1/audit/consistency?from=0&to=" + to, key).statusCode()).isEqualTo(400);
      assertThat(get(server.port, "/v1/audit/evidence?session_id=s_nope", key).statusCode()).isEqualTo(404);
      assertThat(get(server.port, "/v1/audit/evidence", key).statusCode()).isEqualTo(400);
      assertThat(get(server.port, "/v1/audit/checkpoint", "wrong").statusCode()).isEqualTo(401);
    } finally {
      server.stop(new PrintStream(new ByteArrayOutputStream()));
    }
    CliRun pk = run("audit", "public-key", "--data", data.toString());
    assertThat(pk.exit()).isZero();
    publicKey = shared.resolve("curfew.pub");
    Files.writeString(publicKey, pk.out());
  }

  private static dev.curfew.core.audit.Checkpoint checkpointOf(String note) {
    return dev.curfew.core.audit.Checkpoint.parse(note.substring(0, note.indexOf("\n\n") + 1));
  }

  @Test
  void consistencyProof_fromTheApi_provesTheLaterCheckpointExtendsTheKeptOne() throws Exception {
    dev.curfew.core.audit.Checkpoint a = checkpointOf(Files.readString(trustedCheckpoint));
    dev.curfew.core.audit.Checkpoint b = checkpointOf(laterCheckpoint);
    assertThat(b.treeSize()).isGreaterThan(a.treeSize());
    com.fasterxml.jackson.databind.JsonNode body = JSON.readTree(consistencyBody);
    List<byte[]> proof = new ArrayList<>();
    for (com.fasterxml.jackson.databind.JsonNode h : body.get("proof")) proof.add(java.util.Base64.getDecoder().decode(h.asText()));
    assertThat(dev.curfew.core.audit.MerkleProofs.verifyConsistency(a.treeSize(), b.treeSize(), proof, a.rootHash(), b.rootHash())).isTrue();
    byte[] wrong = b.rootHash().clone();
    wrong[0] ^= 1;
    assertThat(dev.curfew.core.audit.MerkleProofs.verifyConsistency(a.treeSize(), b.treeSize(), proof, a.rootHash(), wrong)).isFalse();
  }

  private static ServeCommand.Running start(Path dataDir) throws Exception {
    CurfewConfig cfg = CurfewConfig.defaults().withOverrides(0, dataDir);
    return ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream()));
  }

  /** Opens a session and gives it a few more lifecycle records; returns its id. */
  private static String session(int port, String key, int i) throws Exception {
    HttpResponse<String> r = post(port, "/v1/sessions", key, "{\"subject\":\"user-" + i + "\"}");
    assertThat(r.statusCode()).isEqualTo(201);
    Matcher t = TOKEN.matcher(r.body());
    Matcher s = SESSION.matcher(r.body());
    assertThat(t.find() && s.find()).isTrue();
    String token = t.group(1);
    post(port, "/v1/session/warning-ack", token, "");
    if (i % 2 == 0) {
      HTTP.send(HttpRequest.newBuilder(uri(port, "/v1/session")).header("Authorization", "Bearer " + token)
          .DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }
    return s.group(1);
  }

  // ---------------------------------------------------------------- verify

  @Test
  void verify_aLogWrittenByARealServer_passesWithASummary() throws Exception {
    CliRun r = run("audit", "verify", "--data", data.toString(), "--public-key", publicKey.toString(),
        "--trusted-checkpoint", trustedCheckpoint.toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("curfew audit verify: OK").contains("records:").contains("time span:")
        .contains("trusted checkpoint").contains("consistent");
    assertThat(r.out()).containsPattern("sessions: +" + sessions + "\\b");
    assertThat(r.out()).containsPattern("checkpoints: +\\d+ verified; signed up to tree size " + lines(data).size());
  }

  @Test
  void editedByte_isCaught_andTheRecordIsNamed() throws Exception {
    Path copy = copyData();
    Path seg = lastSegment(copy);
    List<String> lines = lines(copy);
    int victim = lines.size() / 2;
    String before = lines.get(victim);
    int at = before.indexOf("\"node\":\"") + 8; // a letter of the node name: still canonical JSON
    String after = before.substring(0, at) + (before.charAt(at) == 'x' ? 'y' : 'x') + before.substring(at + 1);
    lines.set(victim, after);
    Files.writeString(seg, String.join("\n", lines) + "\n");
    CliRun r = verify(copy);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("FAILED").contains("seq " + victim);
  }

  @Test
  void deletedRecord_isCaught_andTheRecordIsNamed() throws Exception {
    Path copy = copyData();
    List<String> lines = lines(copy);
    lines.remove(7);
    Files.writeString(lastSegment(copy), String.join("\n", lines) + "\n");
    CliRun r = verify(copy);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("FAILED: record seq 7");
  }

  @Test
  void swappedRecords_areCaught_andTheRecordIsNamed() throws Exception {
    Path copy = copyData();
    List<String> lines = lines(copy);
    String a = lines.get(10);
    lines.set(10, lines.get(11));
    lines.set(11, a);
    Files.writeString(lastSegment(copy), String.join("\n", lines) + "\n");
    CliRun r = verify(copy);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("FAILED: record seq 10");
  }

  @Test
  void truncationBelowATrustedCheckpoint_isCaught_evenWithTheCheckpointsFileCutToo() throws Exception {
    Path copy = copyData();
    long trustedSize = Long.parseLong(Files.readString(trustedCheckpoint).split("\n")[1]);
    List<String> lines = lines(copy).subList(0, (int) trustedSize - 2);
    Files.writeString(lastSegment(copy), String.join("\n", lines) + "\n");
    // the attacker also drops every checkpoint above the cut, so the data directory is self-consistent
    Path cps = copy.resolve("audit/checkpoints.jsonl");
    List<String> kept = Files.readAllLines(cps).stream()
        .filter(l -> treeSize(l) <= lines.size()).toList();
    Files.writeString(cps, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    assertThat(verify(copy, "--public-key", publicKey.toString()).exit()).as("without a trusted checkpoint").isZero();
    CliRun r = verify(copy, "--public-key", publicKey.toString(), "--trusted-checkpoint", trustedCheckpoint.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("FAILED: trusted checkpoint at tree size " + trustedSize)
        .contains("ends at " + lines.size() + " records");
  }

  @Test
  void anEditHiddenByRemovingTheCheckpointsAfterIt_isCaught_sinceAStopSignsTheWholeLog() throws Exception {
    Path copy = copyData();
    List<String> lines = lines(copy);
    assertThat(lines.get(lines.size() - 1)).contains("\"type\":\"node.stopped\"");
    int victim = lines.size() / 2;
    lines.set(victim, editedNode(lines.get(victim)));
    Files.writeString(lastSegment(copy), String.join("\n", lines) + "\n");
    Path cps = copy.resolve("audit/checkpoints.jsonl");
    List<String> kept = Files.readAllLines(cps).stream().filter(l -> treeSize(l) <= victim).toList();
    Files.writeString(cps, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    long signed = kept.isEmpty() ? 0 : treeSize(kept.get(kept.size() - 1));

    CliRun r = verify(copy, "--public-key", publicKey.toString());
    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("FAILED: record seq " + signed + ": the log ends with a clean stop")
        .contains("first bad record: seq " + victim + ":");
  }

  @Test
  void anEditBelowTheTrustedCheckpoint_namesTheEditedRecord() throws Exception {
    Path copy = copyData();
    List<String> lines = lines(copy);
    int victim = 5;
    lines.set(victim, editedNode(lines.get(victim)));
    Files.writeString(lastSegment(copy), String.join("\n", lines) + "\n");
    Files.writeString(copy.resolve("audit/checkpoints.jsonl"), ""); // none of the log's own is left to fail first
    long trustedSize = Long.parseLong(Files.readString(trustedCheckpoint).split("\n")[1]);

    CliRun r = verify(copy, "--public-key", publicKey.toString(), "--trusted-checkpoint", trustedCheckpoint.toString());
    assertThat(r.exit()).as(r.out()).isEqualTo(1);
    assertThat(r.out()).contains("FAILED: trusted checkpoint at tree size " + trustedSize)
        .contains("a record in seq 0.." + (trustedSize - 1))
        .contains("first bad record: seq " + victim + ":");
  }

  /** {@code line} with one letter of its node name changed: still canonical JSON, same seq. */
  private static String editedNode(String line) {
    int at = line.indexOf("\"node\":\"") + 8;
    return line.substring(0, at) + (line.charAt(at) == 'x' ? 'y' : 'x') + line.substring(at + 1);
  }

  @Test
  void forgedCheckpointSignature_isCaught() throws Exception {
    Path copy = copyData();
    Path cps = copy.resolve("audit/checkpoints.jsonl");
    List<String> all = new ArrayList<>(Files.readAllLines(cps));
    ObjectNode line = (ObjectNode) JSON.readTree(all.get(0));
    String note = line.get("note").asText();
    int sigAt = note.lastIndexOf(' ') + 1;
    byte[] sig = Base64.getDecoder().decode(note.substring(sigAt).trim());
    sig[10] ^= 1;
    line.put("note", note.substring(0, sigAt) + Base64.getEncoder().encodeToString(sig) + "\n");
    all.set(0, JSON.writeValueAsString(line));
    Files.writeString(cps, String.join("\n", all) + "\n");
    CliRun r = verify(copy);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("FAILED: checkpoint at tree size " + line.get("tree_size").asLong());
  }

  @Test
  void aDifferentKey_isRejected_andBadInputExitsTwo() throws Exception {
    Path otherKey = dir.resolve("other.pub");
    Files.writeString(otherKey, dev.curfew.core.audit.NoteSigner.generate("curfew/other").verifier().verifierKey());
    assertThat(verify(data, "--public-key", otherKey.toString()).exit()).isEqualTo(1);
    assertThat(run("audit", "verify", "--data", dir.resolve("nothing").toString()).exit()).isEqualTo(2);
    assertThat(run("audit", "export", "--data", data.toString(), "--format", "xml").exit()).isEqualTo(2);
    for (String sub : List.of("verify", "evidence", "verify-evidence", "export", "public-key")) {
      CliRun help = run("audit", sub, "--help");
      assertThat(help.exit()).isZero();
      assertThat(help.out()).contains("Usage:");
    }
  }

  @Test
  void export_jsonlIsTheLogVerbatim_csvHasOneRowPerRecord_andTimesFilter() throws Exception {
    List<String> all = lines(data);
    CliRun jsonl = run("audit", "export", "--data", data.toString());
    assertThat(jsonl.exit()).isZero();
    assertThat(jsonl.out()).isEqualTo(String.join("\n", all) + "\n");
    CliRun csv = run("audit", "export", "--data", data.toString(), "--format", "csv");
    assertThat(csv.out().split("\r\n")).hasSize(all.size() + 1);
    assertThat(csv.out()).startsWith("seq,time,type,node,session_id,subject,policy,policy_version,data\r\n0,");
    String t = JSON.readTree(all.get(5)).get("time").asText();
    CliRun from = run("audit", "export", "--data", data.toString(), "--from", t);
    assertThat(from.out().split("\n")[0]).isEqualTo(all.stream().filter(l -> l.contains("\"time\":\"" + t)).findFirst().orElseThrow());
    CliRun to = run("audit", "export", "--data", data.toString(), "--to", t);
    assertThat(to.out().isEmpty() ? 0 : to.out().split("\n").length).isLessThanOrEqualTo(5);
  }

  /** Issue 20: a time java.time reads but no long holds was an ArithmeticException with a stack trace. */
  @Test
  void export_refusesTimesOutsideTheYears0000To9999_exitTwoNamingTheOption() throws Exception {
    for (String[] opt : new String[][] {{"--from", "-444440001-12-15T00:00Z"}, {"--to", "+999999999-12-31T23:59:59Z"},
        {"--from", "+10000-01-01T00:00:00Z"}, {"--to", "-0001-12-31T00:00:00Z"}, {"--from", "2026-02-30"}}) {
      CliRun r = run("audit", "export", "--data", data.toString(), opt[0], opt[1]);
      assertThat(r.exit()).as(String.join(" ", opt) + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).as(String.join(" ", opt)).startsWith("curfew: " + opt[0]).doesNotContain("Exception", "\tat ");
    }
  }

  // ---------------------------------------------------------------- torn write

  @Test
  void tornLastLine_isCutOnRestart_recorded_andTheLogVerifies() throws Exception {
    Path copy = copyData();
    Files.write(lastSegment(copy), "{\"data\":{\"version\":\"0.1".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    CliRun before = verify(copy);
    assertThat(before.exit()).isZero(); // verify reads up to the last complete line ...
    assertThat(before.err()).contains("without a line feed"); // ... and says so
    ServeCommand.Running server = start(copy);
    server.stop(new PrintStream(new ByteArrayOutputStream()));
    assertThat(lines(copy)).anyMatch(l -> l.contains("\"type\":\"log.repaired\""));
    CliRun after = verify(copy, "--trusted-checkpoint", trustedCheckpoint.toString());
    assertThat(after.exit()).as(after.out()).isZero();
    assertThat(after.err()).doesNotContain("without a line feed");
  }

  // ---------------------------------------------------------------- evidence

  @Test
  void evidenceFromTheApiAndFromTheCli_verify_withTheCliAndIndependently() throws Exception {
    CliRun cli = run("audit", "evidence", "--session", sessionId, "--data", data.toString());
    assertThat(cli.exit()).as(cli.err()).isZero();
    for (String bundle : List.of(httpBundle, cli.out())) {
      Path f = dir.resolve("bundle.json");
      Files.writeString(f, bundle);
      CliRun v = run("audit", "verify-evidence", f.toString(), "--public-key", publicKey.toString());
      assertThat(v.exit()).as(v.out()).isZero();
      assertThat(v.out()).contains("OK").contains(sessionId).contains("trusted key");
      assertThat(independentlyValid(bundle, Files.readString(publicKey).trim())).isTrue();
      JsonNode entries = JSON.readTree(bundle).get("entries");
      assertThat(entries.size()).isGreaterThanOrEqualTo(2); // created, warning acknowledged, ...
      for (JsonNode e : entries) assertThat(e.get("record").asText()).contains("\"session_id\":\"" + sessionId + "\"");
    }
  }

  @Test
  void forgedBundles_areRejected_byTheCliAndIndependently() throws Exception {
    String pub = Files.readString(publicKey).trim();
    ObjectNode b = (ObjectNode) JSON.readTree(httpBundle);
    // a record changed after the fact
    ObjectNode edited = b.deepCopy();
    ObjectNode e0 = (ObjectNode) edited.get("entries").get(0);
    e0.put("record", e0.get("record").asText().replace("\"subject\":\"user-", "\"subject\":\"userX"));
    // the checkpoint re-signed with another key of the same name, with that key in the bundle
    ObjectNode otherKey = b.deepCopy();
    String note = b.get("checkpoint").asText();
    var evil = dev.curfew.core.audit.NoteSigner.generate(pub.split("\\+")[0]);
    otherKey.put("checkpoint", evil.sign(note.substring(0, note.indexOf("\n\n") + 1)));
    otherKey.put("public_key", evil.verifier().verifierKey());
    // a root hash that the signature does not cover
    ObjectNode root = b.deepCopy();
    byte[] r = Base64.getDecoder().decode(root.get("root_hash").asText());
    r[0] ^= 1;
    root.put("root_hash", Base64.getEncoder().encodeToString(r));
    for (ObjectNode forged : List.of(edited, otherKey, root)) {
      Path f = dir.resolve("forged.json");
      Files.writeString(f, JSON.writeValueAsString(forged));
      CliRun v = run("audit", "verify-evidence", f.toString(), "--public-key", publicKey.toString());
      assertThat(v.exit()).as(v.out()).isEqualTo(1);
      assertThat(v.out()).contains("INVALID");
      assertThat(independentlyValid(JSON.writeValueAsString(forged), pub)).isFalse();
    }
  }

  /**
   * Checks a bundle with nothing from curfew: BouncyCastle Ed25519 for the signed note (C2SP
   * signed-note: the signature line is "— name base64(key id || signature)" over the note text),
   * and RFC 9162 §2.1.3.2 for each inclusion proof.
   */
  static boolean independentlyValid(String bundleJson, String verifierKey) throws Exception {
    JsonNode b = JSON.readTree(bundleJson);
    String[] vk = verifierKey.split("\\+", 3); // base64 may hold + too
    byte[] keyBytes = Base64.getDecoder().decode(vk[2]);
    if (keyBytes.length != 33 || keyBytes[0] != 1) return false;
    String note = b.get("checkpoint").asText();
    int split = note.indexOf("\n\n");
    String text = note.substring(0, split + 1);
    boolean signed = false;
    for (String sigLine : note.substring(split + 2).split("\n")) {
      if (!sigLine.startsWith("\u2014 " + vk[0] + " ")) continue;
      byte[] sig = Base64.getDecoder().decode(sigLine.substring(sigLine.lastIndexOf(' ') + 1));
      if (sig.length != 68 || !Arrays.equals(Arrays.copyOf(sig, 4), hexBytes(vk[1]))) continue;
      Ed25519Signer verifier = new Ed25519Signer();
      verifier.init(false, new Ed25519PublicKeyParameters(keyBytes, 1));
      byte[] msg = text.getBytes(StandardCharsets.UTF_8);
      verifier.update(msg, 0, msg.length);
      signed |= verifier.verifySignature(Arrays.copyOfRange(sig, 4, 68));
    }
    if (!signed) return false;
    String[] body = text.split("\n");
    long size = Long.parseLong(body[1]);
    byte[] root = Base64.getDecoder().decode(body[2]);
    if (size != b.get("tree_size").asLong() || !Arrays.equals(root, Base64.getDecoder().decode(b.get("root_hash").asText()))) {
      return false;
    }
    for (JsonNode e : b.get("entries")) {
      List<byte[]> proof = new ArrayList<>();
      for (JsonNode p : e.get("inclusion_proof")) proof.add(Base64.getDecoder().decode(p.asText()));
      byte[] leaf = sha256(new byte[] {0}, e.get("record").asText().getBytes(StandardCharsets.UTF_8));
      if (!Arrays.equals(rootFromInclusionProof(e.get("leaf_index").asLong(), size, leaf, proof), root)) return false;
    }
    return true;
  }

  /** RFC 9162 §2.1.3.2, written from the RFC text. */
  static byte[] rootFromInclusionProof(long index, long size, byte[] leafHash, List<byte[]> proof) throws Exception {
    if (index >= size) return null;
    long fn = index;
    long sn = size - 1;
    byte[] r = leafHash;
    for (byte[] p : proof) {
      if (sn == 0) return null;
      if ((fn & 1) == 1 || fn == sn) {
        r = sha256(new byte[] {1}, p, r);
        if ((fn & 1) == 0) {
          while ((fn & 1) == 0 && fn != 0) {
            fn >>= 1;
            sn >>= 1;
          }
        }
      } else {
        r = sha256(new byte[] {1}, r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 ? r : null;
  }

  // ---------------------------------------------------------------- helpers

  private static byte[] sha256(byte[]... parts) throws Exception {
    MessageDigest d = MessageDigest.getInstance("SHA-256");
    for (byte[] p : parts) d.update(p);
    return d.digest();
  }

  private static long treeSize(String checkpointLine) {
    try {
      return JSON.readTree(checkpointLine).get("tree_size").asLong();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] hexBytes(String hex) {
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    return out;
  }

  private CliRun verify(Path dataDir, String... more) {
    List<String> args = new ArrayList<>(List.of("audit", "verify", "--data", dataDir.toString()));
    args.addAll(List.of(more));
    return run(args.toArray(String[]::new));
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private Path copyData() throws IOException {
    Path copy = dir.resolve("copy");
    try (Stream<Path> all = Files.walk(data)) {
      for (Path p : all.toList()) {
        Path target = copy.resolve(data.relativize(p).toString());
        if (Files.isDirectory(p)) Files.createDirectories(target);
        else Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    return copy;
  }

  /** The server wrote one segment (the log is small): all records. */
  private static Path lastSegment(Path dataDir) throws IOException {
    try (Stream<Path> s = Files.list(dataDir.resolve("audit"))) {
      List<Path> segs = s.filter(p -> p.getFileName().toString().matches("audit-\\d{20}\\.jsonl")).sorted().toList();
      assertThat(segs).hasSize(1);
      return segs.get(0);
    }
  }

  private static List<String> lines(Path dataDir) throws IOException {
    return new ArrayList<>(Files.readAllLines(lastSegment(dataDir)));
  }

  private static HttpResponse<String> post(int port, String path, String bearer, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(int port, String path, String bearer) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(uri(port, path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + bearer).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }
}

package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.server.config.CurfewConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code curfew audit attest}: a real server writes a period with expiries, extensions granted and
 * refused, warnings acknowledged, logouts and a revocation; the attestation's figures equal the
 * ones this test computes on its own from the records (with Jackson, not the code under test);
 * {@code --verify} accepts it, and names the figure when one is changed, even when the forger
 * signs the changed document again with the log's key. The PDF page is rendered with pdftoppm.
 */
class AttestEndToEndTest {
  private static final Pattern TOKEN = Pattern.compile("\"token\":\"(cft_[A-Za-z0-9_-]+)\"");
  private static final Pattern SESSION = Pattern.compile("\"session_id\":\"([^\"]+)\"");
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void attestation_figuresEqualAnIndependentCount_verifyHolds_andATamperedFigureIsNamed() throws Exception {
    Path data = dir.resolve("data");
    CurfewConfig cfg = CurfewConfig.parse("default_policy: quick\npolicies:\n  quick:\n    idle_timeout: 6s\n"
        + "    absolute_timeout: 1h\n    warn_before: 4s\n    max_extensions: 1\n").withOverrides(0, data);
    Instant from = Instant.now().minusSeconds(3600);
    ServeCommand.Running server = ServeCommand.start(cfg, new PrintStream(new ByteArrayOutputStream()));
    try {
      String key = Files.readString(data.resolve(KeyBootstrap.KEY_FILE)).trim();
      for (int i = 0; i < 6; i++) {
        String[] s = open(server.port, key, "user-" + i);
        String token = s[0];
        if (i == 0) { // one extension granted, the second refused (max_extensions: 1)
          assertThat(post(server.port, "/v1/session/extend", token, "").statusCode()).isEqualTo(200);
          assertThat(post(server.port, "/v1/session/extend", token, "").statusCode()).isEqualTo(409);
        }
        if (i == 1) { // an acknowledgement needs a warning sent first (warning at 2 s, then 4 s to acknowledge)
          Awaitility.await("the warning, then its acknowledgement").atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(100))
              .until(() -> post(server.port, "/v1/session/warning-ack", token, "").statusCode() == 204);
        }
        if (i == 2) HTTP.send(req(server.port, "/v1/session", token).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        if (i == 3) HTTP.send(req(server.port, "/v1/sessions/" + s[1], key).DELETE().build(), HttpResponse.BodyHandlers.ofString());
      }
      // the others end by idle timeout within seconds: wait (generously) for their records
      Awaitility.await("idle expiries").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
          .until(() -> HTTP.send(req(server.port, "/v1/audit?type=session.expired", key).GET().build(),
              HttpResponse.BodyHandlers.ofString()).body().split("\"session.expired\"", -1).length - 1 >= 3);
    } finally {
      server.stop(new PrintStream(new ByteArrayOutputStream()));
    }
    Instant to = Instant.now().plusSeconds(3600);
    Path out = dir.resolve("out");
    CliRun attest = run("audit", "attest", "--data", data.toString(), "--from", from.toString(), "--to", to.toString(),
        "--out", out.toString());
    assertThat(attest.exit()).as(attest.out() + attest.err()).isZero();
    JsonNode a = JSON.readTree(out.resolve("attestation.json").toFile());
    JsonNode f = a.get("figures");

    // the same figures, counted here from the records on their own
    List<JsonNode> records = new ArrayList<>();
    for (String line : segmentLines(data)) records.add(JSON.readTree(line));
    long treeSize = a.get("checkpoint").get("tree_size").asLong();
    long opened = 0, warnings = 0, acks = 0, granted = 0, refused = 0;
    Map<String, Long> ended = new TreeMap<>();
    Map<String, Long> byActor = new TreeMap<>();
    List<Long> lateness = new ArrayList<>();
    for (JsonNode r : records) {
      if (r.get("seq").asLong() >= treeSize) continue;
      switch (r.get("type").asText()) {
        case "session.created" -> opened++;
        case "session.warning_sent" -> warnings++;
        case "session.warning_acknowledged" -> acks++;
        case "session.extended" -> granted++;
        case "session.extension_refused" -> refused++;
        case "session.logged_out" -> ended.merge("logged_out", 1L, Long::sum);
        case "session.revoked" -> {
          ended.merge("revoked", 1L, Long::sum);
          byActor.merge(r.get("data").get("actor").asText(), 1L, Long::sum);
        }
        case "session.expired" -> {
          ended.merge(r.get("data").get("reason").asText(), 1L, Long::sum);
          lateness.add(r.get("data").get("lateness_ms").asLong());
        }
        default -> { }
      }
    }
    lateness.sort(null);
    assertThat(opened).isEqualTo(6);
    assertThat(f.get("sessions").get("opened").asLong()).isEqualTo(opened);
    assertThat(f.get("sessions").get("ended").toString()).isEqualTo(JSON.writeValueAsString(ended)); // both sorted by key
    assertThat(ended.get("idle_timeout")).isGreaterThanOrEqualTo(3);
    assertThat(f.get("warnings").get("sent").asLong()).isEqualTo(warnings);
    assertThat(f.get("warnings").get("acknowledged").asLong()).isEqualTo(acks).isEqualTo(1);
    assertThat(f.get("extensions").get("granted").asLong()).isEqualTo(granted).isEqualTo(1);
    assertThat(f.get("extensions").get("refused").asLong()).isEqualTo(refused).isEqualTo(1);
    assertThat(f.get("revocations_by_actor").toString()).isEqualTo(JSON.writeValueAsString(byActor));
    assertThat(byActor.values()).containsExactly(1L);
    JsonNode late = f.get("expiry_lateness_ms");
    assertThat(late.get("count").asLong()).isEqualTo(lateness.size());
    assertThat(late.get("max").asLong()).isEqualTo(lateness.get(lateness.size() - 1));
    assertThat(late.get("p50").asLong()).isEqualTo(lateness.get((int) Math.ceil(0.50 * lateness.size()) - 1));
    assertThat(late.get("p99").asLong()).isEqualTo(lateness.get((int) Math.ceil(0.99 * lateness.size()) - 1));
    assertThat(f.get("policies").get("versions_in_use").has("quick")).isTrue();

    // the signature: Ed25519 over the canonical JSON without "signature", by the log's key
    CliRun pk = run("audit", "public-key", "--data", data.toString());
    assertThat(a.get("signature").get("key").asText()).isEqualTo(pk.out().strip());

    CliRun ok = run("audit", "attest", "--verify", out.resolve("attestation.json").toString(), "--data", data.toString());
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();

    // one figure changed: the signature and the figure are both named
    ObjectNode tampered = (ObjectNode) JSON.readTree(out.resolve("attestation.json").toFile());
    ((ObjectNode) tampered.get("figures").get("sessions")).put("opened", opened + 1);
    Path bad = dir.resolve("tampered.json");
    Files.writeString(bad, JSON.writeValueAsString(tampered));
    CliRun caught = run("audit", "attest", "--verify", bad.toString(), "--data", data.toString());
    assertThat(caught.exit()).isEqualTo(1);
    assertThat(caught.out()).contains("signature: does not verify")
        .contains("figures.sessions: attested").contains("\"opened\":" + (opened + 1)).contains("\"opened\":" + opened);

    // the operator holds the log's key and signs the changed figure again: the figure is still named
    NoteSigner signer = NoteSigner.parse(Files.readString(data.resolve("audit-signing.key")).strip());
    Map<String, Object> unsigned = new LinkedHashMap<>(Json.parseObject(JSON.writeValueAsString(tampered)));
    unsigned.remove("signature");
    String sig = Base64.getEncoder().encodeToString(signer.signRaw(CanonicalJson.write(unsigned).getBytes(StandardCharsets.UTF_8)));
    ((ObjectNode) tampered.get("signature")).put("value", sig);
    Files.writeString(bad, JSON.writeValueAsString(tampered));
    CliRun resigned = run("audit", "attest", "--verify", bad.toString(), "--data", data.toString());
    assertThat(resigned.exit()).isEqualTo(1);
    assertThat(resigned.out()).doesNotContain("signature:").contains("figures.sessions: attested");

    // the PDF, for people: its text carries the figures of the JSON; one page rendered to PNG
    Path pdf = out.resolve("attestation.pdf");
    assertThat(Files.readAllBytes(pdf)).startsWith("%PDF-".getBytes(StandardCharsets.US_ASCII));
    requirePoppler();
    Process text = new ProcessBuilder("pdftotext", "-layout", pdf.toString(), "-").redirectErrorStream(true).start();
    String pdfText = new String(text.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(text.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(pdfText).contains("Curfew period attestation").contains("sessions opened")
        .contains(a.get("checkpoint").get("root_hash").asText());
    Process png = new ProcessBuilder("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", pdf.toString(),
        dir.resolve("page").toString()).redirectErrorStream(true).start();
    assertThat(png.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(png.exitValue()).isZero();
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.filter(p -> p.getFileName().toString().startsWith("page") && p.toString().endsWith(".png")))
          .singleElement().satisfies(p -> assertThat(Files.size(p)).isGreaterThan(1000));
    }
    if (System.getenv("CURFEW_KEEP_ATTESTATION") != null) { // to look at the page by hand
      Files.copy(pdf, Path.of(System.getenv("CURFEW_KEEP_ATTESTATION")).resolve("attestation.pdf"),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  void attest_hasHelp_andRefusesBadInput() {
    assertThat(run("audit", "attest", "--help").out()).contains("--verify").contains("--from");
    assertThat(run("audit", "attest", "--data", dir.toString(), "--from", "2026-01-01").exit()).isEqualTo(2);
  }

  /** poppler-utils is a test dependency (.ci/run installs it): in CI its absence fails, elsewhere it skips. */
  private static void requirePoppler() {
    boolean present;
    try {
      Process p = new ProcessBuilder("pdftoppm", "-v").redirectErrorStream(true).start();
      present = p.waitFor(30, TimeUnit.SECONDS);
    } catch (java.io.IOException | InterruptedException e) {
      present = false;
    }
    if (System.getenv("CI") != null) assertTrue(present, "pdftoppm is not installed (.ci/run installs poppler-utils)");
    assumeTrue(present, "pdftoppm is not installed: skipping the PDF rendering");
  }

  private static List<String> segmentLines(Path data) throws Exception {
    List<String> all = new ArrayList<>();
    try (Stream<Path> s = Files.list(data.resolve("audit"))) {
      for (Path p : s.filter(p -> p.getFileName().toString().matches("audit-\\d{20}\\.jsonl")).sorted().toList()) {
        all.addAll(Files.readAllLines(p));
      }
    }
    return all;
  }

  private static String[] open(int port, String key, String subject) throws Exception {
    HttpResponse<String> r = post(port, "/v1/sessions", key, "{\"subject\":\"" + subject + "\"}");
    assertThat(r.statusCode()).isEqualTo(201);
    Matcher t = TOKEN.matcher(r.body());
    Matcher s = SESSION.matcher(r.body());
    assertThat(t.find() && s.find()).isTrue();
    return new String[] {t.group(1), s.group(1)};
  }

  private static HttpRequest.Builder req(int port, String path, String bearer) {
    return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).timeout(Duration.ofSeconds(10))
        .header("Authorization", "Bearer " + bearer);
  }

  private static HttpResponse<String> post(int port, String path, String bearer, String body) throws Exception {
    return HTTP.send(req(port, path, bearer).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }
}

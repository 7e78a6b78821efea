package dev.curfew.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.curfew.core.ManualClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.postgres.AuditDatabase;
import dev.curfew.store.postgres.AuditSchema;
import dev.curfew.store.postgres.PgAuditLog;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code curfew audit attest --config} against the PostgreSQL audit store: the attestation of one
 * node's log, bound to its latest checkpoint in the database and signed by its key; {@code
 * --verify} recomputes it from the database and names a changed figure.
 */
class AttestPostgresTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path dir;
  private TestDatabase database;
  private Path config;
  private final NoteSigner key = NoteSigner.generate("curfew/pg-attested");

  @BeforeEach
  void aNodeLogInPostgres() throws Exception {
    database = TestDatabase.create("attest");
    AuditSchema.migrate(database.config());
    ManualClock clock = ManualClock.at("2026-02-10T09:00:00Z");
    try (AuditDatabase db = AuditDatabase.connect(null, database.config(), 2);
         PgAuditLog log = PgAuditLog.open(db, "pg-attested", key, PgAuditLog.Options.defaults().withClock(clock))) {
      for (int i = 0; i < 7; i++) {
        log.append(List.of(record(clock, RecordTypes.SESSION_CREATED, "s_" + i).build()), List.of());
        clock.advance(Duration.ofMinutes(1));
      }
      for (int i = 0; i < 3; i++) log.append(List.of(record(clock, RecordTypes.LOGGED_OUT, "s_" + i).build()), List.of());
      log.append(List.of(record(clock, RecordTypes.REVOKED, "s_5").put("actor", "ops").put("reason_text", "left").build()), List.of());
      log.durableThrough(11).get(30, TimeUnit.SECONDS);
      log.checkpointNow();
    }
    Path keyFile = dir.resolve("signing.key");
    Files.writeString(keyFile, key.signerKey() + "\n");
    config = dir.resolve("curfew.yaml");
    Files.writeString(config, "audit: postgres\naudit_signing_key: " + keyFile + "\npostgres: { url: \"jdbc:postgresql://"
        + TestDatabase.HOST + ":" + TestDatabase.PORT + "/" + database.name() + "\", user: " + TestDatabase.USER + " }\n");
  }

  @AfterEach
  void drop() {
    database.close();
  }

  private static AuditRecord.Builder record(ManualClock clock, String type, String session) {
    return AuditRecord.builder(type, clock.millis(), "pg-attested").session(session, "alice", "standard", 1);
  }

  @Test
  void anAttestationOfANodesLogInPostgres_isSignedByItsKey_andRecomputedByVerify() throws Exception {
    Path out = dir.resolve("q1");
    CliRun attest = CliRun.of("audit", "attest", "--config", config.toString(),
        "--from", "2026-01-01", "--to", "2026-04-01", "--out", out.toString());
    assertThat(attest.exit()).as(attest.out() + attest.err()).isZero();
    JsonNode a = JSON.readTree(out.resolve("attestation.json").toFile());
    assertThat(a.get("checkpoint").get("tree_size").asLong()).isEqualTo(11);
    assertThat(a.get("figures").get("records").asLong()).isEqualTo(11);
    assertThat(a.get("figures").get("sessions").get("opened").asLong()).isEqualTo(7);
    assertThat(a.get("figures").get("revocations_by_actor").get("ops").asLong()).isEqualTo(1);
    assertThat(a.get("signature").get("key").asText()).isEqualTo(key.verifier().verifierKey());
    assertThat(Files.size(out.resolve("attestation.pdf"))).isPositive();

    CliRun ok = CliRun.of("audit", "attest", "--config", config.toString(),
        "--verify", out.resolve("attestation.json").toString());
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(ok.out()).as("the key came from the database it checks").contains("registered in the database");

    ObjectNode tampered = (ObjectNode) a;
    ((ObjectNode) tampered.get("figures").get("sessions")).put("opened", 6);
    Path bad = dir.resolve("tampered.json");
    Files.writeString(bad, JSON.writeValueAsString(tampered));
    CliRun caught = CliRun.of("audit", "attest", "--config", config.toString(),
        "--verify", bad.toString());
    assertThat(caught.exit()).isEqualTo(AuditCommand.EXIT_FAILED);
    assertThat(caught.out()).contains("figures.sessions: attested").contains("\"opened\":6").contains("\"opened\":7");

    CliRun noSuchNode = CliRun.of("audit", "attest", "--config", config.toString(),
        "--node", "nobody", "--verify", bad.toString());
    assertThat(noSuchNode.exit()).isEqualTo(2);
  }
}

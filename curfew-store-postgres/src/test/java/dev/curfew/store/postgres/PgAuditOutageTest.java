package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Decision;
import dev.curfew.core.ManualClock;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.postgres.testing.TcpProxy;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fail closed, keep what was accepted, resume without a restart: the log reaches PostgreSQL through
 * a TCP proxy that the tests cut and restore, or its backends are terminated under it.
 */
class PgAuditOutageTest {
  private final ManualClock clock = ManualClock.at("2026-11-26T10:00:00Z");
  private final NoteSigner signer = NoteSigner.generate("curfew/node-a");
  private TestDatabase database;
  private TcpProxy proxy;
  private AuditDatabase db;
  private PgAuditLog log;

  @BeforeEach
  void start() throws Exception {
    database = TestDatabase.create("outage");
    AuditSchema.migrate(database.config());
    proxy = TcpProxy.toTestServer();
    db = AuditDatabase.connect(null, database.configVia(proxy), 4);
    log = PgAuditLog.open(db, "node-a", signer, PgAuditLog.Options.defaults().withClock(clock)
        .withRetryDelayMax(Duration.ofMillis(200)).withCloseTimeout(Duration.ofSeconds(5)));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.start();
    log.close();
    db.close();
    proxy.close();
    database.close();
  }

  private AuditRecord record(String session) {
    return AuditRecord.builder(RecordTypes.SESSION_CREATED, clock.millis(), "node-a")
        .session(session, "alice", "standard", 1).build();
  }

  @Test
  void recordsAcceptedDuringAnOutageAreCommittedWhenPostgresReturns() throws Exception {
    for (int i = 0; i < 37; i++) log.append(List.of(record("s_before_" + i)), List.of());
    log.durableThrough(37).get(30, TimeUnit.SECONDS);
    proxy.stop();
    List<CompletableFuture<Void>> during = new ArrayList<>();
    for (int i = 0; i < 40; i++) during.add(log.append(List.of(record("s_during_" + i)), List.of()));
    awaitTrue(() -> !log.writable(), "not writable while PostgreSQL is unreachable");
    // several retries fail meanwhile (kept: on a slow machine fewer do, which only weakens the check)
    Thread.sleep(500);
    assertThat(during).noneMatch(CompletableFuture::isDone); // neither lost nor acknowledged
    proxy.start();
    CompletableFuture.allOf(during.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    assertThat(log.writable()).isTrue();
    log.append(List.of(record("s_after")), List.of()).get(30, TimeUnit.SECONDS);
    assertThat(database.queryLong("SELECT count(*) FROM audit_records")).isEqualTo(78);
    assertThat(database.queryLong("SELECT max(seq) FROM audit_records")).isEqualTo(77);
    log.checkpointNow();
    assertThat(PgAuditVerifier.verify(db, List.of(signer.verifier()), List.of(), Long.MAX_VALUE, null).ok()).isTrue();
    // the interior nodes written after the failed attempts are those of the tree of the records
    MerkleTree reference = MerkleTree.inMemory();
    log.scan(0, line -> {
      reference.append(line.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return true;
    });
    MerkleTree stored = PgTreeView.tree(db, log.node().id(), 78);
    assertThat(stored.rootHash()).isEqualTo(reference.rootHash());
    for (long leaf = 0; leaf < 78; leaf += 7) {
      assertThat(stored.inclusionProof(leaf, 78)).usingElementComparator(java.util.Arrays::compare)
          .containsExactlyElementsOf(reference.inclusionProof(leaf, 78));
    }
    assertThat(database.queryLong("SELECT count(*) FROM audit_tree WHERE level = 4")).isEqualTo(78 / 16);
  }

  @Test
  void anIdleLogNoticesTheOutageAndTheReturn() throws Exception {
    log.append(List.of(record("s_1")), List.of()).get(30, TimeUnit.SECONDS);
    assertThat(log.writable()).isTrue();
    proxy.stop();
    clock.advance(Duration.ofSeconds(2)); // the probe runs once a checkpoint interval has passed on the clock
    awaitTrue(() -> !log.writable(), "an idle log probes and turns unwritable");
    proxy.start();
    clock.advance(Duration.ofSeconds(2));
    awaitTrue(log::writable, "the next probe finds PostgreSQL back");
  }

  @Test
  void terminatedBackendsLoseNoRecord() throws Exception {
    java.util.concurrent.atomic.AtomicInteger terminated = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean appending = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread operator = new Thread(() -> { // an operator's pg_terminate_backend, again and again, mid-stream
      while (appending.get()) {
        terminated.addAndGet(database.terminateBackends());
        try {
          Thread.sleep(3);
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    operator.start();
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      all.add(log.append(List.of(record("s_" + i)), List.of()));
      if (i % 300 == 299) all.get(i).get(30, TimeUnit.SECONDS); // let commits run while backends die
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    appending.set(false);
    operator.join();
    assertThat(terminated.get()).as("backends were terminated while the log wrote").isPositive();
    assertThat(database.queryLong("SELECT count(*) FROM audit_records")).isEqualTo(3000);
    assertThat(database.queryLong("SELECT max(seq) FROM audit_records")).isEqualTo(2999);
    log.checkpointNow();
    PgAuditVerifier.Result v = PgAuditVerifier.verify(db, List.of(signer.verifier()), List.of(), Long.MAX_VALUE, null);
    assertThat(v.ok()).as(String.valueOf(v)).isTrue();
    assertThat(v.nodes().get(0).verification().records()).isEqualTo(3000);
  }

  @Test
  void theEngineRefusesWhileTheLogCannotBeWrittenAndServesAgainAfter() throws Exception {
    Policy p = Policy.builder("standard").idleTimeout(Duration.ofMinutes(15)).absoluteTimeout(Duration.ofHours(8)).build();
    SessionEngine engine = new SessionEngine(clock, "node-a", new Policies(List.of(p), "standard"), log, null, null, null);
    Decision ok = engine.open("alice", null, null);
    assertThat(ok.verdict()).isEqualTo(Decision.Verdict.ALLOWED);
    ok.durable().get(30, TimeUnit.SECONDS);
    proxy.stop();
    clock.advance(Duration.ofSeconds(2));
    awaitTrue(() -> !log.writable(), "unwritable");
    Decision refused = engine.open("bob", null, null);
    assertThat(refused.verdict()).isEqualTo(Decision.Verdict.UNAVAILABLE);
    proxy.start();
    clock.advance(Duration.ofSeconds(2));
    awaitTrue(log::writable, "writable again");
    Decision again = engine.open("carol", null, null);
    assertThat(again.verdict()).isEqualTo(Decision.Verdict.ALLOWED);
    again.durable().get(30, TimeUnit.SECONDS);
    List<String> lines = new ArrayList<>();
    log.scan(0, lines::add);
    assertThat(lines).hasSize(2).allMatch(l -> l.contains("session.created"));
    assertThat(String.join("\n", lines)).contains("\"subject\":\"alice\"", "\"subject\":\"carol\"").doesNotContain("bob");
  }

  static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what);
      Thread.sleep(20);
    }
  }
}

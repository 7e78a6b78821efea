package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.AuditSink.TokenBinding;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.TokenHash;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.EvidenceBundle;
import dev.curfew.core.audit.EvidenceVerification;
import dev.curfew.core.audit.MerkleProofs;
import dev.curfew.core.audit.MerkleTree;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The PostgreSQL audit log against a real server: group commit, tree, checkpoints, proofs, reopen. */
class PgAuditLogTest {
  private final ManualClock clock = ManualClock.at("2026-11-26T10:00:00Z");
  private final NoteSigner signer = NoteSigner.generate("curfew/node-a");
  private TestDatabase database;
  private AuditDatabase db;
  private final List<PgAuditLog> opened = new ArrayList<>();

  @BeforeEach
  void freshDatabase() {
    database = TestDatabase.create("log");
    AuditSchema.migrate(database.config());
    db = AuditDatabase.connect(null, database.config(), 4);
  }

  @AfterEach
  void drop() {
    for (PgAuditLog l : opened) l.close();
    db.close();
    database.close();
  }

  private PgAuditLog open(String node, NoteSigner key) throws Exception {
    PgAuditLog log = PgAuditLog.open(db, node, key, PgAuditLog.Options.defaults().withClock(clock));
    opened.add(log);
    return log;
  }

  static AuditRecord record(String type, long timeMs, String session) {
    AuditRecord.Builder b = AuditRecord.builder(type, timeMs, "node-a");
    if (session != null) b.session(session, "alice", "standard", 1);
    return b.put("n", timeMs).build();
  }

  @Test
  void appendedRecordsAreCommittedAsCanonicalLinesBeforeTheFutureCompletes() throws Exception {
    PgAuditLog log = open("node-a", signer);
    long t = clock.millis();
    CompletableFuture<Void> f = log.append(List.of(record(RecordTypes.SESSION_CREATED, t, "s_1"),
        record(RecordTypes.NODE_STARTED, t - 5, null)), List.of());
    f.get(30, TimeUnit.SECONDS);
    assertThat(database.queryLong("SELECT count(*) FROM audit_records")).isEqualTo(2);
    // the same sink semantics as the file log: seq in call order, time clamped never to decrease
    MemoryAuditSink reference = new MemoryAuditSink();
    reference.append(List.of(record(RecordTypes.SESSION_CREATED, t, "s_1"), record(RecordTypes.NODE_STARTED, t - 5, null)),
        List.of());
    List<String> stored = new ArrayList<>();
    log.scan(0, stored::add);
    assertThat(stored).isEqualTo(reference.lines());
    assertThat(log.size()).isEqualTo(2);
    assertThat(database.queryString("SELECT session_id FROM audit_records WHERE seq = 0")).isEqualTo("s_1");
    assertThat(database.queryString("SELECT session_id FROM audit_records WHERE seq = 1")).isNull();
    assertThat(database.queryString("SELECT encode(leaf_hash, 'hex') FROM audit_records WHERE seq = 1"))
        .isEqualTo(hex(MerkleTree.leafHash(reference.lines().get(1).getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void concurrentAppendsShareCommitsAndKeepSeqGapFree() throws Exception {
    PgAuditLog log = open("node-a", signer);
    AtomicInteger commits = new AtomicInteger();
    log.commitListener((nanos, records) -> commits.incrementAndGet());
    int threads = 8;
    int perThread = 250;
    List<Thread> ts = new ArrayList<>();
    List<CompletableFuture<Void>> futures = java.util.Collections.synchronizedList(new ArrayList<>());
    for (int i = 0; i < threads; i++) {
      int id = i;
      ts.add(new Thread(() -> {
        for (int j = 0; j < perThread; j++) {
          futures.add(log.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_" + id + "_" + j)), List.of()));
        }
      }));
    }
    ts.forEach(Thread::start);
    for (Thread t : ts) t.join();
    CompletableFuture.allOf(futures.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    assertThat(log.size()).isEqualTo(threads * perThread);
    assertThat(commits.get()).as("group commit: fewer commits than appends").isLessThan(threads * perThread);
    assertThat(database.queryLong("SELECT count(*) FROM audit_records")).isEqualTo(threads * perThread);
    assertThat(database.queryLong("SELECT max(seq) - min(seq) + 1 FROM audit_records")).isEqualTo(threads * perThread);
    PgAuditVerifier.Result v = PgAuditVerifier.verify(db, List.of(), List.of(), Long.MAX_VALUE, null);
    assertThat(v.ok()).as(String.valueOf(v)).isTrue();
  }

  @Test
  void theStoredTreeGivesTheSameRootsAndProofsAsAnInMemoryTree() throws Exception {
    PgAuditLog log = PgAuditLog.open(db, "node-a", signer, PgAuditLog.Options.defaults().withClock(clock).withMaxBatchRecords(97));
    opened.add(log);
    MerkleTree reference = MerkleTree.inMemory();
    Random random = new Random(42);
    int n = 0;
    List<CompletableFuture<Void>> fs = new ArrayList<>();
    while (n < 4321) { // several stored levels (4, 8) and ragged right edges
      int k = 1 + random.nextInt(60);
      List<AuditRecord> batch = new ArrayList<>();
      for (int i = 0; i < k; i++) batch.add(record(RecordTypes.EXTENDED, clock.millis() + n + i, "s_" + random.nextInt(50)));
      fs.add(log.append(batch, List.of()));
      n += k;
    }
    CompletableFuture.allOf(fs.toArray(new CompletableFuture<?>[0])).get(60, TimeUnit.SECONDS);
    log.scan(0, line -> {
      reference.append(line.getBytes(StandardCharsets.UTF_8));
      return true;
    });
    assertThat(reference.size()).isEqualTo(n);
    String note = log.checkpointNow();
    Checkpoint cp = Checkpoint.parse(signer.verifier().verify(note).textOrThrow());
    assertThat(cp.treeSize()).isEqualTo(n);
    assertThat(cp.rootHash()).isEqualTo(reference.rootHash());
    PgAuditProofs proofs = new PgAuditProofs(log);
    for (int trial = 0; trial < 40; trial++) {
      long to = 1 + random.nextInt(n);
      long from = 1 + random.nextInt((int) to);
      List<byte[]> proof = proofs.consistencyProof(from, to).orElseThrow();
      assertThat(proof).as("consistency %d -> %d", from, to).usingElementComparator(java.util.Arrays::compare)
          .containsExactlyElementsOf(reference.consistencyProof(from, to));
      assertThat(MerkleProofs.verifyConsistency(from, to, proof, reference.rootHash(from), reference.rootHash(to))).isTrue();
      MerkleTree view = PgTreeView.tree(db, log.node().id(), to);
      long leaf = random.nextInt((int) to);
      assertThat(view.inclusionProof(leaf, to)).usingElementComparator(java.util.Arrays::compare)
          .containsExactlyElementsOf(reference.inclusionProof(leaf, to));
      assertThat(view.rootHash()).isEqualTo(reference.rootHash(to));
    }
    assertThat(proofs.consistencyProof(1, n + 1)).isEmpty();
  }

  @Test
  void evidenceBundlesVerifyAndNameOneSession() throws Exception {
    PgAuditLog log = open("node-a", signer);
    for (int i = 0; i < 50; i++) {
      log.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_" + (i % 7))), List.of());
    }
    log.append(List.of(record(RecordTypes.LOGGED_OUT, clock.millis(), "s_3")), List.of()).get(30, TimeUnit.SECONDS);
    PgAuditProofs proofs = new PgAuditProofs(log);
    String bundle = proofs.evidence("s_3").orElseThrow();
    EvidenceVerification v = EvidenceBundle.verify(bundle, signer.verifier());
    assertThat(v.ok()).as(String.valueOf(v.problems())).isTrue();
    assertThat(v.sessionId()).isEqualTo("s_3");
    assertThat(v.entries()).isEqualTo(8);
    assertThat(v.treeSize()).isEqualTo(51);
    assertThat(bundle).doesNotContain("s_4");
    assertThat(proofs.evidence("s_nobody")).isEmpty();
    assertThat(proofs.latestCheckpoint()).isPresent();

    PgAuditProofs.DatabaseEvidence fromDb = PgAuditProofs.fromDatabase(db, "s_3", null);
    assertThat(fromDb.node().name()).isEqualTo("node-a");
    assertThat(EvidenceBundle.verify(fromDb.bundle().orElseThrow(), signer.verifier()).ok()).isTrue();
  }

  @Test
  void aReopenedLogContinuesItsSeqTimeTreeAndCheckpoints() throws Exception {
    PgAuditLog first = open("node-a", signer);
    TokenBinding binding = new TokenBinding("s_1", TokenHash.of("cft_" + "a".repeat(43)), clock.millis());
    first.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_1")), List.of(binding)).get(30, TimeUnit.SECONDS);
    first.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis() + 500, "s_2")), List.of()).get(30, TimeUnit.SECONDS);
    first.close(); // a final checkpoint
    assertThat(database.queryLong("SELECT max(tree_size) FROM audit_checkpoints")).isEqualTo(2);

    PgAuditLog second = open("node-a", signer);
    assertThat(second.size()).isEqualTo(2);
    assertThat(second.latestCheckpoint()).isPresent();
    second.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_3")), List.of()).get(30, TimeUnit.SECONDS);
    List<String> lines = new ArrayList<>();
    second.scan(0, lines::add);
    assertThat(lines.get(2)).startsWith("{\"data\"").contains("\"seq\":2");
    assertThat(lines.get(2)).as("time never decreases across a restart").contains("\"time\":\"2026-11-26T10:00:00.500Z\"");
    second.checkpointNow();
    assertThat(db.bindings(second.node().id())).singleElement().satisfies(b -> {
      assertThat(b.sessionId()).isEqualTo("s_1");
      assertThat(b.tokenSha256()).isEqualTo(binding.tokenHash().toBytes());
    });
    assertThat(lines).noneMatch(l -> l.contains(binding.tokenHash().toHex()));
    PgAuditVerifier.Result v = PgAuditVerifier.verify(db, List.of(signer.verifier()), List.of(), Long.MAX_VALUE, null);
    assertThat(v.ok()).as(String.valueOf(v)).isTrue();
    assertThat(v.nodes().get(0).verification().checkpointsVerified()).isEqualTo(3); // after the first commit, at close, on demand
  }

  @Test
  void aNodeKeepsTheKeyItRegisteredWith() throws Exception {
    open("node-a", signer).close();
    assertThatThrownBy(() -> open("node-a", NoteSigner.generate("curfew/node-a")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("registered").hasMessageContaining("node-a");
    assertThat(db.node("node-a").orElseThrow().publicKey()).isEqualTo(signer.verifier().verifierKey());
  }

  @Test
  void eachNodeHasItsOwnTreeAndKey() throws Exception {
    NoteSigner other = NoteSigner.generate("curfew/node-b");
    PgAuditLog a = open("node-a", signer);
    PgAuditLog b = open("node-b", other);
    a.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_a")), List.of()).get(30, TimeUnit.SECONDS);
    b.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_b1"),
        record(RecordTypes.SESSION_CREATED, clock.millis(), "s_b2")), List.of()).get(30, TimeUnit.SECONDS);
    a.checkpointNow();
    b.checkpointNow();
    assertThat(a.size()).isEqualTo(1);
    assertThat(b.size()).isEqualTo(2);
    assertThat(database.queryLong("SELECT count(*) FROM audit_records WHERE seq = 0")).isEqualTo(2);
    PgAuditVerifier.Result v = PgAuditVerifier.verify(db, List.of(signer.verifier(), other.verifier()), List.of(),
        Long.MAX_VALUE, null);
    assertThat(v.ok()).as(String.valueOf(v)).isTrue();
    assertThat(v.nodes()).extracting(r -> r.node().name()).containsExactly("node-a", "node-b");
    // a's key does not verify b's checkpoints
    PgAuditVerifier.NodeResult wrongKey = PgAuditVerifier.verifyNode(db, b.node(), signer.verifier(), true, null,
        Long.MAX_VALUE, null);
    assertThat(wrongKey.verification().ok()).isFalse();
  }

  @Test
  void aSecondWriterOfTheSameNodeFailsClosedInsteadOfForkingTheLog() throws Exception {
    PgAuditLog a = open("node-a", signer);
    PgAuditLog b = open("node-a", signer); // e.g. two servers configured with the same node name
    a.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_1")), List.of()).get(30, TimeUnit.SECONDS);
    CompletableFuture<Void> late = b.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_2")), List.of());
    assertThatThrownBy(() -> late.get(30, TimeUnit.SECONDS)).hasMessageContaining("another process writes as this node");
    assertThat(b.writable()).isFalse();
    assertThat(b.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_3")), List.of()))
        .isCompletedExceptionally();
    assertThat(a.writable()).isTrue();
    assertThat(database.queryLong("SELECT count(*) FROM audit_records")).isEqualTo(1);
  }

  @Test
  void openRefusesALogWhoseStoredTailWasChanged() throws Exception {
    PgAuditLog log = open("node-a", signer);
    log.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_1"),
        record(RecordTypes.SESSION_CREATED, clock.millis(), "s_2")), List.of()).get(30, TimeUnit.SECONDS);
    log.close();
    database.sql("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;"
        + " UPDATE audit_records SET line = replace(line, 's_2', 's_9') WHERE seq = 1");
    assertThatThrownBy(() -> open("node-a", signer)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("record seq 1").hasMessageContaining("curfew audit verify");
  }

  @Test
  void openRefusesALogThatNoLongerMatchesItsLastCheckpoint() throws Exception {
    PgAuditLog log = open("node-a", signer);
    for (int i = 0; i < 5; i++) log.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_" + i)), List.of());
    log.close();
    // an edit that also fixes the stored leaf hash: only the signed root still tells
    database.sql("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;"
        + " UPDATE audit_records SET line = replace(line, 's_1', 's_7') WHERE seq = 1;"
        + " UPDATE audit_records SET leaf_hash = sha256('\\x00'::bytea || convert_to(line, 'UTF8')) WHERE seq = 1");
    assertThatThrownBy(() -> open("node-a", signer)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("does not match its last signed checkpoint");
  }

  @Test
  void aMirrorHoldsTheJournalsRecordsVerbatimAndCatchesUp() throws Exception {
    MemoryAuditSink journal = new MemoryAuditSink();
    for (int i = 0; i < 30; i++) journal.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis() + i, "s_" + i)), List.of());
    dev.curfew.core.AuditLogReader reader = new dev.curfew.core.AuditLogReader() {
      @Override
      public long size() {
        return journal.lines().size();
      }

      @Override
      public void scan(long fromSeq, java.util.function.Predicate<String> visitor) {
        List<String> l = journal.lines();
        for (int i = (int) fromSeq; i < l.size() && visitor.test(l.get(i)); i++) {
          // visit
        }
      }
    };
    PgAuditLog mirror = open("node-a", signer);
    mirror.replicate(5, journal.lines().get(5).getBytes(StandardCharsets.UTF_8)); // ahead: ignored until caught up
    mirror.catchUp(reader);
    assertThat(mirror.size()).isEqualTo(30);
    journal.append(List.of(record(RecordTypes.NODE_STARTED, clock.millis() + 99, null)), List.of());
    mirror.replicate(30, journal.lines().get(30).getBytes(StandardCharsets.UTF_8));
    mirror.replicate(12, journal.lines().get(12).getBytes(StandardCharsets.UTF_8)); // already there: ignored
    mirror.durableThrough(31).get(30, TimeUnit.SECONDS);
    List<String> stored = new ArrayList<>();
    mirror.scan(0, stored::add);
    assertThat(stored).isEqualTo(journal.lines());

    mirror.close();
    PgAuditLog again = open("node-a", signer);
    again.catchUp(reader); // nothing to copy
    assertThat(again.size()).isEqualTo(31);
    MemoryAuditSink other = new MemoryAuditSink();
    other.append(List.of(record(RecordTypes.NODE_STOPPED, clock.millis(), null)), List.of());
    dev.curfew.core.AuditLogReader shorter = new dev.curfew.core.AuditLogReader() {
      @Override
      public long size() {
        return 1;
      }

      @Override
      public void scan(long fromSeq, java.util.function.Predicate<String> visitor) {
        visitor.test(other.lines().get(0));
      }
    };
    assertThatThrownBy(() -> again.catchUp(shorter)).hasMessageContaining("local journal only 1");
  }

  @Test
  void aMirrorCopiesPastSeq127AndSharesTransactions() throws Exception {
    // seq 128 and on: the copied line's seq was once compared as boxed Longs, and failed the log there
    MemoryAuditSink journal = new MemoryAuditSink();
    for (int i = 0; i < 400; i++) journal.append(List.of(record(RecordTypes.SESSION_CREATED, clock.millis() + i, "s_" + i)), List.of());
    PgAuditLog mirror = open("node-a", signer);
    java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
    mirror.commitListener((nanos, records) -> commits.incrementAndGet());
    for (int i = 0; i < 400; i++) mirror.replicate(i, journal.lines().get(i).getBytes(StandardCharsets.UTF_8));
    mirror.durableThrough(400).get(30, TimeUnit.SECONDS);
    assertThat(mirror.writable()).isTrue();
    assertThat(commits.get()).as("commits for 400 copied lines").isLessThan(400);
    List<String> stored = new ArrayList<>();
    mirror.scan(0, stored::add);
    assertThat(stored).isEqualTo(journal.lines());
    assertThat(database.queryString("SELECT session_id FROM audit_records WHERE seq = 300")).isEqualTo("s_300");
  }

  @Test
  void aScanReadsPastGapsWiderThanAPage() throws Exception {
    PgAuditLog log = open("node-a", signer);
    List<AuditRecord> batch = new ArrayList<>();
    for (int i = 0; i < 4500; i++) batch.add(record(RecordTypes.SESSION_CREATED, clock.millis(), "s_" + i));
    log.append(batch, List.of()).get(30, TimeUnit.SECONDS);
    database.sql("ALTER TABLE audit_records DISABLE TRIGGER audit_records_append_only;"
        + " DELETE FROM audit_records WHERE seq >= 1000 AND seq < 3999");
    List<Long> seen = new ArrayList<>();
    db.scan(log.node().id(), 0, Long.MAX_VALUE, (seq, line, hash) -> seen.add(seq));
    assertThat(seen).hasSize(1000 + 501);
    assertThat(seen.get(999)).isEqualTo(999);
    assertThat(seen.get(1000)).isEqualTo(3999);
    assertThat(seen.get(seen.size() - 1)).isEqualTo(4499);
    List<Long> tail = new ArrayList<>();
    db.scan(log.node().id(), 4490, 4495, (seq, line, hash) -> tail.add(seq) && seq < 4492);
    assertThat(tail).containsExactly(4490L, 4491L, 4492L);
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) sb.append(String.format("%02x", x));
    return sb.toString();
  }
}

package dev.curfew.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.ClusterAuditReader;
import dev.curfew.core.ManualClock;
import dev.curfew.core.audit.AuditRecord;
import dev.curfew.core.audit.Json;
import dev.curfew.core.audit.NoteSigner;
import dev.curfew.core.audit.RecordTypes;
import dev.curfew.store.postgres.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The trail of two nodes' trees read as one: order, filters, and paging that returns every record once. */
class PgClusterTrailTest {
  private static final String[] TYPES = {RecordTypes.SESSION_CREATED, RecordTypes.EXTENDED, RecordTypes.REVOKED};

  // node-b's clock runs an hour behind node-a's: the cursor must not depend on the clocks agreeing
  private final ManualClock clockA = ManualClock.at("2026-11-26T10:00:00Z");
  private final ManualClock clockB = ManualClock.at("2026-11-26T09:00:00Z");
  private TestDatabase database;
  private AuditDatabase db;
  private final List<PgAuditLog> opened = new ArrayList<>();

  @BeforeEach
  void freshDatabase() {
    database = TestDatabase.create("cluster");
    AuditSchema.migrate(database.config());
    db = AuditDatabase.connect(null, database.config(), 4);
  }

  @AfterEach
  void drop() {
    for (PgAuditLog l : opened) l.close();
    db.close();
    database.close();
  }

  private PgAuditLog open(String node, ManualClock clock) throws Exception {
    PgAuditLog log = PgAuditLog.open(db, node, NoteSigner.generate(node), PgAuditLog.Options.defaults().withClock(clock));
    opened.add(log);
    return log;
  }

  private static void append(PgAuditLog log, ManualClock clock, String type, String session, String subject)
      throws Exception {
    AuditRecord r = AuditRecord.builder(type, clock.millis(), log.node().name()).session(session, subject, "standard", 1)
        .build();
    log.append(List.of(r), List.of()).get(30, TimeUnit.SECONDS);
  }

  @Test
  void pagingFromAnyCursorReturnsEveryRecordOnceWhileBothNodesWrite() throws Exception {
    long seed = 20261204L;
    Random random = new Random(seed);
    PgAuditLog a = open("node-a", clockA);
    PgClusterTrail trail = new PgClusterTrail(db);
    assertThat(trail.spansNodes()).isFalse();
    PgAuditLog b = open("node-b", clockB);
    assertThat(trail.spansNodes()).isTrue();

    // Writes on both nodes between pages, more than a page reads on average: the trail grows while it is
    // read. A page's next is null once nothing more matches: then everything written has been returned.
    Set<String> returned = new HashSet<>();
    int written = 0;
    String cursor = null;
    for (int round = 0; ; round++) {
      for (int i = round == 0 ? 10 : round < 60 ? 1 + random.nextInt(3) : 0; i > 0; i--) {
        boolean onA = random.nextBoolean();
        ManualClock clock = onA ? clockA : clockB;
        clock.advance(Duration.ofMillis(random.nextInt(3)));
        append(onA ? a : b, clock, TYPES[random.nextInt(3)], "s" + random.nextInt(5), "u" + random.nextInt(3));
        written++;
      }
      ClusterAuditReader.Page p = trail.read(new ClusterAuditReader.Query(null, null, null, null, null, cursor,
          1 + random.nextInt(2)));
      List<Map<String, Object>> records = parse(p.lines());
      for (Map<String, Object> r : records) {
        assertThat(returned.add(String.valueOf(r.get("node")) + "/" + ((Long) r.get("seq")))).as("seed " + seed + ": once " + r)
            .isTrue();
      }
      assertThat(records).as("seed " + seed + ": in time, node, seq order").isSortedAccordingTo(ORDER);
      if (p.next() == null) break;
      cursor = p.next();
      assertThat(round).as("seed " + seed).isLessThan(10_000);
    }
    assertThat(returned).as("seed " + seed).hasSize(written);
    assertThat(database.queryLong("SELECT count(*) FROM audit_records")).isEqualTo(written);
    assertThat(written).isGreaterThan(20);
  }

  @Test
  void filtersSelectWhatTheyNameFromBothTrees() throws Exception {
    PgAuditLog a = open("node-a", clockA);
    PgAuditLog b = open("node-b", clockB);
    append(a, clockA, RecordTypes.SESSION_CREATED, "s1", "alice");
    clockA.advance(Duration.ofSeconds(1));
    append(a, clockA, RecordTypes.SESSION_CREATED, "s2", "bob");
    append(b, clockB, RecordTypes.EXTENDED, "s1", "alice");
    clockB.advance(Duration.ofHours(2));
    append(b, clockB, RecordTypes.REVOKED, "s1", "alice");
    PgClusterTrail trail = new PgClusterTrail(db);

    assertThat(types(trail.read(query("s1", null, null, null, null))))
        .containsExactly(RecordTypes.EXTENDED + "@node-b", RecordTypes.SESSION_CREATED + "@node-a",
            RecordTypes.REVOKED + "@node-b");
    assertThat(types(trail.read(query(null, "bob", null, null, null)))).containsExactly(RecordTypes.SESSION_CREATED + "@node-a");
    assertThat(types(trail.read(query(null, null, RecordTypes.REVOKED, null, null)))).containsExactly(RecordTypes.REVOKED + "@node-b");
    long t10 = ManualClock.at("2026-11-26T10:00:00Z").millis();
    assertThat(types(trail.read(query(null, null, null, t10, t10 + 1000)))).containsExactly(RecordTypes.SESSION_CREATED + "@node-a");
    assertThat(trail.read(query("s1", null, null, null, null)).next()).isNull();
  }

  @Test
  void aCursorThatWasNotGivenIsRefused() throws Exception {
    PgClusterTrail trail = new PgClusterTrail(db);
    for (String bad : List.of("12", "t.!!", "t." + b64("node-a"), "t." + b64("node-a:x"), "t." + b64("a:1,a:2"),
        "t." + b64("a:-1"))) {
      assertThatThrownBy(() -> trail.read(new ClusterAuditReader.Query(null, null, null, null, null, bad, 1)))
          .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a cursor");
    }
    assertThat(PgClusterTrail.decode(PgClusterTrail.encode(Map.of("node-b", 3L, "node-a", 9L))))
        .containsExactly(Map.entry("node-a", 9L), Map.entry("node-b", 3L));
  }

  private static final Comparator<Map<String, Object>> ORDER = Comparator.<Map<String, Object>, String>comparing(r -> String.valueOf(r.get("time")))
      .thenComparing(r -> String.valueOf(r.get("node"))).thenComparingLong(r -> (Long) r.get("seq"));

  private static ClusterAuditReader.Query query(String session, String subject, String type, Long from, Long to) {
    return new ClusterAuditReader.Query(session, subject, type, from, to, null, 100);
  }

  private static List<String> types(ClusterAuditReader.Page p) throws Exception {
    List<String> out = new ArrayList<>();
    for (Map<String, Object> r : parse(p.lines())) out.add(String.valueOf(r.get("type")) + "@" + String.valueOf(r.get("node")));
    return out;
  }

  private static List<Map<String, Object>> parse(List<String> lines) throws Exception {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String l : lines) out.add(Json.parseObject(l));
    return out;
  }

  private static String b64(String s) {
    return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}

package dev.curfew.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.curfew.core.AuditLogReader;
import dev.curfew.core.ClusterAuditReader;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** GET /v1/audit and the CSV export over the trail of several nodes, and this node's own log until there is one. */
class AuditQueryClusterTest {

  /** Node a's own log: seq 0..2. */
  private final AuditLogReader own = new AuditLogReader() {
    final List<String> lines = List.of(line("a", 0), line("a", 1), line("a", 2));

    @Override
    public long size() {
      return lines.size();
    }

    @Override
    public void scan(long fromSeq, Predicate<String> visitor) {
      for (long s = fromSeq; s < lines.size(); s++) if (!visitor.test(lines.get((int) s))) return;
    }
  };

  /** A trail of {@code n} records alternating between nodes a and b; its cursor is "t." and an index. */
  private static final class Trail implements ClusterAuditReader {
    final List<String> lines = new ArrayList<>();
    boolean spans = true;
    final List<Query> asked = new ArrayList<>();

    Trail(int n) {
      for (int i = 0; i < n; i++) lines.add(line(i % 2 == 0 ? "a" : "b", i / 2));
    }

    @Override
    public boolean spansNodes() {
      return spans;
    }

    @Override
    public Page read(Query q) {
      asked.add(q);
      if (q.after() != null && !q.after().matches("t\\.[0-9]+")) throw new IllegalArgumentException("not a cursor");
      int from = q.after() == null ? 0 : Integer.parseInt(q.after().substring(2));
      int to = Math.min(lines.size(), from + q.limit());
      return new Page(lines.subList(from, to), to < lines.size() ? "t." + to : null);
    }
  }

  private static String line(String node, long seq) {
    return "{\"node\":\"" + node + "\",\"seq\":" + seq + ",\"time\":\"2026-12-04T07:00:00.000Z\",\"type\":\"session.created\"}";
  }

  private static AuditQuery.Filter filter(long after, String cursor, int limit) {
    return new AuditQuery.Filter(null, null, null, null, null, after, limit, cursor);
  }

  @Test
  void untilASecondNodeWrites_theNodesOwnLogAnswersWithSeqs() throws Exception {
    Trail trail = new Trail(10);
    trail.spans = false;
    AuditQuery q = new AuditQuery(own);
    q.cluster(trail);
    AuditQuery.Page p = q.page(filter(-1, null, 2));
    assertThat(p.lines()).containsExactly(line("a", 0), line("a", 1));
    assertThat(p.next()).isEqualTo(1L);
    assertThat(trail.asked).isEmpty();
    assertThatThrownBy(() -> q.page(filter(-1, "t.4", 2))).isInstanceOf(JsonBodies.BadInput.class)
        .hasMessage("query parameter \"after\" must be an integer");
  }

  @Test
  void acrossNodes_pagesCarryTheTrailsCursor_andASeqIsRefused() throws Exception {
    Trail trail = new Trail(5);
    AuditQuery q = new AuditQuery(own);
    q.cluster(trail);
    AuditQuery.Page p = q.page(new AuditQuery.Filter("s1", "alice", "session.created", "2026-12-04T07:00:00.000Z",
        "2026-12-04T08:00:00.000Z", -1, 2, null));
    assertThat(p.lines()).containsExactly(line("a", 0), line("b", 0));
    assertThat(p.next()).isEqualTo("t.2");
    assertThat(trail.asked.get(0)).isEqualTo(new ClusterAuditReader.Query("s1", "alice", "session.created",
        1_796_367_600_000L, 1_796_371_200_000L, null, 2));
    assertThat(q.page(filter(-1, "t.4", 2)).next()).isNull();
    assertThatThrownBy(() -> q.page(filter(3, null, 2))).isInstanceOf(JsonBodies.BadInput.class)
        .hasMessageContaining("a seq of one node's log");
    assertThatThrownBy(() -> q.page(filter(-1, "t.x", 2))).isInstanceOf(JsonBodies.BadInput.class)
        .hasMessageContaining("not a cursor");
  }

  @Test
  void theCsvExportReadsTheWholeTrailPageByPage() throws Exception {
    Trail trail = new Trail(2_345);
    AuditQuery q = new AuditQuery(own);
    q.cluster(trail);
    AuditCsv.Export e = new AuditCsv(q).export(filter(-1, null, AuditQuery.DEFAULT_LIMIT));
    assertThat(e.next()).isNull();
    String[] rows = e.csv().toString().split("\r\n");
    assertThat(rows).hasSize(1 + 2_345);
    assertThat(rows[1]).startsWith("0,").contains(",a,");
    assertThat(rows[2]).startsWith("0,").contains(",b,");
    assertThat(trail.asked).hasSize(3);
  }

  @Test
  void parse_takesACursorAsAfter_andKeepsTodaysAnswersForEverythingElse() {
    io.vertx.core.MultiMap m = io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("after", "t.abc");
    assertThat(AuditQuery.parse(m).cursor()).isEqualTo("t.abc");
    assertThat(AuditQuery.parse(m).after()).isEqualTo(-1);
    assertThat(AuditQuery.parse(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("after", "7")).after()).isEqualTo(7);
    assertThatThrownBy(() -> AuditQuery.parse(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("after", "x")))
        .hasMessage("query parameter \"after\" must be an integer");
    String manyNodes = "t." + "A".repeat(5_000); // the cursor of a trail of a few hundred nodes
    assertThat(AuditQuery.parse(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("after", manyNodes)).cursor())
        .isEqualTo(manyNodes);
    assertThatThrownBy(() -> AuditQuery.parse(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("after",
        "t." + "A".repeat(AuditQuery.MAX_CURSOR_CHARS)))).hasMessage("query parameter \"after\" is too long");
    assertThatThrownBy(() -> AuditQuery.parse(io.vertx.core.MultiMap.caseInsensitiveMultiMap().add("after",
        "1".repeat(2_000)))).hasMessage("query parameter \"after\" is too long");
  }
}

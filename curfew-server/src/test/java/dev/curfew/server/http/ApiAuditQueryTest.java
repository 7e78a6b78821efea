package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertJson;
import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApiAuditQueryTest {
  private final ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  /** seq 0 alice created, 1 bob created, 2 alice extended (22:01), 3 bob logged out (22:02), 4 alice revoked (22:03). */
  private ApiFixture.Created[] story() {
    ApiFixture.Created alice = f.open("alice");
    ApiFixture.Created bob = f.open("bob");
    f.clock.advance(Duration.ofMinutes(1));
    f.holder("POST", "/v1/session/extend", alice.token());
    f.clock.advance(Duration.ofMinutes(1));
    f.holder("DELETE", "/v1/session", bob.token());
    f.clock.advance(Duration.ofMinutes(1));
    f.backend("DELETE", "/v1/sessions/" + alice.sessionId(), null);
    assertThat(f.sink.lines()).hasSize(5);
    return new ApiFixture.Created[] {alice, bob};
  }

  @Test
  void auditProofRoutes_withoutAnAuditTrail_answer503_andNeedTheKeyAndASessionId() {
    assertProblem(f.backend("GET", "/v1/audit/checkpoint", null), 503, null);
    assertProblem(f.backend("GET", "/v1/audit/evidence?session_id=s_x", null), 503, null);
    assertProblem(f.backend("GET", "/v1/audit/evidence", null), 400, null);
    assertProblem(f.backend("GET", "/v1/audit/evidence?session_id=a&session_id=b", null), 400, null);
  }

  @Test
  void returnsRecordsAsParsedObjectsVerbatim() {
    story();
    JsonNode b = assertJson(f.backend("GET", "/v1/audit", null), 200);
    assertThat(b.get("records")).hasSize(5);
    assertThat(b.get("next").isNull()).isTrue();
    for (int i = 0; i < 5; i++) {
      JsonNode r = b.get("records").get(i);
      assertThat(r.get("seq").asLong()).isEqualTo(i);
      assertThat(r.toString()).isEqualTo(f.sink.lines().get(i));
    }
  }

  @Test
  void filtersBySessionSubjectTypeAndTime() {
    ApiFixture.Created[] s = story();
    assertThat(seqs("/v1/audit?session_id=" + s[0].sessionId())).containsExactly(0L, 2L, 4L);
    assertThat(seqs("/v1/audit?subject=bob")).containsExactly(1L, 3L);
    assertThat(seqs("/v1/audit?type=session.logged_out")).containsExactly(3L);
    assertThat(seqs("/v1/audit?from=2026-11-26T22:01:00.000Z")).containsExactly(2L, 3L, 4L);
    assertThat(seqs("/v1/audit?from=2026-11-26T22:01:00Z&to=2026-11-26T22:03:00Z")).containsExactly(2L, 3L);
    // to is exclusive; offsets are accepted.
    assertThat(seqs("/v1/audit?to=2026-11-26T23:01:00%2B01:00")).containsExactly(0L, 1L);
    assertThat(seqs("/v1/audit?subject=alice&type=session.revoked")).containsExactly(4L);
    assertThat(seqs("/v1/audit?subject=carol")).isEmpty();
  }

  @Test
  void pagesWithLimitAndAfter() {
    story();
    List<Long> all = new ArrayList<>();
    String after = "";
    int pages = 0;
    while (true) {
      JsonNode b = assertJson(f.backend("GET", "/v1/audit?limit=2" + after, null), 200);
      b.get("records").forEach(r -> all.add(r.get("seq").asLong()));
      pages++;
      if (b.get("next").isNull()) break;
      after = "&after=" + b.get("next").asLong();
      assertThat(pages).isLessThan(10);
    }
    assertThat(all).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(pages).isEqualTo(3);
    assertThat(seqs("/v1/audit?after=2")).containsExactly(3L, 4L);
    assertThat(seqs("/v1/audit?after=4")).isEmpty();
    JsonNode filtered = assertJson(f.backend("GET", "/v1/audit?subject=alice&limit=1", null), 200);
    // next is where to continue from: past the last record examined, which need not match.
    assertThat(filtered.get("records")).hasSize(1);
    long next = filtered.get("next").asLong();
    assertThat(next).isBetween(0L, 1L);
    assertThat(seqs("/v1/audit?subject=alice&limit=1&after=" + next)).containsExactly(2L);
  }

  @Test
  void badQueriesAre400() {
    assertProblem(f.backend("GET", "/v1/audit?limit=1001", null), 400, null);
    assertProblem(f.backend("GET", "/v1/audit?limit=0", null), 400, null);
    assertProblem(f.backend("GET", "/v1/audit?limit=ten", null), 400, null);
    assertProblem(f.backend("GET", "/v1/audit?after=-5", null), 400, null);
    assertProblem(f.backend("GET", "/v1/audit?after=99999999999999999999999", null), 400, null);
    assertProblem(f.backend("GET", "/v1/audit?from=yesterday", null), 400, null);
    assertProblem(f.backend("GET", "/v1/audit?to=2026-13-45T99:00:00Z", null), 400, null);
    assertProblem(f.backend("GET", "/v1/audit?subject=a&subject=b", null), 400, null);
    assertJson(f.backend("GET", "/v1/audit?limit=1000", null), 200);
  }

  @Test
  void withoutAnAuditLogTheQueryIs503() throws Exception {
    try (ApiFixture noLog = new ApiFixture(ApiServer.Settings.defaults().withInstances(1), 3, false)) {
      assertProblem(noLog.backend("GET", "/v1/audit", null), 503, null);
    }
  }

  private List<Long> seqs(String path) {
    JsonNode b = assertJson(f.backend("GET", path, null), 200);
    List<Long> out = new ArrayList<>();
    b.get("records").forEach(r -> out.add(r.get("seq").asLong()));
    return out;
  }
}

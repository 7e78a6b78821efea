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
  void returnsRecordsAsParsedObjectsVerbatim_theReadItselfRecordedFirst() {
    story();
    JsonNode b = assertJson(f.backend("GET", "/v1/audit", null), 200);
    assertThat(b.get("records")).hasSize(6);
    assertThat(b.get("next").isNull()).isTrue();
    for (int i = 0; i < 6; i++) {
      JsonNode r = b.get("records").get(i);
      assertThat(r.get("seq").asLong()).isEqualTo(i);
      assertThat(r.toString()).isEqualTo(f.sink.lines().get(i));
    }
    JsonNode read = b.get("records").get(5);
    assertThat(read.get("type").asText()).isEqualTo("audit.read");
    assertThat(read.has("session_id")).isFalse();
  }

  @Test
  void aReadPaddedWithParameters_orRepeatingOne_stillNamesWhatItRead() {
    ApiFixture.Created[] s = story();
    StringBuilder padding = new StringBuilder();
    for (int i = 0; i < 15; i++) padding.append("a").append(i).append("=v&");
    // 15 + subject: 16 parameters, all recorded (the cut used to keep the first 16 in request order)
    assertThat(assertProblem(f.backend("GET", "/v1/audit?" + padding + "a15=v&subject=alice", null), 400, null)
        .path("detail").asText()).isEqualTo("at most 16 distinct query parameters, not 17");
    assertJson(f.backend("GET", "/v1/audit?" + padding + "subject=alice", null), 200);
    f.backend("GET", "/v1/audit/evidence?session_id=" + s[0].sessionId() + "&session_id=" + s[1].sessionId(), null);

    List<JsonNode> reads = new ArrayList<>();
    for (String line : f.sink.lines()) {
      JsonNode r = readTree(line);
      if (r.get("type").asText().equals("audit.read")) reads.add(r);
    }
    assertThat(reads).as("the refused request read nothing and is not a read").hasSize(2);
    assertThat(reads.get(0).at("/data/query/subject").asText()).isEqualTo("alice");
    assertThat(reads.get(0).at("/data/query").size()).isEqualTo(16);
    JsonNode both = reads.get(1).at("/data/query/session_id");
    assertThat(both.isArray()).isTrue();
    assertThat(both.get(0).asText()).isEqualTo(s[0].sessionId());
    assertThat(both.get(1).asText()).isEqualTo(s[1].sessionId());
  }

  @Test
  void everyReadOfTheTrailIsRecordedWithItsActor_theSameReadOncePerMinute() {
    ApiFixture.Created[] s = story();
    assertJson(f.backend("GET", "/v1/audit?subject=alice", null), 200);
    assertJson(f.backend("GET", "/v1/audit?subject=alice", null), 200); // a page that polls: coalesced
    assertJson(f.backend("GET", "/v1/audit?type=session.revoked", null), 200);
    f.backend("GET", "/v1/audit/evidence?session_id=" + s[0].sessionId(), null); // 503 here (no proofs), still a read

    List<JsonNode> reads = new ArrayList<>();
    for (String line : f.sink.lines()) {
      JsonNode r = readTree(line);
      if (r.get("type").asText().equals("audit.read")) reads.add(r);
    }
    assertThat(reads).hasSize(3);
    JsonNode first = reads.get(0);
    assertThat(first.at("/data/actor").asText()).isEqualTo("app-backend");
    assertThat(first.at("/data/what").asText()).isEqualTo("records");
    assertThat(first.at("/data/path").asText()).isEqualTo("/v1/audit");
    assertThat(first.at("/data/query/subject").asText()).isEqualTo("alice");
    assertThat(first.at("/data/repeats").asLong()).isZero();
    assertThat(reads.get(1).at("/data/query/type").asText()).isEqualTo("session.revoked");
    assertThat(reads.get(2).at("/data/what").asText()).isEqualTo("evidence");
    assertThat(reads.get(2).at("/data/query/session_id").asText()).isEqualTo(s[0].sessionId());
  }

  @Test
  void aReadWhoseRecordCannotBeWrittenIsNotAnswered() throws Exception {
    try (ApiFixture slow = new ApiFixture(ApiServer.Settings.defaults().withInstances(1)
        .withDurableTimeout(Duration.ofMillis(200)), 3)) {
      slow.durability.mode = ApiFixture.ControlledSink.Mode.NEVER;
      assertProblem(slow.backend("GET", "/v1/audit", null), 503, null);
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
      b.get("records").forEach(r -> {
        if (!r.get("type").asText().equals("audit.read")) all.add(r.get("seq").asLong());
      });
      pages++;
      if (b.get("next").isNull()) break;
      after = "&after=" + b.get("next").asLong();
      assertThat(pages).isLessThan(10);
    }
    // Each page's read is recorded at the end of the log, so the pages also meet those records.
    assertThat(all).containsExactly(0L, 1L, 2L, 3L, 4L);
    assertThat(pages).isGreaterThanOrEqualTo(3);
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

  private static JsonNode readTree(String line) {
    try {
      return ApiFixture.JSON.readTree(line);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The seqs of the records answered, without the reads of the trail (each query adds its own). */
  private List<Long> seqs(String path) {
    JsonNode b = assertJson(f.backend("GET", path, null), 200);
    List<Long> out = new ArrayList<>();
    b.get("records").forEach(r -> {
      if (!r.get("type").asText().equals("audit.read")) out.add(r.get("seq").asLong());
    });
    return out;
  }
}

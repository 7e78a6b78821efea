package dev.curfew.store.redis;

import static dev.curfew.store.redis.RedisSessionStoreTest.get;
import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.Decision;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionSearch;
import dev.curfew.core.SessionStatus;
import dev.curfew.core.SystemClock;
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
import org.junit.jupiter.api.Test;

/** {@link RedisSessionStore#search}: the rules of SessionSearch over sessions in Redis, read in bounded steps. */
class RedisSearchTest {
  private static final Policy STANDARD = Policy.of("standard", Duration.ofMinutes(5), Duration.ofHours(1),
      Duration.ofSeconds(10), 2);
  private static final Policy OTHER = Policy.of("other", Duration.ofMinutes(5), Duration.ofHours(1),
      Duration.ofSeconds(10), 2);
  private final RedisNodes redis = new RedisNodes();

  @AfterEach
  void close() throws Exception {
    redis.close();
  }

  private static SessionSearch.Page search(RedisSessionStore store, SessionSearch.Query q) throws Exception {
    return store.search(q).get(30, TimeUnit.SECONDS);
  }

  private static SessionSearch.Page search(RedisSearch s, SessionSearch.Query q) throws Exception {
    return RedisNodes.get(s.search(q));
  }

  @Test
  void pagesThroughEveryLiveSessionOfEveryShard_inSubjectOpeningIdOrder_exactlyOnce_fromAnotherNode() throws Exception {
    long seed = new Random().nextLong();
    Random random = new Random(seed);
    var a = redis.add("a", new SystemClock(), List.of(STANDARD, OTHER));
    var b = redis.add("b", new SystemClock(), List.of(STANDARD, OTHER));
    List<SessionStatus> opened = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String subject = "user-" + random.nextInt(25); // several sessions of some subjects, in several shards
      opened.add(get(a.store.open(subject, null, Map.of())).status());
    }
    List<String> expected = opened.stream()
        .sorted(Comparator.comparing(SessionStatus::subject).thenComparingLong(SessionStatus::createdAtMs)
            .thenComparing(SessionStatus::sessionId))
        .map(SessionStatus::sessionId).toList();

    // Steps of 4 ids: many ZSCAN steps per shard; pages of 7: a cursor across shards.
    RedisSearch small = new RedisSearch(b.store, 4);
    List<String> seen = new ArrayList<>();
    SessionSearch.Cursor after = null;
    do {
      SessionSearch.Page page = search(small, new SessionSearch.Query(null, null, after, 7));
      assertThat(page.matched()).as("seed %d", seed).isEqualTo(60);
      assertThat(page.sessions().size()).as("seed %d", seed).isLessThanOrEqualTo(7);
      page.sessions().forEach(s -> seen.add(s.sessionId()));
      after = page.next();
    } while (after != null);
    assertThat(seen).as("seed %d", seed).containsExactlyElementsOf(expected);

    // The store's own search (default steps) gives the same first page.
    SessionSearch.Page first = search(b.store, SessionSearch.Query.all(7));
    assertThat(first.sessions()).extracting(SessionStatus::sessionId).containsExactlyElementsOf(expected.subList(0, 7));
  }

  @Test
  void matchesPartOfTheSubjectIgnoringCase_orOneSessionId_orOnePolicy_andLeavesEndedSessionsOut() throws Exception {
    var a = redis.add("a", new SystemClock(), List.of(STANDARD, OTHER));
    Decision alice = get(a.store.open("Alice@Example.com", null, Map.of()));
    Decision alicia = get(a.store.open("alicia", "other", Map.of()));
    Decision bob = get(a.store.open("bob", null, Map.of()));
    Decision carol = get(a.store.open("carol", null, Map.of()));
    get(a.store.revoke(carol.status().sessionId(), "admin", "left"));

    assertThat(search(a.store, new SessionSearch.Query("ALIC", null, null, 10)).sessions())
        .extracting(SessionStatus::subject).containsExactly("Alice@Example.com", "alicia");
    assertThat(search(a.store, new SessionSearch.Query("example.COM", null, null, 10)).sessions())
        .extracting(SessionStatus::sessionId).containsExactly(alice.status().sessionId());
    SessionSearch.Page byId = search(a.store, new SessionSearch.Query("  " + bob.status().sessionId() + " ", null, null, 10));
    assertThat(byId.sessions()).extracting(SessionStatus::sessionId).containsExactly(bob.status().sessionId());
    assertThat(byId.matched()).isEqualTo(1);
    assertThat(search(a.store, new SessionSearch.Query("ali", "other", null, 10)).sessions())
        .extracting(SessionStatus::sessionId).containsExactly(alicia.status().sessionId());
    // An ended session is found neither by its subject nor by its id.
    assertThat(search(a.store, new SessionSearch.Query("carol", null, null, 10)).sessions()).isEmpty();
    assertThat(search(a.store, new SessionSearch.Query(carol.status().sessionId(), null, null, 10)).sessions()).isEmpty();
    SessionSearch.Page all = search(a.store, SessionSearch.Query.all(10));
    assertThat(all.matched()).isEqualTo(3);
    assertThat(all.next()).isNull();
    Set<String> ids = new HashSet<>();
    all.sessions().forEach(s -> ids.add(s.sessionId()));
    assertThat(ids).containsExactlyInAnyOrder(alice.status().sessionId(), alicia.status().sessionId(),
        bob.status().sessionId());
  }
}

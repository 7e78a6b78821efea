package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionSearchTest {

  @Test
  void search_emptyQueryPagesThroughEveryLiveSessionInSubjectThenOpeningOrder() {
    EngineFixture f = new EngineFixture();
    String bobFirst = f.open("bob").status().sessionId();
    f.clock.advanceMillis(10);
    String alice = f.open("alice").status().sessionId();
    f.clock.advanceMillis(10);
    String bobSecond = f.open("bob").status().sessionId();

    SessionSearch.Page first = f.engine.search("", null, 2);
    assertThat(first.sessions()).extracting(SessionStatus::sessionId).containsExactly(alice, bobFirst);
    assertThat(first.matched()).isEqualTo(3);
    assertThat(first.next()).isNotNull();
    SessionSearch.Page second = f.engine.search(null, first.next(), 2);
    assertThat(second.sessions()).extracting(SessionStatus::sessionId).containsExactly(bobSecond);
    assertThat(second.next()).isNull();
  }

  @Test
  void search_matchesPartOfTheSubjectIgnoringCase_orExactlyOneSessionId() {
    EngineFixture f = new EngineFixture();
    f.open("Alice@Example.com");
    f.open("alicia");
    String bob = f.open("bob@example.com").status().sessionId();

    assertThat(f.engine.search("alic", null, 10).sessions()).extracting(SessionStatus::subject)
        .containsExactly("Alice@Example.com", "alicia");
    assertThat(f.engine.search("EXAMPLE.COM", null, 10).sessions()).extracting(SessionStatus::subject)
        .containsExactly("Alice@Example.com", "bob@example.com");
    assertThat(f.engine.search("  " + bob + " ", null, 10).sessions()).extracting(SessionStatus::sessionId)
        .containsExactly(bob);
    assertThat(f.engine.search("nobody", null, 10).sessions()).isEmpty();
  }

  @Test
  void search_leavesOutEndedSessionsAndSessionsPastTheirDeadline() {
    EngineFixture f = new EngineFixture();
    String revoked = f.open("alice").status().sessionId();
    String token = f.open("alice").token();
    f.engine.revoke(revoked, "admin", "test");
    assertThat(f.engine.search("alice", null, 10).sessions()).hasSize(1);
    // Past the idle deadline but no timer has run: not live, though still in the index.
    f.clock.advance(Duration.ofMinutes(15));
    assertThat(f.engine.search("alice", null, 10).sessions()).isEmpty();
    assertThat(f.engine.check(token, false).verdict()).isEqualTo(Decision.Verdict.ENDED);
  }

  @Test
  void search_isPassive() {
    EngineFixture f = new EngineFixture();
    Decision d = f.open("alice");
    f.clock.advance(Duration.ofMinutes(5));
    SessionStatus s = f.engine.search("alice", null, 1).sessions().get(0);
    assertThat(s.idleExpiresAtMs()).isEqualTo(d.status().idleExpiresAtMs());
    assertThat(s.serverTimeMs()).isEqualTo(f.clock.millis());
    assertThat(f.types()).containsExactly("session.created");
  }

  @Test
  void search_refusesLimitsOutsideOneToAThousandAndOverlongText() {
    EngineFixture f = new EngineFixture();
    assertThatThrownBy(() -> f.engine.search("", null, 0)).hasMessageContaining("limit");
    assertThatThrownBy(() -> f.engine.search("", null, 1001)).hasMessageContaining("limit");
    assertThatThrownBy(() -> f.engine.search("x".repeat(257), null, 10)).hasMessageContaining("longer than 256");
  }

  @Test
  void search_ofOnePolicy_throughTheStoreInterface() throws Exception {
    Policy other = Policy.of("other", Duration.ofMinutes(15), Duration.ofHours(12), Duration.ofMinutes(2), 3);
    EngineFixture f = new EngineFixture(EngineFixture.standard(), other);
    String alice = f.open("alice").status().sessionId();
    String aliceOther = f.engine.open("alice", "other", Map.of()).status().sessionId();
    f.engine.open("bob", "other", Map.of());
    SessionStore store = SessionStore.of(f.engine);
    SessionSearch.Page page = store.search(new SessionSearch.Query("ali", "other", null, 10))
        .get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(page.sessions()).extracting(SessionStatus::sessionId).containsExactly(aliceOther);
    assertThat(page.matched()).isEqualTo(1);
    assertThat(store.search(new SessionSearch.Query(null, "standard", null, 10)).get(10, java.util.concurrent.TimeUnit.SECONDS)
        .sessions()).extracting(SessionStatus::sessionId).containsExactly(alice);
    assertThat(store.search(SessionSearch.Query.all(10)).get(10, java.util.concurrent.TimeUnit.SECONDS).matched())
        .isEqualTo(3);
  }

  /** Random subjects, openings and endings between pages: no page repeats a session or skips one that lived throughout. */
  @Test
  void search_pagingIsStableWhileSessionsOpenAndEnd() {
    Random random = new Random(20261126);
    for (int round = 0; round < 20; round++) {
      EngineFixture f = new EngineFixture();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        ids.add(f.engine.open("user-" + random.nextInt(40), null, Map.of()).status().sessionId());
        if (random.nextInt(4) == 0) f.clock.advanceMillis(random.nextInt(3));
      }
      Set<String> livedThroughout = new HashSet<>(ids);
      Set<String> seen = new HashSet<>();
      List<SessionStatus> all = new ArrayList<>();
      SessionSearch.Cursor cursor = null;
      int limit = 1 + random.nextInt(30);
      do {
        SessionSearch.Page page = f.engine.search("", cursor, limit);
        for (SessionStatus s : page.sessions()) assertThat(seen.add(s.sessionId())).as("seen once").isTrue();
        all.addAll(page.sessions());
        cursor = page.next();
        // Meanwhile: some sessions end, some open.
        String victim = ids.get(random.nextInt(ids.size()));
        f.engine.revoke(victim, "admin", null);
        livedThroughout.remove(victim);
        ids.add(f.engine.open("user-" + random.nextInt(40), null, Map.of()).status().sessionId());
      } while (cursor != null);
      assertThat(seen).containsAll(livedThroughout);
      Comparator<SessionStatus> order = Comparator.comparing(SessionStatus::subject)
          .thenComparingLong(SessionStatus::createdAtMs).thenComparing(SessionStatus::sessionId);
      assertThat(all).isSortedAccordingTo(order);
    }
  }

  @Test
  void containsIgnoreCase_edges() {
    assertThat(SessionSearch.containsIgnoreCase("abc", "")).isTrue();
    assertThat(SessionSearch.containsIgnoreCase("abc", "ABC")).isTrue();
    assertThat(SessionSearch.containsIgnoreCase("ab", "abc")).isFalse();
    assertThat(SessionSearch.containsIgnoreCase("ÉTÉ", "été")).isTrue();
  }
}

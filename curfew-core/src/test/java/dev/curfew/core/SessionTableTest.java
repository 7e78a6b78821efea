package dev.curfew.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The session table's open-addressing indexes: by token (current and previous), by id, by subject. */
class SessionTableTest {
  private static final Policy POLICY = Policy.of("t", Duration.ofHours(1), Duration.ofHours(2), Duration.ofMinutes(1), 0);

  private static Session session(Random rnd, String subject) {
    Session s = new Session(SessionId.format(rnd.nextLong(), rnd.nextLong() & ~0x3L), subject, POLICY, 0, Map.of(),
        Audience.route("/"));
    s.setToken(token(rnd));
    return s;
  }

  private static TokenHash token(Random rnd) {
    return TokenHash.ofWords(rnd.nextLong(), rnd.nextLong(), rnd.nextLong(), rnd.nextLong());
  }

  @Test
  void findsByTokenAndId_acrossGrowth_andForgetsPurged() {
    Random rnd = new Random(1);
    SessionTable table = new SessionTable();
    List<Session> all = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      Session s = session(rnd, "user" + (i % 100));
      table.insert(s);
      all.add(s);
    }
    for (Session s : all) {
      assertThat(table.byToken(s.tokenHash())).isSameAs(s);
      assertThat(table.byId(s.id())).isSameAs(s);
    }
    assertThat(table.byToken(token(rnd))).isNull();
    assertThat(table.size()).isEqualTo(5000);
    assertThat(table.all()).hasSize(5000);
    assertThat(table.bySubject("user7")).hasSize(50);
    for (int i = 0; i < all.size(); i += 2) {
      Session s = all.get(i);
      table.ended(s);
      table.purge(s);
    }
    for (int i = 0; i < all.size(); i++) {
      Session s = all.get(i);
      assertThat(table.byToken(s.tokenHash())).isSameAs(i % 2 == 0 ? null : s);
      assertThat(table.byId(s.id())).isSameAs(i % 2 == 0 ? null : s);
    }
    assertThat(table.size()).isEqualTo(2500);
    // Tombstones are reused and cleared: churn does not grow the index without bound.
    for (int round = 0; round < 20; round++) {
      Session s = session(rnd, "churn");
      table.insert(s);
      assertThat(table.byToken(s.tokenHash())).isSameAs(s);
      table.ended(s);
      table.purge(s);
      assertThat(table.byToken(s.tokenHash())).isNull();
    }
  }

  @Test
  void rotation_findsTheNewAndThePreviousToken_andForgetsTheOneBefore() {
    Random rnd = new Random(2);
    SessionTable table = new SessionTable();
    Session s = session(rnd, "alice");
    table.insert(s);
    TokenHash first = s.tokenHash();
    TokenHash second = token(rnd);
    TokenHash third = token(rnd);
    table.rotate(s, second, new Session.PreviousToken(first, 10, null));
    assertThat(s.tokenIs(second)).isTrue();
    assertThat(table.byToken(second)).isSameAs(s);
    assertThat(table.byToken(first)).isSameAs(s);
    table.rotate(s, third, new Session.PreviousToken(second, 20, null));
    assertThat(table.byToken(third)).isSameAs(s);
    assertThat(table.byToken(second)).isSameAs(s);
    assertThat(table.byToken(first)).isNull();
    table.ended(s);
    table.purge(s);
    assertThat(table.byToken(third)).isNull();
    assertThat(table.byToken(second)).isNull();
  }

  /**
   * One writer inserts (growing the index through several rebuilds), purges and rotates while
   * readers look up: a session inserted before the readers start and never touched is always
   * found, and a purged one is never found once its purge returned.
   */
  @Test
  void concurrentReaders_neverMissAPresentToken_norFindARemovedOne() throws Exception {
    long seed = 20261204L;
    Random rnd = new Random(seed);
    SessionTable table = new SessionTable();
    int stableCount = 2000;
    int churn = 60_000;
    Session[] stable = new Session[stableCount];
    for (int i = 0; i < stableCount; i++) {
      stable[i] = session(rnd, "stable" + i);
      table.insert(stable[i]);
    }
    Session[] added = new Session[churn];
    for (int i = 0; i < churn; i++) added[i] = session(rnd, "u" + (i % 500));
    AtomicInteger purged = new AtomicInteger(); // added[0 .. purged) are gone
    AtomicReference<String> failure = new AtomicReference<>();
    AtomicInteger lookups = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    Thread writer = new Thread(() -> {
      Random w = new Random(seed + 1);
      for (int i = 0; i < churn && failure.get() == null; i++) {
        table.insert(added[i]);
        if (i % 7 == 3) {
          table.rotate(added[i], token(w), new Session.PreviousToken(added[i].tokenHash(), 0, null));
        }
        if (i % 3 == 2) { // purge, in order, the oldest not yet purged
          Session gone = added[purged.get()];
          table.ended(gone);
          table.purge(gone);
          purged.incrementAndGet();
        }
      }
      done.set(true);
    });
    List<Thread> readers = new ArrayList<>();
    for (int r = 0; r < 3; r++) {
      Random rr = new Random(seed + 10 + r);
      readers.add(new Thread(() -> {
        while (!done.get() && failure.get() == null) {
          Session s = stable[rr.nextInt(stableCount)];
          if (table.byToken(s.tokenHash()) != s || table.byId(s.id()) != s) {
            failure.set("a present session was missed (seed " + seed + ")");
          }
          int gone = purged.get();
          if (gone > 0) {
            Session g = added[rr.nextInt(gone)];
            TokenHash current = g.tokenHash();
            TokenHash previous = g.previousTokenHash();
            if (table.byToken(current) != null || table.byId(g.id()) != null
                || (previous != null && table.byToken(previous) != null)) {
              failure.set("a purged session was found (seed " + seed + ")");
            }
          }
          lookups.incrementAndGet();
        }
      }));
    }
    readers.forEach(Thread::start);
    writer.start();
    writer.join(TimeUnit.MINUTES.toMillis(5));
    for (Thread t : readers) t.join(TimeUnit.MINUTES.toMillis(1));
    assertThat(failure.get()).isNull();
    assertThat(writer.isAlive()).isFalse();
    assertThat(lookups.get()).isPositive();
    assertThat(table.size()).isEqualTo(stableCount + churn - purged.get());
  }
}

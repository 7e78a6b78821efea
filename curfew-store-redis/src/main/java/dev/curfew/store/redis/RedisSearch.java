package dev.curfew.store.redis;

import dev.curfew.core.SessionSearch;
import dev.curfew.core.SessionStatus;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link RedisSessionStore#search}: the rules of {@link SessionSearch} over the sessions in Redis.
 *
 * <p>A shard's deadline set ({@code {prefix:n}:due}) holds exactly its live sessions (a session
 * enters it when it opens and leaves it when it ends, in the same scripts), so a page is one pass
 * over the shards' deadline sets with {@code ZSCAN}, {@value #STEP} ids a step, each step followed
 * by one pipelined {@code HMGET} of those sessions' subject, policy and opening time. Every command
 * is bounded, so Redis is never blocked, and in a Redis Cluster each one stays in its shard's slot.
 * The node keeps the {@code limit + 1} first sessions after the cursor in a bounded heap (O(limit)
 * memory), then reads the page's sessions with the same passive look every status read uses. While
 * Redis rehashes a set, {@code ZSCAN} may return a member twice: the page never shows it twice, but
 * {@code matched} may count it twice (a count for people, not a limit). A page
 * thus costs about live sessions / {@value #STEP} round trips: about 2,000 for a million live
 * sessions, the same one pass that the embedded engine makes in memory.
 */
final class RedisSearch {
  /** Ids read per {@code ZSCAN} step, and sessions per pipelined read. */
  static final int STEP = 500;

  private static final Comparator<Entry> ORDER = Comparator.comparing(Entry::subject)
      .thenComparingLong(Entry::createdAt)
      .thenComparing(Entry::id);

  private final RedisSessionStore store;
  private final long timeoutMs;
  private final int step;

  RedisSearch(RedisSessionStore store) {
    this(store, STEP);
  }

  /** With {@code step} ids a step (tests: small steps over few sessions). */
  RedisSearch(RedisSessionStore store, int step) {
    if (step < 1) throw new IllegalArgumentException("step < 1: " + step);
    this.store = store;
    this.timeoutMs = store.settings.timeout().toMillis();
    this.step = step;
  }

  private record Entry(String id, String subject, long createdAt) {}

  /** What one pass has found so far: how many matched, and the first {@code limit + 1} after the cursor. */
  private static final class Pass {
    final SessionSearch.Query query;
    final PriorityQueue<Entry> smallest;
    long matched;

    Pass(SessionSearch.Query query) {
      this.query = query;
      this.smallest = new PriorityQueue<>(query.limit() + 1, ORDER.reversed());
    }

    void offer(Entry e) {
      if (smallest.contains(e)) return; // ZSCAN may return a member twice while the set is rehashed
      matched++;
      if (!query.afterCursor(e.subject(), e.createdAt(), e.id())) return;
      if (smallest.size() <= query.limit()) {
        smallest.add(e);
      } else if (ORDER.compare(e, smallest.peek()) < 0) {
        smallest.poll();
        smallest.add(e);
      }
    }
  }

  Future<SessionSearch.Page> search(SessionSearch.Query query) {
    String id = query.sessionId();
    // A session id finds that session only, when it is live; else the text is matched against subjects.
    Future<SessionSearch.Page> byId = id == null ? Future.succeededFuture() : peek(id).map(s -> {
      if (s == null || (query.policy() != null && !query.policy().equals(s.policy()))) return null;
      boolean after = query.afterCursor(s.subject(), s.createdAtMs(), s.sessionId());
      return new SessionSearch.Page(after ? List.of(s) : List.of(), 1, null);
    });
    return byId.compose(page -> page != null ? Future.succeededFuture(page) : scan(query));
  }

  private Future<SessionSearch.Page> scan(SessionSearch.Query query) {
    Pass pass = new Pass(query);
    Future<Void> chain = Future.succeededFuture();
    for (int n = 0; n < RedisKeys.SHARDS; n++) {
      int shard = n;
      chain = chain.compose(v -> store.eachLiveId(shard, step, ids -> read(ids, pass)));
    }
    return chain.compose(v -> {
      List<Entry> ordered = new ArrayList<>(pass.smallest);
      ordered.sort(ORDER);
      boolean more = ordered.size() > query.limit();
      List<Entry> shown = more ? ordered.subList(0, query.limit()) : ordered;
      List<Future<SessionStatus>> reads = new ArrayList<>(shown.size());
      for (Entry e : shown) reads.add(peek(e.id()));
      return Future.all(reads).map(all -> {
        List<SessionStatus> out = new ArrayList<>(shown.size());
        for (int i = 0; i < all.size(); i++) {
          SessionStatus s = all.resultAt(i);
          if (s != null) out.add(s); // ended since the pass: left out, as the embedded engine does
        }
        SessionSearch.Cursor next = null;
        if (more) {
          Entry last = shown.get(shown.size() - 1);
          next = new SessionSearch.Cursor(last.subject(), last.createdAt(), last.id());
        }
        return new SessionSearch.Page(out, pass.matched, next);
      });
    });
  }

  /** The subject, policy and opening time of each id, in one pipelined batch; the live matching ones offered. */
  private Future<Void> read(List<String> ids, Pass pass) {
    if (ids.isEmpty()) return Future.succeededFuture();
    List<Request> gets = new ArrayList<>(ids.size());
    for (String id : ids) {
      gets.add(Request.cmd(Command.HMGET).arg(store.keys.session(id)).arg("sub").arg("pol").arg("c").arg("er"));
    }
    return store.redis.batch(gets).timeout(timeoutMs, TimeUnit.MILLISECONDS).map(rs -> {
      for (int i = 0; i < rs.size(); i++) {
        Response f = rs.get(i);
        if (f == null || f.get(0) == null || f.get(2) == null) continue; // gone since the scan
        if (f.get(3) != null && !f.get(3).toString().isEmpty()) continue; // ended since the scan
        String subject = f.get(0).toString();
        String policy = f.get(1) == null ? "" : f.get(1).toString();
        if (!pass.query.matches(subject, policy)) continue;
        pass.offer(new Entry(ids.get(i), subject, Long.parseLong(f.get(2).toString())));
      }
      return null;
    });
  }

  /** A session's status by id at Redis's time, passive; null when it is unknown, ended or past its deadline. */
  private Future<SessionStatus> peek(String id) {
    if (!id.startsWith("s_") || id.length() > 64) return Future.succeededFuture();
    return store.run(store.scripts.session, List.of(store.keys.session(id)), store.sessionArgsForId("peek", id, List.of()))
        .map(r -> {
          RedisSessionStore.Outcome o = RedisSessionStore.Outcome.of(r);
          if (o.row() == null || o.row().ended() || o.now() >= o.row().expiresAt()) return null;
          return o.row().status(o.now());
        });
  }
}

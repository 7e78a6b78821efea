package dev.curfew.bench.peers;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.session.Session;
import org.springframework.session.SessionRepository;
import org.springframework.session.data.redis.RedisIndexedSessionRepository;
import org.springframework.session.data.redis.RedisSessionRepository;

/**
 * Spring Session over a {@link LettuceConnectionFactory}, built the way Spring Session's own
 * configuration builds it: a {@code RedisTemplate} with string keys and hash keys and JDK-serialized
 * values, Lettuce's one shared native connection (Spring's default), the default flush mode (on save)
 * and save mode (on set attribute). Two repositories:
 *
 * <ul>
 *   <li>{@link RedisIndexedSessionRepository} ({@code @EnableRedisIndexedHttpSession}, Spring Boot's
 *       {@code spring.session.redis.repository-type=indexed}), the one with what Curfew also offers:
 *       session-expired events and the sessions of a principal. Its expired-session cleanup task runs;
 *       the listener for Redis keyspace notifications is not started: it is not on a request's path
 *       and would reconfigure the shared server ({@code notify-keyspace-events}).
 *   <li>{@link RedisSessionRepository} (Spring Boot's default repository type): a hash with a TTL, no
 *       events, no index.
 * </ul>
 *
 * <p>One check is what {@code SessionRepositoryFilter} does for a request that carries a session
 * cookie: {@code findById(id)}, {@code setLastAccessedTime(now)}, and {@code save(session)} when the
 * response is committed.
 */
final class SpringSessionPeer implements AutoCloseable {
  static final String ATTRIBUTE = "subject";

  /** Which repository. */
  enum Kind {
    INDEXED("spring-session-indexed", "RedisIndexedSessionRepository"),
    DEFAULT("spring-session-default", "RedisSessionRepository");

    final String label;
    final String className;

    Kind(String label, String className) {
      this.label = label;
      this.className = className;
    }
  }

  private final LettuceConnectionFactory connections;
  private final SessionRepository<Session> repository;
  private final RedisIndexedSessionRepository indexed;
  private final String namespace;

  @SuppressWarnings("unchecked")
  SpringSessionPeer(Kind kind, RedisTarget redis, String namespace, Duration maxInactive) {
    this.namespace = namespace;
    connections = new LettuceConnectionFactory(new RedisStandaloneConfiguration(redis.host(), redis.port()));
    connections.afterPropertiesSet();
    connections.start();
    RedisTemplate<String, Object> template = new RedisTemplate<>();
    template.setKeySerializer(RedisSerializer.string());
    template.setHashKeySerializer(RedisSerializer.string());
    template.setConnectionFactory(connections);
    template.afterPropertiesSet();
    if (kind == Kind.INDEXED) {
      indexed = new RedisIndexedSessionRepository(template);
      indexed.setRedisKeyNamespace(namespace);
      indexed.setDefaultMaxInactiveInterval(maxInactive);
      indexed.afterPropertiesSet();
      repository = (SessionRepository<Session>) (SessionRepository<?>) indexed;
    } else {
      indexed = null;
      RedisSessionRepository plain = new RedisSessionRepository(template);
      plain.setRedisKeyNamespace(namespace);
      plain.setDefaultMaxInactiveInterval(maxInactive);
      repository = (SessionRepository<Session>) (SessionRepository<?>) plain;
    }
  }

  /** Every key this repository writes starts with this. */
  String keyPrefix() {
    return namespace + ":";
  }

  /** Creates {@code n} sessions, each with one attribute, as a login would; returns their ids. */
  String[] createSessions(int n, int threads) throws Exception {
    String[] ids = new String[n];
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> parts = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int from = (int) ((long) n * t / threads);
        int to = (int) ((long) n * (t + 1) / threads);
        parts.add(pool.submit(() -> {
          for (int i = from; i < to; i++) {
            Session session = repository.createSession();
            session.setAttribute(ATTRIBUTE, "user" + i);
            repository.save(session);
            ids[i] = session.getId();
          }
          return null;
        }));
      }
      for (Future<?> f : parts) f.get();
    } finally {
      pool.shutdown();
    }
    return ids;
  }

  /**
   * One request's session handling: load the session, refuse it if absent or expired, mark it
   * accessed now, save. Returns whether the session was valid.
   */
  boolean checkAndTouch(String id) {
    Session session = repository.findById(id);
    if (session == null) return false;
    Object subject = session.getAttribute(ATTRIBUTE);
    session.setLastAccessedTime(Instant.now());
    repository.save(session);
    return subject != null;
  }

  /** For a smoke check of the wiring: the session as loaded. */
  Map<String, Object> describe(String id) {
    Session s = repository.findById(id);
    return s == null ? Map.of() : Map.of("id", s.getId(), ATTRIBUTE, s.getAttribute(ATTRIBUTE),
        "lastAccessedTime", s.getLastAccessedTime(), "maxInactiveInterval", s.getMaxInactiveInterval());
  }

  /** Creates the sessions, then measures check-and-touch at each number of threads. */
  static void run(Kind kind, Bench b) throws Exception {
    System.out.println("== Spring Session " + kind.className + ": " + b.describe(false));
    try (RedisServer server = new RedisServer(b.redis())) {
      long stale = server.deleteUnder(b.keyPrefix());
      if (stale > 0) System.out.println("deleted " + stale + " keys left under " + b.keyPrefix() + " by an earlier run");
      try (SpringSessionPeer peer = new SpringSessionPeer(kind, b.redis(), b.namespace(), Bench.IDLE)) {
        long t0 = System.nanoTime();
        String[] ids = peer.createSessions(b.sessions(), 8);
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("created %,d sessions in %.1f s (%,.0f/s, 8 threads); one of them: %s%n",
            ids.length, s, ids.length / s, peer.describe(ids[0]));
        for (int threads : b.threads()) {
          CommandCounter commands = new CommandCounter(server);
          Load.Result r = Load.closedLoop(threads, ids.length, b.warmupSeconds(), b.seconds(), commands,
              i -> peer.checkAndTouch(ids[i]));
          Report.row(kind.label, "threads", threads, r, commands.perOp(r.answers()));
        }
      } finally {
        long deleted = server.deleteUnder(b.keyPrefix());
        System.out.printf("deleted %,d keys under %s; %d left%n", deleted, b.keyPrefix(), server.keysUnder(b.keyPrefix()));
      }
    }
  }

  @Override
  public void close() {
    if (indexed != null) indexed.destroy();
    connections.destroy();
  }
}

package dev.curfew.gateway.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.EngineMetrics;
import dev.curfew.core.ManualClock;
import dev.curfew.core.MemoryAuditSink;
import dev.curfew.core.Policies;
import dev.curfew.core.Policy;
import dev.curfew.core.SessionEngine;
import dev.curfew.core.SessionEvents;
import dev.curfew.core.SessionStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetSocket;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listening side every database gateway shares: where its connections are served. */
class GatewayListenerTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** A gateway that only notes the thread each connection is handed over on. */
  private static final class ThreadNoting extends GatewayListener {
    final Set<String> threads = ConcurrentHashMap.newKeySet();
    final List<NetSocket> sockets = new ArrayList<>();

    ThreadNoting(Vertx vertx, GatewaySettings settings) {
      super(vertx, store(), new DatabaseTarget("orders", "127.0.0.1", 0, "127.0.0.1", 5432, null, "postgres", null,
          null, PassiveStatements.of(List.of()), DatabaseTarget.AuditStatements.OFF, null), settings);
    }

    Future<Void> start() {
      return listen(s -> {
        threads.add(Thread.currentThread().getName());
        synchronized (sockets) {
          sockets.add(s);
        }
      });
    }

    int accepted() {
      synchronized (sockets) {
        return sockets.size();
      }
    }

    @Override
    protected void shutdownConnections() {
      synchronized (sockets) {
        sockets.forEach(NetSocket::close);
      }
    }

    private static SessionStore store() {
      Policy p = Policy.of("default", Duration.ofHours(1), Duration.ofHours(8), Duration.ofMinutes(1), 0);
      return SessionStore.of(new SessionEngine(new ManualClock(Instant.parse("2026-12-03T00:00:00Z")), "node-1",
          new Policies(List.of(p), "default"), new MemoryAuditSink(), SessionEvents.NONE, EngineMetrics.NONE,
          SessionEngine.Limits.defaults()));
    }
  }

  @Test
  void connectionsAreSpreadOverTheConfiguredEventLoops() throws Exception {
    ThreadNoting gateway = new ThreadNoting(vertx, GatewaySettings.defaults().withEventLoops(2));
    gateway.start().await(30, TimeUnit.SECONDS);
    assertThat(gateway.port()).isPositive();
    List<Socket> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) clients.add(new Socket("127.0.0.1", gateway.port()));
      await().atMost(Duration.ofSeconds(30)).until(() -> gateway.accepted() == 4);
      // One event loop for every connection made a single thread relay all of them (the MySQL gateway at 31 % of direct).
      assertThat(gateway.threads).hasSize(2).allMatch(t -> t.startsWith("vert.x-eventloop-thread-"));
    } finally {
      for (Socket c : clients) c.close();
      gateway.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void oneEventLoopServesEveryConnectionWhenSoConfigured() throws Exception {
    ThreadNoting gateway = new ThreadNoting(vertx, GatewaySettings.defaults().withEventLoops(1));
    gateway.start().await(30, TimeUnit.SECONDS);
    List<Socket> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) clients.add(new Socket("127.0.0.1", gateway.port()));
      await().atMost(Duration.ofSeconds(30)).until(() -> gateway.accepted() == 3);
      assertThat(gateway.threads).hasSize(1);
    } finally {
      for (Socket c : clients) c.close();
      gateway.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void eventLoopsAreAtLeastOne() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> GatewaySettings.defaults().withEventLoops(0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/**
 * A CancelRequest stops a statement only with the key the gateway itself handed out in
 * BackendKeyData; the upstream's own process id, or the gateway's process id with another secret,
 * cancel nothing (the gateway maps its own keys to the upstream's).
 */
class PgGatewayCancelKeyTest {
  private static PgGatewayFixture f;

  @BeforeAll
  static void start() {
    f = new PgGatewayFixture("pg_gateway_cancel_key");
  }

  @AfterAll
  static void stop() {
    f.close();
  }

  @Test
  void forgedCancelRequests_cancelNothing() throws Exception {
    String token = f.open("fay", "long");
    try (Connection c = f.connect("fay", token); Statement s = c.createStatement()) {
      int gatewayPid = c.unwrap(PGConnection.class).getBackendPID(); // from the gateway's BackendKeyData
      int upstreamPid;
      try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
        rs.next();
        upstreamPid = rs.getInt(1);
      }
      assertThat(gatewayPid).as("the client never learns the upstream's process id from the gateway").isNotEqualTo(upstreamPid);
      long started = System.nanoTime();
      CompletableFuture<SQLException> running = CompletableFuture.supplyAsync(() -> {
        try {
          s.execute("SELECT pg_sleep(3) /* fay-sleep */");
          return null;
        } catch (SQLException e) {
          return e;
        }
      });
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> sleeps("fay-sleep") == 1);
      for (int[] key : new int[][] {{upstreamPid, 0}, {upstreamPid, 0x5eed}, {gatewayPid, 0}, {gatewayPid, 0x5eed}}) {
        assertThat(cancel(key[0], key[1])).as("the cancel connection is closed, nothing answered").isEqualTo(-1);
      }
      SQLException e = running.get(30, TimeUnit.SECONDS);
      assertThat((Throwable) e).as("the statement ran to its end").isNull();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThanOrEqualTo(2_900);
      try (ResultSet rs = s.executeQuery("SELECT 'still in'")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("still in");
      }
    }
  }

  /** Sends a CancelRequest to the gateway on a connection of its own; what the gateway then sends (-1: it closed). */
  private static int cancel(int processId, int secretKey) throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(ByteBuffer.allocate(16).putInt(16).putInt(PgMessages.CANCEL_REQUEST)
          .putInt(processId).putInt(secretKey).array());
      InputStream in = s.getInputStream();
      return in.read();
    }
  }

  private static long sleeps(String tag) {
    return f.db.queryLong("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%" + tag
        + "%' AND query NOT LIKE '%pg_stat_activity%'");
  }
}

package dev.curfew.gateway.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.curfew.core.audit.AuditRecord;
import dev.curfew.gateway.db.RefusalLimit;
import java.io.InputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A scanner cannot grow the signed trail at will: refused logins from one address are recorded
 * once per window and reason ({@link RefusalLimit}), the next record counting the ones in between.
 * The window runs on a clock moved by hand.
 */
class PgGatewayRefusalLimitTest {

  @Test
  void refusedLoginsFromOneAddress_areRecordedOncePerWindow_withTheRestCountedInRepeats() throws Exception {
    AtomicLong nanos = new AtomicLong(System.nanoTime());
    try (PgGatewayFixture f = new PgGatewayFixture("pg_gateway_refusal_limit", t -> t, s -> s.withNanoTime(nanos::get))) {
      for (int i = 0; i < 200; i++) {
        assertThat(unknownTokenLogin(f, "scan-" + i)).as("login %d is refused and told why", i).contains("28P01");
      }
      for (int i = 0; i < 50; i++) {
        assertThat(junk(f)).as("junk %d", i).contains("0A000");
      }
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> f.records("connection.refused").size() >= 2);
      assertThat(refused(f, "unknown")).hasSize(1).allMatch(r -> Long.valueOf(0).equals(r.data().get("repeats")));
      assertThat(refused(f, "unsupported_protocol")).hasSize(1);

      nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(RefusalLimit.WINDOW_MS));
      assertThat(unknownTokenLogin(f, "scan-after")).contains("28P01");
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> refused(f, "unknown").size() == 2);
      assertThat(refused(f, "unknown").get(1).data()).containsEntry("repeats", 199L)
          .containsEntry("protocol", "postgres").containsEntry("client_address", "127.0.0.1");
      assertThat(f.records("connection.refused")).hasSize(3);
    }
  }

  private static List<AuditRecord> refused(PgGatewayFixture f, String why) {
    return f.records("connection.refused").stream().filter(r -> why.equals(r.data().get("why"))).toList();
  }

  /** A whole login with a token that is no session; the gateway's answer. */
  private static String unknownTokenLogin(PgGatewayFixture f, String user) throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(PgMessages.startupMessage(Map.of("user", user, "database", f.db.name())).getBytes());
      InputStream in = s.getInputStream();
      assertThat(in.read()).isEqualTo('R');
      in.readNBytes(8);
      s.getOutputStream().write(PgMessages.passwordMessage("cft_not-a-session-" + user).getBytes());
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  /** A startup of a protocol version nobody speaks. */
  private static String junk(PgGatewayFixture f) throws Exception {
    try (Socket s = new Socket("127.0.0.1", f.gateway.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream().write(ByteBuffer.allocate(9).putInt(9).putInt(2 << 16).put((byte) 0).array());
      return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}

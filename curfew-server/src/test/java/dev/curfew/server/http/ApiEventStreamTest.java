package dev.curfew.server.http;

import static dev.curfew.server.http.ApiAssertions.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ApiEventStreamTest {
  private ApiFixture f = new ApiFixture();

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  /** One SSE connection read line by line on a background thread; EOF is the line {@link #EOF}. */
  static final class Sse {
    static final String EOF = "<eof>";
    final HttpResponse<Stream<String>> response;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Sse(ApiFixture f, String... headers) throws Exception {
      var b = f.request("/v1/session/events").timeout(Duration.ofSeconds(30)).GET();
      for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
      response = f.http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofLines()).get(30, TimeUnit.SECONDS);
      CompletableFuture.runAsync(() -> {
        try {
          response.body().forEach(lines::add);
        } catch (RuntimeException ignored) {
          // connection cut: same as the end of the stream
        } finally {
          lines.add(EOF);
        }
      });
    }

    /** The next event (skipping heartbeat comments): name and parsed data. */
    Event next() throws Exception {
      String name = null;
      String data = null;
      while (true) {
        String line = lines.poll(30, TimeUnit.SECONDS);
        assertThat(line).as("a line within 30 s").isNotNull();
        if (line.equals(EOF)) return new Event(EOF, null);
        if (line.startsWith(":")) continue;
        if (line.startsWith("event: ")) name = line.substring(7);
        else if (line.startsWith("data: ")) data = line.substring(6);
        else if (line.isEmpty() && name != null) return new Event(name, ApiFixture.JSON.readTree(data));
      }
    }
  }

  record Event(String name, JsonNode data) {}

  @Test
  void statusOnConnect_thenWarning_thenExpired_thenTheStreamCloses() throws Exception {
    ApiFixture.Created s = f.open("alice");
    Sse sse = new Sse(f, "Authorization", "Bearer " + s.token());
    assertThat(sse.response.statusCode()).isEqualTo(200);
    assertThat(sse.response.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/event-stream");
    assertThat(sse.response.headers().firstValue("Cache-Control")).hasValue("no-store");

    Event status = sse.next();
    assertThat(status.name()).isEqualTo("status");
    assertThat(status.data().get("session_id").asText()).isEqualTo(s.sessionId());
    await().atMost(Duration.ofSeconds(30)).until(() -> f.hub.streams(s.sessionId()) == 1);

    f.advance(Duration.ofMinutes(13));
    Event warning = sse.next();
    assertThat(warning.name()).isEqualTo("warning");
    assertThat(warning.data().get("expires_at").asText()).isEqualTo("2026-11-26T22:15:00.000Z");
    assertThat(warning.data().get("seconds_left").asLong()).isEqualTo(120);
    var sent = f.sink.records().stream().filter(r -> r.type().equals("session.warning_sent")).findFirst().orElseThrow();
    assertThat(sent.data()).containsEntry("delivered_to", 1L);

    f.advance(Duration.ofMinutes(2));
    Event expired = sse.next();
    assertThat(expired.name()).isEqualTo("expired");
    assertThat(expired.data().get("reason").asText()).isEqualTo("idle_timeout");
    assertThat(expired.data().get("expired_at").asText()).isEqualTo("2026-11-26T22:15:00.000Z");
    assertThat(sse.next().name()).isEqualTo(Sse.EOF);
    await().atMost(Duration.ofSeconds(30)).until(() -> f.hub.streams() == 0);
  }

  /**
   * An ending whose event never reaches the node (with Redis: its data lost, or a message missed
   * while disconnected) still closes the stream, at the next heartbeat's read of the session; the
   * client's reconnection is then answered 401 with the reason.
   */
  @Test
  void anEndingWhoseEventIsLost_closesTheStreamAtTheNextHeartbeat() throws Exception {
    f.close();
    f = new ApiFixture(ApiServer.Settings.defaults().withHeartbeat(Duration.ofMillis(200)), 3, true, false);
    ApiFixture.Created s = f.open("alice");
    Sse sse = new Sse(f, "Authorization", "Bearer " + s.token());
    assertThat(sse.next().name()).isEqualTo("status");
    // heartbeats come and the stream stays while the session lives
    await().atMost(Duration.ofSeconds(30)).until(() -> sse.lines.stream().filter(l -> l.startsWith(":")).count() >= 3);
    assertThat(sse.lines).doesNotContain(Sse.EOF);

    f.backend("DELETE", "/v1/sessions/" + s.sessionId(), null); // its revoked event reaches no stream
    await().atMost(Duration.ofSeconds(30)).until(() -> sse.lines.contains(Sse.EOF));
    await().atMost(Duration.ofSeconds(30)).until(() -> f.hub.streams() == 0);
    assertThat(f.sink.records().stream().filter(r -> r.type().equals("session.refused"))).as("no replay recorded").isEmpty();
    assertProblem(f.holder("GET", "/v1/session/events", s.token()), 401, "revoked");
  }

  @Test
  void extensionAndActivityAreAnnounced_logoutEndsTheStream() throws Exception {
    ApiFixture.Created s = f.open("alice");
    Sse sse = new Sse(f, "Cookie", "__Host-curfew=" + s.token());
    assertThat(sse.next().name()).isEqualTo("status");
    f.clock.advance(Duration.ofMinutes(1));
    f.holder("POST", "/v1/session/extend", s.token());
    Event extended = sse.next();
    assertThat(extended.name()).isEqualTo("extended");
    assertThat(extended.data().get("expires_at").asText()).isEqualTo("2026-11-26T22:16:00.000Z");
    assertThat(sse.next().name()).isEqualTo("status");
    f.clock.advance(Duration.ofMinutes(1));
    f.holder("POST", "/v1/session/activity", s.token());
    Event status = sse.next();
    assertThat(status.name()).isEqualTo("status");
    assertThat(status.data().get("expires_at").asText()).isEqualTo("2026-11-26T22:17:00.000Z");
    f.holder("DELETE", "/v1/session", s.token());
    Event out = sse.next();
    assertThat(out.name()).isEqualTo("logged_out");
    assertThat(out.data().get("reason").asText()).isEqualTo("logged_out");
    assertThat(sse.next().name()).isEqualTo(Sse.EOF);
  }

  @Test
  void revocationReachesEveryStreamOfTheSession() throws Exception {
    ApiFixture.Created s = f.open("alice");
    Sse a = new Sse(f, "Authorization", "Bearer " + s.token());
    Sse b = new Sse(f, "Authorization", "Bearer " + s.token());
    assertThat(a.next().name()).isEqualTo("status");
    assertThat(b.next().name()).isEqualTo("status");
    f.backend("DELETE", "/v1/sessions/" + s.sessionId(), null);
    assertThat(a.next().name()).isEqualTo("revoked");
    assertThat(b.next().name()).isEqualTo("revoked");
    assertThat(a.next().name()).isEqualTo(Sse.EOF);
    assertThat(b.next().name()).isEqualTo(Sse.EOF);
  }

  @Test
  void streamsPerSessionAreLimited() throws Exception {
    ApiFixture.Created s = f.open("alice");
    for (int i = 0; i < 3; i++) {
      assertThat(new Sse(f, "Authorization", "Bearer " + s.token()).next().name()).isEqualTo("status");
    }
    assertProblem(f.holder("GET", "/v1/session/events", s.token()), 429, null);
    // Another session is not affected.
    ApiFixture.Created other = f.open("bob");
    assertThat(new Sse(f, "Authorization", "Bearer " + other.token()).next().name()).isEqualTo("status");
  }

  @Test
  void anEndedOrMissingTokenGets401NotAStream() {
    ApiFixture.Created s = f.open("alice");
    f.holder("DELETE", "/v1/session", s.token());
    assertProblem(f.holder("GET", "/v1/session/events", s.token()), 401, "logged_out");
    assertProblem(f.call("GET", "/v1/session/events", null), 401, "unknown");
  }

  @Test
  void heartbeatsAreComments_andClosingTheServerEndsStreams() throws Exception {
    f.close();
    f = new ApiFixture(ApiServer.Settings.defaults().withInstances(1).withHeartbeat(Duration.ofMillis(50)), 3);
    ApiFixture.Created s = f.open("alice");
    Sse sse = new Sse(f, "Authorization", "Bearer " + s.token());
    assertThat(sse.next().name()).isEqualTo("status");
    String line;
    do {
      line = sse.lines.poll(30, TimeUnit.SECONDS);
      assertThat(line).isNotNull();
    } while (!line.startsWith(":"));
    f.server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(sse.next().name()).isEqualTo(Sse.EOF);
  }
}

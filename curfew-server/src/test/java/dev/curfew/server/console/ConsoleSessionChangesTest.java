package dev.curfew.server.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /console/api/events: every session's openings and endings, pushed to the live list. */
class ConsoleSessionChangesTest {
  @TempDir Path dir;
  private ConsoleFixture f;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeEach
  void start() throws Exception {
    f = new ConsoleFixture(dir);
  }

  @AfterEach
  void stop() throws Exception {
    f.close();
  }

  /** The stream's lines as they arrive, and its end. */
  private record Stream(List<String> lines, CompletableFuture<HttpResponse<Void>> response, CompletableFuture<Void> ended) {}

  private Stream follow(String token) {
    List<String> lines = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    HttpRequest req = HttpRequest.newBuilder(f.uri("/console/api/events"))
        .header("Cookie", ConsoleGuard.COOKIE + "=" + token).header("Accept", "text/event-stream").GET().build();
    CompletableFuture<HttpResponse<Void>> r = http.sendAsync(req, HttpResponse.BodyHandlers.fromLineSubscriber(
        new java.util.concurrent.Flow.Subscriber<String>() {
          @Override public void onSubscribe(java.util.concurrent.Flow.Subscription s) { s.request(Long.MAX_VALUE); }
          @Override public void onNext(String line) { lines.add(line); }
          @Override public void onError(Throwable t) { ended.complete(null); }
          @Override public void onComplete() { ended.complete(null); }
        }));
    return new Stream(lines, r, ended);
  }

  @Test
  void openingsAndEndings_arePushed_andTheStreamEndsWithTheOperatorsSession() throws Exception {
    ConsoleFixture.Operator op = f.signIn(ConsoleFixture.KEY);
    Stream s = follow(op.token());
    // (The answer's head is handed over with its end: a line subscriber's response completes then.)
    await().atMost(Duration.ofSeconds(30)).alias("the stream so far: " + s.lines())
        .until(() -> s.lines().contains("event: ready"));

    String alice = f.open("alice").get("session_id").asText();
    await().atMost(Duration.ofSeconds(30)).until(() -> s.lines().stream().anyMatch(l -> l.startsWith("data: ")
        && l.contains("\"session_id\":\"" + alice + "\",\"event\":\"status\"")));
    assertThat(s.lines()).contains("event: changed");
    assertThat(String.join("\n", s.lines())).doesNotContain("token");

    assertThat(f.change("DELETE", "/console/api/sessions/" + alice, op, "{\"reason_text\":\"test\"}").statusCode()).isEqualTo(204);
    await().atMost(Duration.ofSeconds(30)).until(() -> s.lines().stream().anyMatch(l -> l.startsWith("data: ")
        && l.contains("\"session_id\":\"" + alice + "\",\"event\":\"revoked\"")));

    assertThat(f.change("DELETE", "/console/session", op, null).statusCode()).isEqualTo(204);
    s.ended().get(30, TimeUnit.SECONDS);
    HttpResponse<Void> answer = s.response().get(30, TimeUnit.SECONDS);
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.headers().firstValue("Content-Type")).hasValue("text/event-stream; charset=utf-8");
    await().atMost(Duration.ofSeconds(30)).until(() -> f.hub.watchers() == 0);
  }

  @Test
  void followingTheList_isNotTheOperatorsActivity_andNeedsTheConsoleSession() throws Exception {
    ConsoleFixture.Operator op = f.signIn(ConsoleFixture.KEY);
    String before = ConsoleFixture.json(f.get("/console/api/me", op.token(), "X-Curfew-Passive", "1"))
        .get("session").get("last_activity_at").asText();
    f.clock.advance(Duration.ofMinutes(1));
    Stream s = follow(op.token());
    await().atMost(Duration.ofSeconds(30)).until(() -> s.lines().contains("event: ready"));
    String after = ConsoleFixture.json(f.get("/console/api/me", op.token(), "X-Curfew-Passive", "1"))
        .get("session").get("last_activity_at").asText();
    assertThat(after).isEqualTo(before);
    s.response().cancel(true);

    assertThat(f.get("/console/api/events", null).statusCode()).isEqualTo(401);
  }
}

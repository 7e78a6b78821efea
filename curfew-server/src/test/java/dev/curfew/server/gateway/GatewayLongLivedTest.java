package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** WebSockets and streamed responses through the gateway end with their session. */
class GatewayLongLivedTest {
  private final GatewayFixture f = new GatewayFixture();

  @AfterEach
  void close() {
    f.close();
  }

  /** Records what a WebSocket receives, and when it is closed or broken. */
  static final class Recorder implements WebSocket.Listener {
    final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<String> ended = new CompletableFuture<>();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      texts.add(data.toString());
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      ended.complete("close " + status);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      ended.complete("error " + error.getClass().getSimpleName());
    }
  }

  private WebSocket connect(String token, Recorder rec) throws Exception {
    return f.http.newWebSocketBuilder().header("Cookie", cookie(token)).connectTimeout(Duration.ofSeconds(5))
        .buildAsync(URI.create("ws://127.0.0.1:" + f.port + "/ws"), rec).get(5, TimeUnit.SECONDS);
  }

  @Test
  void webSocketThroughTheGatewayIsClosedWhenTheSessionIsRevoked() throws Exception {
    String token = f.login("wendy");
    Recorder rec = new Recorder();
    WebSocket ws = connect(token, rec);
    ws.sendText("ping", true).get(5, TimeUnit.SECONDS);
    assertThat(rec.texts.poll(5, TimeUnit.SECONDS)).isEqualTo("ping");
    GatewayFixture.Received up = f.lastReceived();
    assertThat(up.method()).isEqualTo("WS");
    assertThat(up.headers().get("X-Curfew-Subject")).isEqualTo("wendy");
    assertThat(up.headers().get("Cookie")).isNull();

    long t0 = System.nanoTime();
    f.engine.revoke(f.engine.check(token, false).status().sessionId(), "admin", "test");
    assertThat(rec.ended.get(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
  }

  @Test
  void webSocketUpgradeWithoutAValidSessionIsRefused() {
    String token = f.login("xena");
    f.engine.logout(token);
    Recorder rec = new Recorder();
    CompletableFuture<WebSocket> c = f.http.newWebSocketBuilder().header("Cookie", cookie(token))
        .buildAsync(URI.create("ws://127.0.0.1:" + f.port + "/ws"), rec);
    assertThat(c).failsWithin(Duration.ofSeconds(5));
    assertThat(f.received).isEmpty();
  }

  @Test
  void webSocketIsClosedWhenTheSessionExpiresByTimer() throws Exception {
    String token = f.login("yuri");
    Recorder rec = new Recorder();
    connect(token, rec);
    f.advance(Duration.ofMinutes(15)); // the deadline driver's timer ends the session
    assertThat(rec.ended.get(5, TimeUnit.SECONDS)).isNotNull();
  }

  @Test
  void streamingResponseIsCutOnLogout() throws Exception {
    String token = f.login("zoe");
    HttpResponse<InputStream> r = f.http.send(HttpRequest.newBuilder(f.uri("/stream"))
        .header("Cookie", cookie(token)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    CompletableFuture<Void> eof = CompletableFuture.runAsync(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) lines.add(line);
      } catch (Exception cut) {
        // a reset connection is a cut too
      }
    });
    assertThat(lines.poll(5, TimeUnit.SECONDS)).isEqualTo("first");
    assertThat(lines.poll(5, TimeUnit.SECONDS)).isEqualTo("tick");
    assertThat(f.send("DELETE", "/_curfew/session", "Cookie", cookie(token)).statusCode()).isEqualTo(204);
    eof.get(5, TimeUnit.SECONDS);
  }
}

package dev.curfew.server.gateway;

import static dev.curfew.server.gateway.GatewayFixture.cookie;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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

  /**
   * A WebSocket client that records what it receives and when its connection ends. Vert.x's client:
   * java.net.http's WebSocket was seen, a few times in a hundred, to report neither onClose nor
   * onError when the server closed the TCP connection (a raw socket saw the close every time).
   */
  static final class Recorder {
    final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final CompletableFuture<String> ended = new CompletableFuture<>();
    WebSocket ws;
  }

  private Recorder connect(String token) throws Exception {
    Recorder rec = new Recorder();
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(f.port)
        .setURI("/ws").addHeader("Cookie", cookie(token));
    rec.ws = GatewayFixture.await(f.vertx.createWebSocketClient().connect(options));
    rec.ws.textMessageHandler(rec.texts::add);
    rec.ws.closeHandler(v -> rec.ended.complete("closed"));
    rec.ws.exceptionHandler(e -> rec.ended.complete("error " + e.getClass().getSimpleName()));
    return rec;
  }

  @Test
  void webSocketThroughTheGatewayIsClosedWhenTheSessionIsRevoked() throws Exception {
    String token = f.login("wendy");
    Recorder rec = connect(token);
    GatewayFixture.await(rec.ws.writeTextMessage("ping"));
    assertThat(rec.texts.poll(10, TimeUnit.SECONDS)).isEqualTo("ping");
    GatewayFixture.Received up = f.lastReceived();
    assertThat(up.method()).isEqualTo("WS");
    assertThat(up.headers().get("X-Curfew-Subject")).isEqualTo("wendy");
    assertThat(up.headers().get("Cookie")).isNull();

    f.engine.revoke(f.engine.check(token, false).status().sessionId(), "admin", "test");
    assertThat(rec.ended.get(15, TimeUnit.SECONDS)).isNotNull();
  }

  @Test
  void webSocketUpgradeWithoutAValidSessionIsRefused() {
    String token = f.login("xena");
    f.engine.logout(token);
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(f.port)
        .setURI("/ws").addHeader("Cookie", cookie(token));
    CompletableFuture<WebSocket> c = f.vertx.createWebSocketClient().connect(options).toCompletionStage()
        .toCompletableFuture();
    assertThat(c).failsWithin(Duration.ofSeconds(15));
    assertThat(f.received).isEmpty();
  }

  @Test
  void webSocketIsClosedWhenTheSessionExpiresByTimer() throws Exception {
    String token = f.login("yuri");
    Recorder rec = connect(token);
    f.advance(Duration.ofMinutes(15)); // the deadline driver's timer ends the session
    assertThat(rec.ended.get(15, TimeUnit.SECONDS)).isNotNull();
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

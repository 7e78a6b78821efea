package dev.curfew.gateway.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.audit.RecordTypes;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recordings of a connection with two channels, through the gateway to a private OpenSSH server,
 * driven by MINA SSHD's client: a PTY announced as 0x0 (a script's {@code ssh -tt}) is recorded as
 * 80x24, a window change is an asciicast {@code "r"} event, and {@code recording_sha256} is the first
 * channel's even when another channel closes before it.
 */
class SshGatewayRecordingTest {
  static PrivateSshd sshd;
  static SshClient client;
  @TempDir Path data;

  @BeforeAll
  static void start() throws Exception {
    sshd = PrivateSshd.startOrSkip();
    client = PrivateSshd.client();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) client.stop();
    if (sshd != null) sshd.close();
  }

  private static String text(ByteArrayOutputStream b) {
    synchronized (b) {
      return b.toString(StandardCharsets.UTF_8);
    }
  }

  @Test
  void aSizelessPtyIs80x24ResizesAreRecordedAndTheFirstChannelsHashIsTheOneNamed() throws Exception {
    try (GatewayFixture f = new GatewayFixture(data, List.of(sshd.target("build-box", true)), true)) {
      try (ClientSession s = client.connect("alice@build-box", "127.0.0.1", f.gateway.port())
          .verify(Duration.ofSeconds(20)).getSession()) {
        s.addPasswordIdentity(f.open("alice", "long"));
        s.auth().verify(Duration.ofSeconds(30));
        // The first channel: a terminal without a size, resized, closed last.
        ChannelExec first = s.createExecChannel("stty size; read x; stty size; read y");
        first.setUsePty(true);
        first.setPtyColumns(0);
        first.setPtyLines(0);
        ByteArrayOutputStream firstOut = new ByteArrayOutputStream();
        first.setOut(firstOut);
        first.open().verify(Duration.ofSeconds(20));
        await().atMost(Duration.ofSeconds(30)).until(() -> text(firstOut).contains("\n"));
        first.sendWindowChange(100, 40);
        // The second channel: a command that ends before the first.
        try (ChannelExec second = s.createExecChannel("echo second-$((6*7))")) {
          ByteArrayOutputStream secondOut = new ByteArrayOutputStream();
          second.setOut(secondOut);
          second.open().verify(Duration.ofSeconds(20));
          second.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(30));
          assertThat(text(secondOut)).contains("second-42");
        }
        OutputStream keys = first.getInvertedIn();
        keys.write("\r".getBytes(StandardCharsets.UTF_8));
        keys.flush();
        await().atMost(Duration.ofSeconds(30)).until(() -> text(firstOut).contains("40 100"));
        keys.write("\r".getBytes(StandardCharsets.UTF_8));
        keys.flush();
        first.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(30));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> !f.records(RecordTypes.CONNECTION_CLOSED).isEmpty());
      Map<String, Object> closed = f.records(RecordTypes.CONNECTION_CLOSED).get(0).data();
      String connectionId = (String) closed.get("connection_id");
      Path firstFile = data.resolve("recordings").resolve(connectionId + "-1.cast");
      String firstSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(firstFile)));
      assertThat(closed).as("the first channel's hash, though the second closed first")
          .containsEntry("recording_sha256", firstSha);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> recordings = (List<Map<String, Object>>) closed.get("recordings");
      assertThat(recordings).extracting(r -> r.get("file"))
          .containsExactly(connectionId + "-1.cast", connectionId + "-2.cast");
      List<String> lines = Files.readAllLines(firstFile);
      assertThat(lines.get(0)).contains("\"width\":80").contains("\"height\":24");
      assertThat(lines).anyMatch(l -> l.matches("\\[\\d+\\.\\d{6},\"r\",\"100x40\"\\]"));
      // The resize comes before the output that followed it.
      int resize = lines.indexOf(lines.stream().filter(l -> l.contains("\"r\"")).findFirst().orElseThrow());
      assertThat(String.join("\n", lines.subList(resize, lines.size()))).contains("40 100");
    }
  }
}

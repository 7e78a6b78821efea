package dev.curfew.gateway.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.core.CoreModuleProperties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The end of a session while the target floods the client with output (a {@code cat} of a large
 * file): the client must get all three parts of the end (spec/protocol-gateways.md, SSH): the last
 * line, exit-signal {@code HUP} and the disconnect with the reason, and the target's output must stop
 * before the last line rather than starve it. Driven by MINA SSHD's client against a private OpenSSH
 * server, with and without a PTY.
 */
class SshGatewayEndUnderFloodTest {
  static PrivateSshd sshd;
  static SshClient client;
  GatewayFixture f;
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

  @BeforeEach
  void gateway() throws Exception {
    f = new GatewayFixture(data, List.of(sshd.target("build-box", true)), true);
  }

  @AfterEach
  void close() throws Exception {
    f.close();
  }

  /** What the client received, in the order it arrived: both streams share the connection's order. */
  static final class Received {
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();
    /** Standard output's length when the last line arrived (on either stream); -1 before. */
    long outAtEndLine = -1;

    private final StringBuilder outTail = new StringBuilder();
    private final StringBuilder errTail = new StringBuilder();

    synchronized void add(boolean stdout, byte[] b, int off, int len) {
      (stdout ? out : err).write(b, off, len);
      StringBuilder tail = stdout ? outTail : errTail;
      tail.append(new String(b, off, len, StandardCharsets.ISO_8859_1)); // the line is ASCII
      if (outAtEndLine < 0 && tail.indexOf(END) >= 0) outAtEndLine = out.size();
      if (tail.length() > 2 * END.length()) tail.delete(0, tail.length() - 2 * END.length());
    }

    synchronized long outBytes() {
      return out.size();
    }

    synchronized String out() {
      return out.toString(StandardCharsets.UTF_8);
    }

    synchronized String err() {
      return err.toString(StandardCharsets.UTF_8);
    }

    OutputStream stream(boolean stdout) {
      return new OutputStream() {
        @Override
        public void write(int b) {
          write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
          add(stdout, b, off, len);
          slowly();
        }
      };
    }
  }

  /** A client slower than the target (a terminal drawing what it gets): its window is what it lets through. */
  static void slowly() {
    try {
      Thread.sleep(5); // per packet of up to 32 KiB: some 6 MB/s
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static final String END = "curfew: session ended (revoked)";

  private Received revokeDuringFlood(boolean pty, AtomicReference<String> disconnect, ChannelExec[] channel)
      throws Exception {
    String token = f.open("alice", "long");
    Received got = new Received();
    try (ClientSession s = client.connect("alice@build-box", "127.0.0.1", f.gateway.port())
        .verify(Duration.ofSeconds(20)).getSession()) {
      s.addSessionListener(new SessionListener() {
        @Override
        public void sessionDisconnect(Session session, int reason, String msg, String language, boolean initiator) {
          if (!initiator) disconnect.set(msg);
        }
      });
      s.addPasswordIdentity(token);
      s.auth().verify(Duration.ofSeconds(30));
      // OpenSSH's window: 2 MiB, adjusted every few packets; MINA's client adjusts only at half its window,
      // so a smaller one stands for OpenSSH's steady adjustments.
      CoreModuleProperties.WINDOW_SIZE.set(s, 256L * 1024);
      ChannelExec c = s.createExecChannel("yes curfew-flood-line-of-output");
      channel[0] = c;
      c.setUsePty(pty);
      c.setOut(got.stream(true));
      c.setErr(got.stream(false));
      c.open().verify(Duration.ofSeconds(20));
      await().atMost(Duration.ofSeconds(30)).until(() -> got.outBytes() > 2L * 1024 * 1024); // in full flood
      f.sessions.revoke(f.sessionIdOf(token), "test", "leaving").get();
      c.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(20));
      await().atMost(Duration.ofSeconds(20)).until(s::isClosed);
    }
    return got;
  }

  @Test
  void withoutAPtyTheLastLineOnStderrTheHupAndTheDisconnectAllArriveAndTheFloodStopsFirst() throws Exception {
    AtomicReference<String> disconnect = new AtomicReference<>();
    ChannelExec[] c = new ChannelExec[1];
    Received got = revokeDuringFlood(false, disconnect, c);
    assertThat(got.err()).as("the last line, on stderr").contains(END);
    assertThat(c[0].getExitSignal()).as("exit-signal").isEqualTo("HUP");
    assertThat(disconnect.get()).as("the disconnect's text").isEqualTo(END);
    // The target's output stopped at the end: at most what was already on its way (one read) follows the line.
    assertThat(got.outBytes() - got.outAtEndLine).isLessThanOrEqualTo(2L * Relay.READ_BYTES);
    assertThat(got.out()).doesNotContain("curfew:");
  }

  @Test
  void onAPtyTheLastLineIsTheLastThingOnTheTerminalThenTheHupAndTheDisconnect() throws Exception {
    AtomicReference<String> disconnect = new AtomicReference<>();
    ChannelExec[] c = new ChannelExec[1];
    Received got = revokeDuringFlood(true, disconnect, c);
    assertThat(got.out()).as("the terminal ends with the last line").endsWith(TerminalText.endLine("revoked"));
    assertThat(c[0].getExitSignal()).as("exit-signal").isEqualTo("HUP");
    assertThat(disconnect.get()).as("the disconnect's text").isEqualTo(END);
  }
}

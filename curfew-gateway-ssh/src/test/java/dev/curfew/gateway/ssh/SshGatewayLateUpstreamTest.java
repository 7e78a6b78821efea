package dev.curfew.gateway.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.audit.RecordTypes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target that answers after the client is gone: its login to the target completes (or would)
 * after the client's login timed out or the client left. The gateway must close that connection to
 * the target, not hold it open with nobody behind it.
 */
class SshGatewayLateUpstreamTest {
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

  private static SshTarget slowTarget(SlowTcpProxy proxy) {
    SshTarget t = sshd.target("slow-box", true);
    return new SshTarget(t.name(), t.host(), proxy.port(), t.user(), t.identityFile(), null, t.hostKey(), null, true);
  }

  /** Sends the token and does not wait for the answer. */
  private static ClientSession startLogin(GatewayFixture f, String token) throws Exception {
    ClientSession s = client.connect("alice@slow-box", "127.0.0.1", f.gateway.port()).verify(Duration.ofSeconds(20))
        .getSession();
    s.addPasswordIdentity(token);
    s.auth();
    return s;
  }

  @Test
  void aTargetThatAnswersAfterTheLoginTimedOutIsDisconnected() throws Exception {
    try (SlowTcpProxy proxy = new SlowTcpProxy(sshd.port, Duration.ofSeconds(10));
         GatewayFixture f = new GatewayFixture(data, List.of(slowTarget(proxy)), false,
             s -> s.withLoginTimeout(Duration.ofSeconds(5)))) {
      try (ClientSession s = startLogin(f, f.open("alice", "long"))) {
        await().atMost(Duration.ofSeconds(30)).until(() -> proxy.accepted.get() == 1); // the gateway reached the target
        await().atMost(Duration.ofSeconds(30)).until(() -> !s.isOpen()); // the client's login timed out
      }
      // the target answers at 10 s: the gateway's connection to it is closed, not logged in and kept
      await().atMost(Duration.ofSeconds(30)).until(() -> proxy.openFromGateway.get() == 0);
      assertThat(f.records(RecordTypes.CONNECTION_OPENED)).isEmpty();
      assertThat(f.gateway.connections()).isZero();
    }
  }

  @Test
  void aTargetThatAnswersAfterTheClientLeftIsDisconnected() throws Exception {
    try (SlowTcpProxy proxy = new SlowTcpProxy(sshd.port, Duration.ofSeconds(3));
         GatewayFixture f = new GatewayFixture(data, List.of(slowTarget(proxy)), false)) {
      ClientSession s = startLogin(f, f.open("alice", "long"));
      await().atMost(Duration.ofSeconds(30)).until(() -> proxy.accepted.get() == 1);
      s.close(true); // the client leaves while the gateway logs in to the target
      await().atMost(Duration.ofSeconds(30)).until(() -> f.gateway.connections() == 0);
      // the login to the target completes at 3 s, with nobody left to use it: closed at once
      await().atMost(Duration.ofSeconds(30)).until(() -> proxy.openFromGateway.get() == 0);
      assertThat(f.records(RecordTypes.CONNECTION_OPENED)).isEmpty();
      assertThat(f.records(RecordTypes.CONNECTION_CLOSED)).isEmpty();
    }
  }
}

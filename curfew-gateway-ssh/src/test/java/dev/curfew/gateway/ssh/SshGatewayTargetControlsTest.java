package dev.curfew.gateway.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.curfew.core.audit.RecordTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.AcceptAllPublickeyAuthenticator;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Controls between the gateway and its target, against a target in this JVM (Apache MINA SSHD, so
 * that no OpenSSH server is needed): a target whose host key is not the pinned one is refused, and
 * of the client's environment variables only the locale reaches the target (the in-JVM target
 * accepts every variable, so the gateway's filter is the only one at work).
 */
class SshGatewayTargetControlsTest {
  static SshServer target;
  static SshClient client;
  static Path keys;
  @TempDir Path data;

  @BeforeAll
  static void start() throws Exception {
    keys = Files.createTempDirectory("curfew-ssh-target");
    keygen(keys.resolve("host"));
    keygen(keys.resolve("other_host"));
    keygen(keys.resolve("curfew"));
    target = SshServer.setUpDefaultServer();
    target.setHost("127.0.0.1");
    target.setPort(0);
    target.setKeyPairProvider(new FileKeyPairProvider(keys.resolve("host")));
    target.setPublickeyAuthenticator(AcceptAllPublickeyAuthenticator.INSTANCE);
    target.setCommandFactory((channel, command) -> new PrintEnv());
    target.start();
    client = SshClient.setUpDefaultClient();
    client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
    client.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) client.stop();
    if (target != null) target.stop(true);
  }

  private static void keygen(Path file) throws Exception {
    Process p = new ProcessBuilder("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", file.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException("ssh-keygen failed: " + out);
  }

  private static SshTarget targetPinning(String name, String hostKeyFile) throws IOException {
    String pinned = Files.readString(keys.resolve(hostKeyFile + ".pub")).trim();
    return new SshTarget(name, "127.0.0.1", target.getPort(), "deploy", keys.resolve("curfew"), null, pinned, null, true);
  }

  /** Runs {@code command} through the gateway with {@code env} sent as environment requests: its output. */
  private static String exec(GatewayFixture f, String login, String token, Map<String, String> env) throws Exception {
    try (ClientSession s = client.connect(login, "127.0.0.1", f.gateway.port()).verify(Duration.ofSeconds(20)).getSession()) {
      s.addPasswordIdentity(token);
      s.auth().verify(Duration.ofSeconds(30));
      try (ChannelExec c = s.createExecChannel("printenv")) {
        env.forEach(c::setEnv);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.setOut(out);
        c.setErr(out);
        c.open().verify(Duration.ofSeconds(20));
        c.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(30));
        return out.toString(StandardCharsets.UTF_8);
      }
    }
  }

  @Test
  void aTargetWhoseHostKeyIsNotThePinnedOne_isRefused() throws Exception {
    try (GatewayFixture f = new GatewayFixture(data, List.of(targetPinning("pinned-box", "host"),
        targetPinning("moved-box", "other_host")), false)) {
      assertThat(exec(f, "alice@pinned-box", f.open("alice", "long"), Map.of())).contains("CURFEW_TARGET=yes");
      String token = f.open("alice", "long");
      assertThatThrownBy(() -> exec(f, "alice@moved-box", token, Map.of())).isInstanceOf(Exception.class);
      await().atMost(Duration.ofSeconds(30)).until(() -> f.records(RecordTypes.CONNECTION_REFUSED).stream()
          .anyMatch(r -> "upstream_error".equals(r.data().get("why")) && "moved-box".equals(r.data().get("target"))));
      assertThat(f.records(RecordTypes.CONNECTION_OPENED)).hasSize(1)
          .allMatch(r -> "pinned-box".equals(r.data().get("target")));
    }
  }

  @Test
  void onlyTheLocaleOfTheClientsEnvironmentReachesTheTarget() throws Exception {
    try (GatewayFixture f = new GatewayFixture(data, List.of(targetPinning("env-box", "host")), false)) {
      Map<String, String> env = new TreeMap<>(Map.of("LANG", "C.UTF-8", "LC_TIME", "en_GB.UTF-8",
          "LD_PRELOAD", "/tmp/evil.so", "PATH", "/tmp/evil", "BASH_ENV", "/tmp/evil.sh", "CURFEW_TOKEN_X", "leak",
          "LC_", "short", "lang", "lower"));
      String out = exec(f, "alice@env-box", f.open("alice", "long"), env);
      assertThat(out).contains("CURFEW_TARGET=yes").contains("LANG=C.UTF-8").contains("LC_TIME=en_GB.UTF-8");
      assertThat(out).doesNotContain("LD_PRELOAD").doesNotContain("/tmp/evil").doesNotContain("CURFEW_TOKEN_X")
          .doesNotContain("LC_=").doesNotContain("lang=");
    }
  }

  /** The target's command: prints the environment the channel was given, one variable a line. */
  static final class PrintEnv implements Command {
    private OutputStream out;
    private ExitCallback exit;

    @Override
    public void setInputStream(InputStream in) {
    }

    @Override
    public void setOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
    }

    @Override
    public void setExitCallback(ExitCallback callback) {
      this.exit = callback;
    }

    @Override
    public void start(ChannelSession channel, Environment env) throws IOException {
      StringBuilder b = new StringBuilder("CURFEW_TARGET=yes\n");
      new TreeMap<>(env.getEnv()).forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
      out.write(b.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      exit.onExit(0);
    }

    @Override
    public void destroy(ChannelSession channel) {
    }
  }
}

package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private OpenSSH server for tests: its own configuration, host key and authorized_keys in a
 * temporary directory, listening on a free loopback port, logging in only the user running the
 * tests with the key Curfew uses. The machine's own sshd is never touched.
 */
public final class PrivateSshd implements AutoCloseable {
  public static final Path SSHD = Path.of("/usr/sbin/sshd");

  public final Path dir;
  public final int port;
  public final Path curfewKey;
  public final String hostPublicKey;
  public final String user = System.getProperty("user.name");
  private final Process process;

  /** Whether the tools are here; in CI their absence fails the tests instead (see .ci/run). */
  public static boolean available() {
    return Files.isExecutable(SSHD) && onPath("ssh") && onPath("ssh-keygen") && onPath("sshpass") && onPath("script");
  }

  /**
   * A private sshd in a temporary directory. Outside CI a machine without the tools skips the test;
   * in CI their absence fails it (.ci/run installs them).
   */
  public static PrivateSshd startOrSkip() throws Exception {
    boolean here = available();
    if (!here && "true".equals(System.getenv("CI"))) throw new IllegalStateException("OpenSSH tools missing (see .ci/run)");
    org.junit.jupiter.api.Assumptions.assumeTrue(here, "openssh-server missing: skipped outside CI");
    return new PrivateSshd(Files.createTempDirectory("curfew-sshd"));
  }

  /** MINA SSHD's client, started, taking any host key (the gateway's is made for each test). */
  public static org.apache.sshd.client.SshClient client() {
    org.apache.sshd.client.SshClient c = org.apache.sshd.client.SshClient.setUpDefaultClient();
    c.setServerKeyVerifier(org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier.INSTANCE);
    c.start();
    return c;
  }

  static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) return true;
    }
    return false;
  }

  public PrivateSshd(Path dir) throws Exception {
    this.dir = dir;
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host_ed25519").toString());
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "curfew", "-f", dir.resolve("curfew_ed25519").toString());
    curfewKey = dir.resolve("curfew_ed25519");
    Files.copy(dir.resolve("curfew_ed25519.pub"), dir.resolve("authorized_keys"));
    hostPublicKey = Files.readString(dir.resolve("host_ed25519.pub")).trim();
    port = freePort();
    Files.writeString(dir.resolve("sshd_config"), String.join("\n", List.of(
        "Port " + port,
        "ListenAddress 127.0.0.1",
        "HostKey " + dir.resolve("host_ed25519"),
        "PidFile " + dir.resolve("sshd.pid"),
        "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
        "AllowUsers " + user,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "PrintMotd no",
        "PrintLastLog no",
        "AcceptEnv LANG LC_*",
        "AllowTcpForwarding yes",
        "LogLevel ERROR",
        "")));
    Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation directory
    process = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", dir.resolve("sshd_config").toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        return;
      } catch (IOException e) {
        if (!process.isAlive()) throw new IOException("sshd exited: " + Files.readString(dir.resolve("sshd.log")));
        Thread.sleep(50);
      }
    }
    throw new IOException("sshd did not listen on " + port);
  }

  /** A gateway target for this sshd: Curfew's key, the host key pinned. */
  public SshTarget target(String name, boolean busyIsActivity) {
    return target(name, busyIsActivity, null);
  }

  /** As above, for sessions under {@code policy} only. */
  public SshTarget target(String name, boolean busyIsActivity, String policy) {
    return new SshTarget(name, "127.0.0.1", port, user, curfewKey, null, hostPublicKey, policy, busyIsActivity);
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) throw new IOException(String.join(" ", command) + " failed: " + out);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.destroyForcibly();
  }
}

package dev.curfew.core.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What the tests' private database servers (PostgreSQL, MariaDB) need to set themselves up. */
public final class PrivateServers {
  private PrivateServers() {}

  /** Runs {@code command} to its end (at most 2 minutes); fails with its output unless it exits 0. */
  public static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed: " + new String(out));
    }
  }

  /** A loopback port free at the moment of asking. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}

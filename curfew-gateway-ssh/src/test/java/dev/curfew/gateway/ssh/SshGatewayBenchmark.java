package dev.curfew.gateway.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SSH gateway's cost, measured side by side in one run against the same private sshd: the
 * round trip of a keystroke echoed by {@code cat} (one byte out, the same byte back) and the
 * throughput of {@code cat} of a 100 MB file, directly and through the gateway, with the same client.
 * Run by {@code curfew-gateway-ssh/bench/run.sh} (skipped in the ordinary test run); figures in
 * docs/benchmarks.md.
 */
class SshGatewayBenchmark {
  static final int ECHOES = 2_000;
  static final int WARMUP_ECHOES = 300;
  static final long BULK_BYTES = 100L * 1000 * 1000;

  @TempDir Path data;

  @Test
  void keystrokeEchoAndBulkThroughputDirectAndThroughTheGateway() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("curfew.bench"), "a benchmark: run with -Dcurfew.bench=true (bench/run.sh)");
    try (PrivateSshd sshd = new PrivateSshd(Files.createDirectories(data.resolve("sshd")));
         GatewayFixture f = new GatewayFixture(data.resolve("gw"), List.of(sshd.target("bench", true)), false)) {
      Path bulk = data.resolve("bulk.bin");
      try (OutputStream out = Files.newOutputStream(bulk)) {
        byte[] chunk = new byte[1 << 20];
        Arrays.fill(chunk, (byte) 'x');
        for (long n = 0; n < BULK_BYTES; n += chunk.length) out.write(chunk, 0, (int) Math.min(chunk.length, BULK_BYTES - n));
      }
      SshClient client = SshClient.setUpDefaultClient();
      client.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
      client.start();
      try {
        ClientSession direct = client.connect(sshd.user, "127.0.0.1", sshd.port).verify(Duration.ofSeconds(20)).getSession();
        direct.addPublicKeyIdentity(new FileKeyPairProvider(sshd.curfewKey).loadKeys(null).iterator().next());
        direct.auth().verify(Duration.ofSeconds(20));
        ClientSession gw = client.connect("bench@bench", "127.0.0.1", f.gateway.port()).verify(Duration.ofSeconds(20)).getSession();
        gw.addPasswordIdentity(f.open("bench", "long"));
        gw.auth().verify(Duration.ofSeconds(20));

        long[] echoDirect = echoes(direct);
        long[] echoGateway = echoes(gw);
        double bulkDirect = throughput(direct, bulk);
        double bulkGateway = throughput(gw, bulk);
        double p50Added = (pct(echoGateway, 50) - pct(echoDirect, 50)) / 1e3;
        System.out.printf("%nSSH gateway benchmark (%d cores, load average %.2f at the end)%n",
            Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        System.out.printf("keystroke echo, %d round trips: direct p50 %.3f ms p99 %.3f ms; gateway p50 %.3f ms p99 %.3f ms;"
                + " added p50 %.3f ms%n", ECHOES, pct(echoDirect, 50) / 1e6, pct(echoDirect, 99) / 1e6,
            pct(echoGateway, 50) / 1e6, pct(echoGateway, 99) / 1e6, p50Added / 1e3);
        System.out.printf("cat of %d MB: direct %.1f MB/s; gateway %.1f MB/s (%.0f %% of direct)%n%n", BULK_BYTES / 1_000_000,
            bulkDirect, bulkGateway, 100 * bulkGateway / bulkDirect);
        assertThat(echoGateway).hasSize(ECHOES);
      } finally {
        client.stop();
      }
    }
  }

  /** Round trips of one byte through {@code cat} on the target, in nanoseconds, sorted. */
  private static long[] echoes(ClientSession s) throws Exception {
    try (ChannelExec c = s.createExecChannel("cat")) {
      c.open().verify(Duration.ofSeconds(20));
      OutputStream in = c.getInvertedIn();
      InputStream out = c.getInvertedOut();
      long[] nanos = new long[ECHOES];
      for (int i = -WARMUP_ECHOES; i < ECHOES; i++) {
        long t0 = System.nanoTime();
        in.write('k');
        in.flush();
        if (out.read() != 'k') throw new IllegalStateException("echo lost");
        if (i >= 0) nanos[i] = System.nanoTime() - t0;
      }
      in.close();
      c.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofSeconds(10));
      Arrays.sort(nanos);
      return nanos;
    }
  }

  /** MB/s of {@code cat FILE} read to the end. */
  private static double throughput(ClientSession s, Path file) throws Exception {
    try (ChannelExec c = s.createExecChannel("cat " + file)) {
      c.open().verify(Duration.ofSeconds(20));
      InputStream out = c.getInvertedOut();
      byte[] buf = new byte[1 << 16];
      long n = 0;
      long t0 = System.nanoTime();
      int r;
      while ((r = out.read(buf)) > 0) n += r;
      long nanos = System.nanoTime() - t0;
      if (n != BULK_BYTES) throw new IllegalStateException("read " + n + " bytes of " + BULK_BYTES);
      return n / 1e6 / (nanos / 1e9);
    }
  }

  private static double pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }
}

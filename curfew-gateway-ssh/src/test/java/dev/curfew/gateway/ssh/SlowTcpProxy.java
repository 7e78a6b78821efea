package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A target that answers slowly: accepts at once, then waits {@code delay} before it connects to the
 * real sshd and relays both ways. It counts the connections accepted and those still open from the
 * gateway's side (the gateway has not closed them), which is what a leaked upstream connection shows as.
 */
final class SlowTcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int upstreamPort;
  private final Duration delay;
  final AtomicInteger accepted = new AtomicInteger();
  final AtomicInteger openFromGateway = new AtomicInteger();

  SlowTcpProxy(int upstreamPort, Duration delay) throws IOException {
    this.upstreamPort = upstreamPort;
    this.delay = delay;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon(this::acceptLoop, "slow-proxy-accept");
  }

  int port() {
    return listener.getLocalPort();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket fromGateway = listener.accept();
        accepted.incrementAndGet();
        openFromGateway.incrementAndGet();
        daemon(() -> relay(fromGateway), "slow-proxy-relay");
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void relay(Socket fromGateway) {
    try (fromGateway; Socket toSshd = new Socket(InetAddress.getLoopbackAddress(), upstreamPort)) {
      Thread.sleep(delay.toMillis()); // the slow answer: no byte either way until then
      daemon(() -> copy(toSshd, fromGateway), "slow-proxy-down");
      copy(fromGateway, toSshd); // returns when the gateway closes its side
    } catch (IOException | InterruptedException e) {
      // the test is over
    } finally {
      openFromGateway.decrementAndGet();
    }
  }

  private static void copy(Socket from, Socket to) {
    byte[] buf = new byte[16 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side went away
    } finally {
      try {
        to.shutdownOutput();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  private static void daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}

package dev.curfew.store.postgres.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder on 127.0.0.1 in front of the test PostgreSQL server, to take the database away
 * from a client and give it back without touching the server: {@link #stop} closes the listening
 * socket and every forwarded connection (new connections are refused), {@link #start} listens on
 * the same port again.
 */
public final class TcpProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private volatile ServerSocket server;
  private int port;

  public TcpProxy(String host, int port) throws IOException {
    this.target = new InetSocketAddress(host, port);
    start();
  }

  /** A proxy to the test database server. */
  public static TcpProxy toTestServer() throws IOException {
    return new TcpProxy(TestDatabase.HOST, TestDatabase.PORT);
  }

  public int port() {
    return port;
  }

  /** Listens (again) on the proxy's port. */
  public synchronized void start() throws IOException {
    if (server != null) return;
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    port = s.getLocalPort();
    server = s;
    Thread t = new Thread(() -> accept(s), "tcp-proxy-accept-" + port);
    t.setDaemon(true);
    t.start();
  }

  /** Stops listening and cuts every forwarded connection. */
  public synchronized void stop() throws IOException {
    ServerSocket s = server;
    server = null;
    if (s != null) s.close();
    for (Socket c : open) {
      try {
        c.close();
      } catch (IOException ignored) {
        // cutting it is the point
      }
    }
    open.clear();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        return; // stopped
      }
      try {
        Socket upstream = new Socket();
        upstream.connect(target, 5_000);
        open.add(client);
        open.add(upstream);
        if (server != s) { // stopped meanwhile
          client.close();
          upstream.close();
          continue;
        }
        pipe(client, upstream);
        pipe(upstream, client);
      } catch (IOException e) {
        try {
          client.close();
        } catch (IOException ignored) {
          // nothing to forward to
        }
      }
    }
  }

  private void pipe(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int n; (n = in.read(buf)) >= 0; ) {
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException ignored) {
        // one side closed
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // both are going away
        }
        open.remove(from);
        open.remove(to);
      }
    }, "tcp-proxy-pipe");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    stop();
  }
}

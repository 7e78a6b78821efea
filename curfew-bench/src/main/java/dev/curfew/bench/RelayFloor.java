package dev.curfew.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;

/**
 * The floor under the database gateways' relay: a TCP relay that checks and parses nothing, on the
 * same transport as {@code curfew serve} (Linux epoll, TCP_NODELAY both sides, one event loop per
 * processor, each upstream connection on its client's event loop), so that a benchmark can tell what
 * the relay itself costs from what the gateway adds to it (docs/benchmarks.md, the gateway sections).
 *
 * <p>{@code vertx}: Vert.x {@code NetSocket}s, as the gateways use them, each chunk written to the
 * other side. {@code netty}: Netty channels with no Vert.x, each buffer passed on as it came and
 * flushed once per read.
 *
 * <p>Usage: {@code java -cp curfew-bench/target/curfew-bench.jar dev.curfew.bench.RelayFloor
 * vertx|netty LISTEN_PORT UPSTREAM_HOST:PORT} (listens on 127.0.0.1 until killed).
 */
public final class RelayFloor {
  private RelayFloor() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 3 || !(args[0].equals("vertx") || args[0].equals("netty"))) {
      System.err.println("usage: RelayFloor vertx|netty LISTEN_PORT UPSTREAM_HOST:PORT");
      System.exit(2);
    }
    int listen = Integer.parseInt(args[1]);
    int colon = args[2].lastIndexOf(':');
    if (colon < 1) throw new IllegalArgumentException("upstream not HOST:PORT: " + args[2]);
    String host = args[2].substring(0, colon);
    int port = Integer.parseInt(args[2].substring(colon + 1));
    int loops = Runtime.getRuntime().availableProcessors();
    if (args[0].equals("vertx")) {
      vertx(listen, host, port, loops);
    } else {
      netty(listen, host, port, loops);
    }
    System.out.println("relay-floor " + args[0] + " listening on 127.0.0.1:" + listen + ", upstream " + args[2]);
  }

  private static void vertx(int listen, String host, int port, int loops) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    if (!vertx.isNativeTransportEnabled()) throw new IllegalStateException("the epoll transport did not load");
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        NetClient upstream = vertx.createNetClient(new NetClientOptions().setTcpNoDelay(true));
        return vertx.createNetServer(new NetServerOptions().setTcpNoDelay(true)).connectHandler(client -> {
          client.pause();
          upstream.connect(port, host).onSuccess(up -> {
            client.handler(up::write);
            up.handler(client::write);
            client.closeHandler(v -> up.close());
            up.closeHandler(v -> client.close());
            client.resume();
          }).onFailure(e -> client.close());
        }).listen(listen, "127.0.0.1");
      }
    }, new DeploymentOptions().setInstances(loops)).await();
  }

  private static void netty(int listen, String host, int port, int loops) throws InterruptedException {
    if (!Epoll.isAvailable()) throw new IllegalStateException("the epoll transport did not load", Epoll.unavailabilityCause());
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, EpollIoHandler.newFactory());
    new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.AUTO_READ, false) // read the client once its upstream is connected
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel client) {
            new Bootstrap().group(client.eventLoop()).channel(EpollSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel up) {
                    up.pipeline().addLast(new Pass(client));
                  }
                })
                .connect(host, port).addListener((ChannelFutureListener) f -> {
                  if (!f.isSuccess()) {
                    client.close();
                    return;
                  }
                  client.pipeline().addLast(new Pass(f.channel()));
                  client.config().setAutoRead(true);
                });
          }
        }).bind("127.0.0.1", listen).sync();
  }

  /** Passes what one side reads to the other, flushed once per read. */
  private static final class Pass extends ChannelInboundHandlerAdapter {
    private final Channel peer;

    Pass(Channel peer) {
      this.peer = peer;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      peer.flush();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      peer.close();
    }
  }
}

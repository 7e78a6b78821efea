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
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringBufferRingConfig;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringFixedBufferRingAllocator;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;

/**
 * The floor under the database gateways' relay: a TCP relay that checks and parses nothing, on the
 * same transport as {@code curfew serve} (Linux io_uring, or epoll when named; TCP_NODELAY both
 * sides, one event loop per processor, each upstream connection on its client's event loop), so that
 * a benchmark can tell what the relay itself costs from what the gateway adds to it
 * (docs/benchmarks.md, the gateway sections).
 *
 * <p>{@code vertx}: Vert.x {@code NetSocket}s, as the gateways use them, each chunk written to the
 * other side. {@code netty}: Netty channels with no Vert.x, each buffer passed on as it came and
 * flushed once per read.
 *
 * <p>Usage: {@code java -cp curfew-bench/target/curfew-bench.jar dev.curfew.bench.RelayFloor
 * vertx|netty LISTEN_PORT UPSTREAM_HOST:PORT [io_uring|epoll]} (listens on 127.0.0.1 until killed;
 * io_uring when the last argument is left out). For trying Netty's io_uring options, the {@code
 * netty} form takes the system properties {@code floor.singleIssuer} (a single-issuer ring) and
 * {@code floor.bufferRing} (receives into a ring of provided buffers).
 */
public final class RelayFloor {
  private RelayFloor() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || args.length > 4 || !(args[0].equals("vertx") || args[0].equals("netty"))
        || (args.length == 4 && !(args[3].equals("io_uring") || args[3].equals("epoll")))) {
      System.err.println("usage: RelayFloor vertx|netty LISTEN_PORT UPSTREAM_HOST:PORT [io_uring|epoll]");
      System.exit(2);
    }
    boolean uring = args.length < 4 || args[3].equals("io_uring");
    int listen = Integer.parseInt(args[1]);
    int colon = args[2].lastIndexOf(':');
    if (colon < 1) throw new IllegalArgumentException("upstream not HOST:PORT: " + args[2]);
    String host = args[2].substring(0, colon);
    int port = Integer.parseInt(args[2].substring(colon + 1));
    int loops = Runtime.getRuntime().availableProcessors();
    if (args[0].equals("vertx")) {
      vertx(listen, host, port, loops, uring);
    } else {
      netty(listen, host, port, loops, uring);
    }
    System.out.println("relay-floor " + args[0] + " (" + (uring ? "io_uring" : "epoll") + ") listening on 127.0.0.1:"
        + listen + ", upstream " + args[2]);
  }

  private static void vertx(int listen, String host, int port, int loops, boolean uring) {
    Transport transport = uring ? Transport.IO_URING : Transport.EPOLL;
    if (!transport.available()) throw new IllegalStateException("the transport did not load", transport.unavailabilityCause());
    Vertx vertx = Vertx.builder().with(new VertxOptions()).withTransport(transport).build();
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

  private static void netty(int listen, String host, int port, int loops, boolean uring) throws InterruptedException {
    if (uring && !IoUring.isAvailable()) throw new IllegalStateException("the io_uring transport did not load", IoUring.unavailabilityCause());
    if (!uring && !Epoll.isAvailable()) throw new IllegalStateException("the epoll transport did not load", Epoll.unavailabilityCause());
    IoHandlerFactory handlers = uring ? IoUringIoHandler.newFactory(uringConfig()) : EpollIoHandler.newFactory();
    Class<? extends ServerChannel> serverChannel = uring ? IoUringServerSocketChannel.class : EpollServerSocketChannel.class;
    Class<? extends SocketChannel> channel = uring ? IoUringSocketChannel.class : EpollSocketChannel.class;
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops, handlers);
    boolean bufferRing = uring && BUFFER_RING;
    ServerBootstrap server = new ServerBootstrap();
    if (bufferRing) server.childOption(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, BUFFER_GROUP);
    server.group(group).channel(serverChannel)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.AUTO_READ, false) // read the client once its upstream is connected
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel client) {
            Bootstrap b = new Bootstrap().group(client.eventLoop()).channel(channel)
                .option(ChannelOption.TCP_NODELAY, true);
            if (bufferRing) b.option(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, BUFFER_GROUP);
            b.handler(new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel up) {
                up.pipeline().addLast(new Pass(client));
              }
            });
            b.connect(host, port).addListener((ChannelFutureListener) f -> {
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

  private static final boolean BUFFER_RING = Boolean.getBoolean("floor.bufferRing");
  private static final boolean SINGLE_ISSUER = Boolean.getBoolean("floor.singleIssuer");
  private static final short BUFFER_GROUP = 1;

  /** The io_uring rings: Netty's defaults unless floor.singleIssuer or floor.bufferRing (system properties) ask otherwise. */
  private static IoUringIoHandlerConfig uringConfig() {
    IoUringIoHandlerConfig c = new IoUringIoHandlerConfig();
    if (SINGLE_ISSUER) c.setSingleIssuer(true);
    if (BUFFER_RING) {
      c.setBufferRingConfig(IoUringBufferRingConfig.builder().bufferGroupId(BUFFER_GROUP).bufferRingSize((short) 1024)
          .batchSize(64).allocator(new IoUringFixedBufferRingAllocator(16 * 1024)).build());
    }
    return c;
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

package dev.curfew.gateway.net;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves one port from several event loops: {@code instances} verticles, each with its own server
 * (HTTP or TCP), among which Vert.x shares the listening socket and hands out new connections in
 * turn; a connection stays on the event loop of the server that accepted it. Port 0 picks a free
 * port for all of them. (Vert.x's own "shared random port", -1, is one per Vert.x instance, so two servers asking
 * for it, the API and the gateway, would end up on one socket with two routers.)
 */
public final class ServerInstances {
  /** Makes one verticle that listens on {@code port}. */
  @FunctionalInterface
  public interface Factory {
    Deployable create(int port);
  }

  private final Vertx vertx;
  private final List<String> deployments = new ArrayList<>();

  public ServerInstances(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Deploys the instances; completes with the actual port. */
  public synchronized Future<Integer> deploy(int port, int instances, Factory factory) {
    if (port < 0 || port > 65_535) throw new IllegalArgumentException("port not in 0-65535: " + port);
    if (instances < 1) throw new IllegalArgumentException("instances < 1: " + instances);
    if (!deployments.isEmpty()) return Future.failedFuture(new IllegalStateException("already listening"));
    return port != 0 ? deployAt(port, instances, factory) : deployOnFreePort(instances, factory, 5);
  }

  /** Port 0: a port the kernel just gave out, used by every instance; tried again if taken meanwhile. */
  private Future<Integer> deployOnFreePort(int instances, Factory factory, int attemptsLeft) {
    int free;
    try (ServerSocket probe = new ServerSocket(0)) {
      free = probe.getLocalPort();
    } catch (IOException e) {
      return Future.failedFuture(e);
    }
    return deployAt(free, instances, factory)
        .recover(e -> attemptsLeft > 1 ? deployOnFreePort(instances, factory, attemptsLeft - 1) : Future.failedFuture(e));
  }

  private Future<Integer> deployAt(int port, int instances, Factory factory) {
    return vertx.deployVerticle(() -> factory.create(port), new DeploymentOptions().setInstances(instances))
        .map(id -> {
          remember(id);
          return port;
        });
  }

  private synchronized void remember(String id) {
    deployments.add(id);
  }

  /** Undeploys every instance. */
  public Future<Void> undeploy() {
    List<String> ids;
    synchronized (this) {
      ids = new ArrayList<>(deployments);
      deployments.clear();
    }
    List<Future<Void>> closing = new ArrayList<>();
    for (String id : ids) closing.add(vertx.undeploy(id));
    return Future.all(closing).mapEmpty();
  }
}

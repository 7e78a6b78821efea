package dev.curfew.store.redis;

import dev.curfew.core.SessionEvents;
import dev.curfew.core.audit.CanonicalJson;
import dev.curfew.core.audit.Json;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Redis pub/sub between the nodes: session events (so that an event stream or a gateway connection
 * on any node hears of a warning or an ending decided on another), due-deadline hints, and policy
 * changes. A lost subscription is re-established with back-off; events are a convenience for the
 * user, never the enforcement, which happens on every request against Redis.
 */
final class EventRelay {
  private static final System.Logger LOG = System.getLogger(EventRelay.class.getName());

  private final RedisSessionStore store;
  /**
   * Who sent an event, so that a node skips only its own: this process, not the node's name, which
   * two processes may share (two nodes on one host both default to its host name).
   */
  private final String origin;
  private final SessionEvents remote;
  private final DuePoller poller;
  private final PolicySync policies;
  private volatile RedisConnection connection;
  private volatile boolean stopped;
  private long backoffMs = 50;

  EventRelay(RedisSessionStore store, SessionEvents remote, DuePoller poller, PolicySync policies) {
    this.store = store;
    this.origin = store.node + "/" + java.util.UUID.randomUUID();
    this.remote = remote;
    this.poller = poller;
    this.policies = policies;
  }

  Future<Void> start() {
    Promise<Void> first = Promise.promise();
    connect(first);
    return first.future();
  }

  private void connect(Promise<Void> first) {
    if (stopped) return;
    store.redis.connect().compose(c -> {
      c.handler(this::message);
      c.exceptionHandler(e -> LOG.log(System.Logger.Level.DEBUG, "subscription error: " + e));
      c.endHandler(v -> lost());
      return c.send(Request.cmd(Command.SUBSCRIBE).arg(store.keys.eventsChannel()).arg(store.keys.dueChannel())
          .arg(store.keys.policiesChannel())).map(c);
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        connection = ar.result();
        backoffMs = 50;
        if (first != null) first.tryComplete();
        // Whatever was announced while unsubscribed: look at every shard now, reload the policies.
        if (first == null) {
          for (int i = 0; i < RedisKeys.SHARDS; i++) poller.hint(i, 0);
          policies.load();
        }
      } else if (first != null) {
        first.tryFail(ar.cause());
      } else {
        retry();
      }
    });
  }

  private void lost() {
    connection = null;
    if (!stopped) retry();
  }

  private void retry() {
    long delay = backoffMs;
    backoffMs = Math.min(2_000, backoffMs * 2);
    store.vertx.setTimer(delay, id -> connect(null));
  }

  Future<Void> stop() {
    stopped = true;
    RedisConnection c = connection;
    return c == null ? Future.succeededFuture() : c.close();
  }

  void broadcast(String sessionId, String event, Map<String, Object> data) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("o", origin);
    m.put("s", sessionId);
    m.put("e", event);
    m.put("d", data);
    store.redis.send(Request.cmd(Command.PUBLISH).arg(store.keys.eventsChannel()).arg(CanonicalJson.write(m)))
        .onFailure(e -> LOG.log(System.Logger.Level.DEBUG, "could not relay an event: " + e));
  }

  @SuppressWarnings("unchecked")
  private void message(Response r) {
    // ["message", channel, payload]
    if (r == null || r.size() < 3 || !"message".equals(r.get(0).toString())) return;
    String channel = r.get(1).toString();
    String payload = r.get(2).toString();
    try {
      if (channel.equals(store.keys.eventsChannel())) {
        Map<String, Object> m = Json.parseObject(payload);
        if (origin.equals(m.get("o"))) return;
        remote.publish((String) m.get("s"), (String) m.get("e"), (Map<String, Object>) m.get("d"));
      } else if (channel.equals(store.keys.dueChannel())) {
        // "{prefix:<shard>}: <at>"
        int space = payload.lastIndexOf(' ');
        String shardPrefix = payload.substring(0, space);
        int colon = shardPrefix.lastIndexOf(':', shardPrefix.length() - 3);
        int shard = Integer.parseInt(shardPrefix.substring(colon + 1, shardPrefix.indexOf('}')));
        poller.hint(shard, Long.parseLong(payload.substring(space + 1)));
      } else if (channel.equals(store.keys.policiesChannel())) {
        policies.reload(payload);
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "ignored a malformed message on " + channel + ": " + e.getMessage());
    }
  }
}

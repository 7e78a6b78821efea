package dev.curfew.store.redis;

import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The Lua scripts, each run with {@code EVALSHA} (one round trip) and loaded again when Redis
 * answers {@code NOSCRIPT} (after a restart or a failover, the script cache is empty).
 */
final class Scripts {
  /** One script: {@code common.lua} followed by its own body. */
  static final class Script {
    final String name;
    final String text;
    final String sha;

    private Script(String name) {
      this(name, true);
    }

    private Script(String name, boolean common) {
      this.name = name;
      this.text = common ? resource("common.lua") + "\n" + resource(name + ".lua") : resource(name + ".lua");
      this.sha = sha1Hex(text);
    }
  }

  final Script session = new Script("session");
  /** The hot path of a check, on its own: no shared definitions to run on every call. */
  final Script check = new Script("check", false);
  final Script open = new Script("open");
  final Script due = new Script("due");
  final Script subject = new Script("subject");
  final Script policy = new Script("policy");

  private final Redis redis;

  Scripts(Redis redis) {
    this.redis = redis;
  }

  /**
   * Runs {@code s} by its SHA-1; when the Redis that holds the keys does not know it yet, sends the
   * whole text once with {@code EVAL}, which also caches it there. (A {@code SCRIPT LOAD} has no key:
   * on a Redis Cluster it would reach some node, not necessarily the one the keys live on.)
   */
  Future<Response> run(Script s, List<String> keys, List<String> args) {
    return redis.send(request(Command.EVALSHA, s.sha, keys, args)).recover(err -> {
      String m = err.getMessage();
      if (m == null || !m.startsWith("NOSCRIPT")) return Future.failedFuture(err);
      return redis.send(request(Command.EVAL, s.text, keys, args));
    });
  }

  private static Request request(Command command, String script, List<String> keys, List<String> args) {
    Request r = Request.cmd(command).arg(script).arg(keys.size());
    for (String k : keys) r.arg(k);
    for (String a : args) r.arg(a);
    return r;
  }

  static String resource(String name) {
    try (InputStream in = Scripts.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing script " + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read script " + name, e);
    }
  }

  private static String sha1Hex(String text) {
    try {
      // Redis names a script by the SHA-1 of its text (EVALSHA); SHA-1 is an identifier here, not a control.
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

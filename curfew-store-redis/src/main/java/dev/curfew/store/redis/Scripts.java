package dev.curfew.store.redis;

import dev.curfew.core.ConcurrencyLimit;
import dev.curfew.core.Deadlines;
import dev.curfew.core.EndReason;
import dev.curfew.core.Refusals;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Lua scripts, each run with {@code EVALSHA} (one round trip) and loaded again when Redis
 * answers {@code NOSCRIPT} (after a restart or a failover, the script cache is empty).
 *
 * <p>Every script starts with {@link #prelude()}: the core's words and rules generated into Lua
 * (end reasons, refusals, the concurrency limit's words, {@link Deadlines#lua()}), so that no
 * script keeps a hand copy of them.
 */
final class Scripts {
  /** One script: the prelude, {@code common.lua} (unless it is the check's hot path), then its own body. */
  static final class Script {
    final String name;
    final String text;
    final String sha;

    private Script(String name) {
      this(name, true);
    }

    private Script(String name, boolean common) {
      this.name = name;
      this.text = prelude() + (common ? resource("common.lua") + "\n" : "") + resource(name + ".lua");
      this.sha = sha1Hex(text);
    }
  }

  /**
   * The core's vocabulary and deadline rules as Lua: {@code R} (end reasons, {@link EndReason}),
   * {@code REFUSAL} ({@link Refusals}), {@code WHEN_EXCEEDED} and {@code SCOPE} ({@link
   * ConcurrencyLimit}), each keyed by the Java constant's name and holding its wire name;
   * {@code CURFEW_ACTOR} and {@code REPLAYED_TEXT}; then {@link Deadlines#lua()}.
   */
  static String prelude() {
    StringBuilder b = new StringBuilder("-- Generated from dev.curfew.core when the script is loaded (Scripts#prelude).\n");
    Map<String, String> reasons = new LinkedHashMap<>();
    for (EndReason r : EndReason.values()) reasons.put(r.name(), r.wire());
    table(b, "R", reasons);
    table(b, "REFUSAL", Map.of("NO_EXTENSIONS", Refusals.NO_EXTENSIONS, "ABSOLUTE_LIMIT", Refusals.ABSOLUTE_LIMIT,
        "NO_WARNING_SENT", Refusals.NO_WARNING_SENT, "WARNING_ALREADY_ACKNOWLEDGED",
        Refusals.WARNING_ALREADY_ACKNOWLEDGED));
    Map<String, String> when = new LinkedHashMap<>();
    for (ConcurrencyLimit.WhenExceeded w : ConcurrencyLimit.WhenExceeded.values()) when.put(w.name(), w.wire());
    table(b, "WHEN_EXCEEDED", when);
    Map<String, String> scopes = new LinkedHashMap<>();
    for (ConcurrencyLimit.Scope sc : ConcurrencyLimit.Scope.values()) scopes.put(sc.name(), sc.wire());
    table(b, "SCOPE", scopes);
    b.append("local CURFEW_ACTOR = ").append(luaString(EndReason.CURFEW_ACTOR)).append('\n');
    b.append("local REPLAYED_TEXT = ").append(luaString(EndReason.REPLAYED_TEXT)).append('\n');
    return b.append(Deadlines.lua()).append('\n').toString();
  }

  private static void table(StringBuilder b, String name, Map<String, String> entries) {
    b.append("local ").append(name).append(" = {");
    String sep = "";
    for (Map.Entry<String, String> e : new TreeMap<>(entries).entrySet()) {
      b.append(sep).append(e.getKey()).append(" = ").append(luaString(e.getValue()));
      sep = ", ";
    }
    b.append("}\n");
  }

  /** A Lua string literal of {@code s}. */
  static String luaString(String s) {
    StringBuilder b = new StringBuilder("'");
    for (char c : s.toCharArray()) {
      if (c == '\\' || c == '\'') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\%03d", (int) c));
      else b.append(c);
    }
    return b.append('\'').toString();
  }

  final Script session = new Script("session");
  /** The hot path of a check, with the prelude only: no session helpers to define on every call. */
  final Script check = new Script("check", false);
  final Script open = new Script("open");
  final Script due = new Script("due");
  final Script policy = new Script("policy");
  final Script policyClaims = new Script("policyclaims");
  final Script policyRestore = new Script("policyrestore", false);

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

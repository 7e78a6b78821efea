package dev.curfew.bench.peers;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A connection of the benchmark's own to the Redis server under test, apart from the peers': reads
 * the server's version and its per-command call counts (to tell how many commands one check costs),
 * and deletes a key namespace afterwards. It never flushes or reconfigures the server, which other
 * builds on the machine may be using.
 */
final class RedisServer implements AutoCloseable {
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisCommands<String, String> redis;

  RedisServer(RedisTarget target) {
    client = RedisClient.create(RedisURI.create(target.host(), target.port()));
    connection = client.connect();
    redis = connection.sync();
  }

  String version() {
    return field(redis.info("server"), "redis_version");
  }

  long keysUnder(String prefix) {
    long n = 0;
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(1000));
      n += page.getKeys().size();
      cursor = page;
    } while (!cursor.isFinished());
    return n;
  }

  /** Deletes every key that starts with {@code prefix}; returns how many it deleted. */
  long deleteUnder(String prefix) {
    if (prefix.isEmpty() || prefix.equals("*")) throw new IllegalArgumentException("refusing to delete everything");
    long n = 0;
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(1000));
      if (!page.getKeys().isEmpty()) n += redis.unlink(page.getKeys().toArray(new String[0]));
      cursor = page;
    } while (!cursor.isFinished());
    return n;
  }

  /** Calls per command since the server started (INFO commandstats), without this connection's INFO. */
  Map<String, Long> commandCalls() {
    Map<String, Long> calls = new TreeMap<>();
    for (String line : redis.info("commandstats").split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) continue;
      String name = line.substring("cmdstat_".length(), line.indexOf(':'));
      String c = line.substring(line.indexOf("calls=") + 6);
      calls.put(name, Long.parseLong(c.substring(0, c.indexOf(','))));
    }
    calls.remove("info");
    return calls;
  }

  /** Commands per operation between two readings of {@link #commandCalls()}, e.g. "7.0 (hgetall 1.0, ...)". */
  static CommandsPerOp perOp(Map<String, Long> before, Map<String, Long> after, long operations) {
    Map<String, Double> each = new TreeMap<>();
    long total = 0;
    for (Map.Entry<String, Long> e : after.entrySet()) {
      long d = e.getValue() - before.getOrDefault(e.getKey(), 0L);
      if (d <= 0) continue;
      total += d;
      each.put(e.getKey(), (double) d / operations);
    }
    return new CommandsPerOp((double) total / operations, each);
  }

  /** What the server executed per operation: in all, and by command. */
  record CommandsPerOp(double total, Map<String, Double> byCommand) {
    String breakdown() {
      return byCommand.entrySet().stream()
          .filter(e -> e.getValue() >= 0.005)
          .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
          .map(e -> e.getKey() + " " + String.format("%.2f", e.getValue()))
          .collect(Collectors.joining(", "));
    }
  }

  private static String field(String info, String name) {
    for (String line : info.split("\r?\n")) {
      if (line.startsWith(name + ":")) return line.substring(name.length() + 1).trim();
    }
    return "?";
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
  }
}

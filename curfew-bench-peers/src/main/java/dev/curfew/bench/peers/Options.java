package dev.curfew.bench.peers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@code --name value} options of the command line, with defaults. */
final class Options {
  private final Map<String, String> values = new HashMap<>();

  Options(String[] args, int from) {
    for (int i = from; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value, got: " + a);
      }
      values.put(a.substring(2), args[++i]);
    }
  }

  String string(String name, String fallback) {
    return values.getOrDefault(name, fallback);
  }

  int integer(String name, int fallback) {
    String v = values.get(name);
    return v == null ? fallback : Integer.parseInt(v.replace("_", ""));
  }

  /** A comma-separated list of integers, such as {@code 8,16,32}; empty for "none" or "". */
  List<Integer> integers(String name, String fallback) {
    String v = values.getOrDefault(name, fallback).trim();
    List<Integer> out = new ArrayList<>();
    if (v.isEmpty() || v.equals("none")) return out;
    for (String s : v.split(",")) out.add(Integer.parseInt(s.trim()));
    return out;
  }

  /** {@code host:port} of the Redis server. */
  RedisTarget redis() {
    String v = values.getOrDefault("redis", "127.0.0.1:6379");
    int colon = v.lastIndexOf(':');
    return new RedisTarget(v.substring(0, colon), Integer.parseInt(v.substring(colon + 1)));
  }
}

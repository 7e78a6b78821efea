package dev.curfew.bench.peers;

/** Where the Redis server under test listens ({@code --redis host:port}). */
public record RedisTarget(String host, int port) {
  @Override
  public String toString() {
    return host + ":" + port;
  }
}

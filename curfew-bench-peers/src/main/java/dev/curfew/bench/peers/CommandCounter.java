package dev.curfew.bench.peers;

import java.util.Map;

/**
 * Reads the server's per-command call counts when a measured interval begins and ends, and divides
 * the difference by the operations measured. The counts are the whole server's: a build or test that
 * uses the same Redis during the interval adds its own commands (the script notes the load).
 */
final class CommandCounter implements Load.Window {
  private final RedisServer server;
  private Map<String, Long> before;
  private Map<String, Long> after;

  CommandCounter(RedisServer server) {
    this.server = server;
  }

  @Override
  public void begin() {
    before = server.commandCalls();
  }

  @Override
  public void end() {
    after = server.commandCalls();
  }

  RedisServer.CommandsPerOp perOp(long operations) {
    return RedisServer.perOp(before, after, Math.max(1, operations));
  }
}

package dev.curfew.gateway.ssh;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the SSH gateway is configured with (the {@code ssh:} section of spec/protocol-gateways.md),
 * plus its limits. Immutable; {@link #of} validates and names what is wrong.
 *
 * @param host the address to listen on
 * @param port the port to listen on (0: any free port)
 * @param hostKeyFile the gateway's own Ed25519 host key, created on first start (mode 0600)
 * @param recordingsDir where asciicast recordings are written when {@code record} is true
 * @param maxConnections connections held at once; beyond it a new one is refused at key exchange
 * @param maxChannelsPerConnection session channels one connection may hold open at once
 * @param loginTimeout how long a client may take to authenticate
 */
public record SshGatewaySettings(
    String host,
    int port,
    Path hostKeyFile,
    boolean record,
    Path recordingsDir,
    List<SshTarget> targets,
    int maxConnections,
    int maxChannelsPerConnection,
    Duration loginTimeout) {

  public static final int DEFAULT_MAX_CONNECTIONS = 1_000;
  public static final int DEFAULT_MAX_CHANNELS_PER_CONNECTION = 10;
  public static final Duration DEFAULT_LOGIN_TIMEOUT = Duration.ofSeconds(30);

  public SshGatewaySettings {
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 65_535) throw new IllegalArgumentException("port out of range: " + port);
    Objects.requireNonNull(hostKeyFile, "hostKeyFile");
    Objects.requireNonNull(recordingsDir, "recordingsDir");
    targets = List.copyOf(targets);
    if (targets.isEmpty()) throw new IllegalArgumentException("no targets");
    Map<String, SshTarget> seen = new LinkedHashMap<>();
    for (SshTarget t : targets) {
      if (seen.put(t.name(), t) != null) throw new IllegalArgumentException("duplicate target name: " + t.name());
    }
    if (maxConnections < 1) throw new IllegalArgumentException("maxConnections < 1: " + maxConnections);
    if (maxChannelsPerConnection < 1) {
      throw new IllegalArgumentException("maxChannelsPerConnection < 1: " + maxChannelsPerConnection);
    }
    Objects.requireNonNull(loginTimeout, "loginTimeout");
    if (loginTimeout.isNegative() || loginTimeout.isZero()) throw new IllegalArgumentException("loginTimeout <= 0: " + loginTimeout);
  }

  /** The configured gateway with the default limits. */
  public static SshGatewaySettings of(String host, int port, Path hostKeyFile, boolean record, Path recordingsDir,
      List<SshTarget> targets) {
    return new SshGatewaySettings(host, port, hostKeyFile, record, recordingsDir, targets, DEFAULT_MAX_CONNECTIONS,
        DEFAULT_MAX_CHANNELS_PER_CONNECTION, DEFAULT_LOGIN_TIMEOUT);
  }

  public SshGatewaySettings withLimits(int maxConnections, int maxChannelsPerConnection) {
    return new SshGatewaySettings(host, port, hostKeyFile, record, recordingsDir, targets, maxConnections,
        maxChannelsPerConnection, loginTimeout);
  }

  public SshGatewaySettings withLoginTimeout(Duration loginTimeout) {
    return new SshGatewaySettings(host, port, hostKeyFile, record, recordingsDir, targets, maxConnections,
        maxChannelsPerConnection, loginTimeout);
  }

  /** The target a client names, or null. */
  SshTarget target(String name) {
    for (SshTarget t : targets) {
      if (t.name().equals(name)) return t;
    }
    return null;
  }
}

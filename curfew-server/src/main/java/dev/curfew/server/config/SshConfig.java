package dev.curfew.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.curfew.core.Policy;
import dev.curfew.gateway.ssh.SshGatewaySettings;
import dev.curfew.gateway.ssh.SshTarget;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code ssh:} section (spec/protocol-gateways.md, Configuration): where the SSH gateway
 * listens, its host key (a path relative to the data directory, created on first start), whether it
 * records, and its targets. Each target also says how its host key is checked: {@code known_hosts}
 * (an OpenSSH known_hosts file) or {@code host_key} (one pinned public key, {@code ssh-ed25519
 * AAAA...}); one of them is required. {@code busy_is_activity: false} stops a running {@code exec}
 * command from keeping the session active.
 */
public record SshConfig(String host, int port, String hostKey, boolean record, List<SshTarget> targets) {
  private static final Set<String> KEYS = Set.of("listen", "host_key", "record", "targets");
  private static final Set<String> TARGET_KEYS = Set.of("name", "upstream", "user", "identity_file", "known_hosts",
      "host_key", "policy", "busy_is_activity");

  /** The gateway's settings, with the host key and recordings in {@code dataDir}. */
  public SshGatewaySettings settings(Path dataDir) {
    Path key = Path.of(hostKey);
    return SshGatewaySettings.of(host, port, key.isAbsolute() ? key : dataDir.resolve(key), record,
        dataDir.resolve("recordings"), targets);
  }

  /**
   * Reads the section; a target without {@code policy} is governed by {@code defaultPolicy}
   * (spec/protocol-gateways.md: "omit: default_policy"), so every configured target names the policy
   * its sessions must be under.
   */
  static SshConfig parse(JsonNode node, Map<String, Policy> policies, String defaultPolicy) {
    if (CurfewConfig.absent(node)) return null;
    CurfewConfig.requireObject("ssh", node);
    CurfewConfig.onlyKeys("ssh.", node, KEYS);
    String listen = CurfewConfig.string("ssh.listen", node.path("listen"), "127.0.0.1:2222");
    HostPort l = HostPort.parse("ssh.listen", listen, true);
    String hostKey = CurfewConfig.string("ssh.host_key", node.path("host_key"), "ssh_host_ed25519_key");
    if (hostKey.isBlank()) throw new ConfigException("ssh.host_key", "must not be empty");
    boolean record = CurfewConfig.bool("ssh.record", node.path("record"), false);
    JsonNode ts = node.path("targets");
    if (!ts.isArray() || ts.isEmpty()) throw new ConfigException("ssh.targets", "required: a non-empty list");
    List<SshTarget> targets = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < ts.size(); i++) {
      String at = "ssh.targets[" + i + "]";
      JsonNode t = ts.get(i);
      CurfewConfig.requireObject(at, t);
      CurfewConfig.onlyKeys(at + ".", t, TARGET_KEYS);
      String name = required(at + ".name", t.path("name"));
      if (!CurfewConfig.isName(name)) throw new ConfigException(at + ".name", "must be " + CurfewConfig.NAME_RULE);
      if (!names.add(name)) throw new ConfigException(at + ".name", "\"" + name + "\" is used by another target");
      HostPort up = HostPort.parse(at + ".upstream", required(at + ".upstream", t.path("upstream")), false);
      String user = required(at + ".user", t.path("user"));
      Path identity = Path.of(required(at + ".identity_file", t.path("identity_file")));
      String knownHosts = CurfewConfig.string(at + ".known_hosts", t.path("known_hosts"), null);
      String pinned = CurfewConfig.string(at + ".host_key", t.path("host_key"), null);
      if (knownHosts == null && pinned == null) {
        throw new ConfigException(at + ".known_hosts", "required (or host_key): how the target's host key is checked");
      }
      String policy = CurfewConfig.string(at + ".policy", t.path("policy"), defaultPolicy);
      if (policy != null && !policies.containsKey(policy)) {
        throw new ConfigException(at + ".policy", "\"" + policy + "\" is not among policies " + policies.keySet());
      }
      boolean busy = CurfewConfig.bool(at + ".busy_is_activity", t.path("busy_is_activity"), true);
      try {
        targets.add(new SshTarget(name, up.host(), up.port(), user, identity,
            knownHosts == null ? null : Path.of(knownHosts), pinned, policy, busy));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(at + ".name", e.getMessage());
      }
    }
    return new SshConfig(l.host(), l.port(), hostKey, record, targets);
  }

  private static String required(String key, JsonNode n) {
    String v = CurfewConfig.string(key, n, null);
    if (v == null || v.isBlank()) throw new ConfigException(key, "required");
    return v;
  }

  /** {@code host:port}; {@code [v6]:port} for an IPv6 literal. */
  record HostPort(String host, int port) {
    static HostPort parse(String key, String text, boolean portZeroAllowed) {
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || colon == text.length() - 1) throw new ConfigException(key, "must be host:port, not \"" + text + "\"");
      String host = text.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
      int port;
      try {
        port = Integer.parseInt(text.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new ConfigException(key, "port must be a number, not \"" + text.substring(colon + 1) + "\"");
      }
      if (port < (portZeroAllowed ? 0 : 1) || port > 65_535) throw new ConfigException(key, "port out of range: " + port);
      return new HostPort(host, port);
    }
  }
}

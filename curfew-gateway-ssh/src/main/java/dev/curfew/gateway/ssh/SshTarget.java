package dev.curfew.gateway.ssh;

import dev.curfew.core.Audience;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One host the SSH gateway logs in to (the {@code ssh.targets} entries of spec/protocol-gateways.md):
 * Curfew's own login there ({@code user} with the private key in {@code identityFile}), and how the
 * target's host key is checked: an OpenSSH {@code known_hosts} file, or one pinned public key in
 * OpenSSH form ({@code ssh-ed25519 AAAA...}). A target without either is refused at start: the
 * gateway never trusts a host key it was not told.
 *
 * @param policy the policy the sessions opened for this target must be under: a session under another
 *     one is refused at login ({@code wrong_policy}); the server's configuration names the default
 *     policy when the target names none; null here: not checked
 * @param busyIsActivity whether a running {@code exec} command keeps the session active
 *     (spec/protocol-gateways.md: work the client started and waits for counts, unless turned off)
 */
public record SshTarget(
    String name,
    String host,
    int port,
    String user,
    Path identityFile,
    Path knownHostsFile,
    String hostKey,
    String policy,
    boolean busyIsActivity) {

  /** Target names are what clients type after the last {@code @}: no {@code @}, no spaces. */
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  public SshTarget {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("name must be 1-64 letters, digits, '.', '_' or '-', the first a letter or digit: " + name);
    }
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) throw new IllegalArgumentException("upstream host is empty");
    if (port < 1 || port > 65_535) throw new IllegalArgumentException("upstream port out of range: " + port);
    Objects.requireNonNull(user, "user");
    if (user.isBlank()) throw new IllegalArgumentException("user is empty");
    Objects.requireNonNull(identityFile, "identityFile");
    if (knownHostsFile == null && (hostKey == null || hostKey.isBlank())) {
      throw new IllegalArgumentException("target " + name + " needs known_hosts or host_key to check the upstream's host key");
    }
  }

  /**
   * The place a session must name to log in here (spec/protocol-gateways.md: {@code ssh:build-box});
   * a name is already a valid audience entry.
   */
  public Audience audience() {
    return Audience.of("ssh:" + name);
  }

  /** The upstream as {@code host:port}, for messages. */
  public String upstream() {
    return host + ":" + port;
  }
}

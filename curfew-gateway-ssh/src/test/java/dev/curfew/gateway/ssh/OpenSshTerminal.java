package dev.curfew.gateway.ssh;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Debian's OpenSSH client in a pseudo-terminal ({@code script} gives it one), with the token typed
 * by {@code sshpass}: what a person at a terminal does, and everything the terminal shows. OpenSSH's
 * own order of methods applies (keyboard-interactive, then password) unless {@code sshArgs} choose.
 */
public final class OpenSshTerminal implements AutoCloseable {
  private final Process process;
  private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
  private final OutputStream keys;

  private OpenSshTerminal(Process process) {
    this.process = process;
    this.keys = process.getOutputStream();
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[8192];
      try (InputStream in = process.getInputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          synchronized (seen) {
            seen.write(buf, 0, n);
          }
        }
      } catch (IOException e) {
        // the process ended
      }
    }, "openssh-terminal-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** {@code ssh -tt} to the gateway as {@code login}, with {@code sshArgs} before the destination. */
  public static OpenSshTerminal open(int port, String login, String token, List<String> sshArgs, String remoteCommand)
      throws IOException {
    return open(port, login, token, sshArgs, remoteCommand, Map.of());
  }

  /** As above, with {@code env} added to the client's environment (a {@code DISPLAY}, say). */
  public static OpenSshTerminal open(int port, String login, String token, List<String> sshArgs, String remoteCommand,
      Map<String, String> env) throws IOException {
    List<String> ssh = new ArrayList<>(List.of("sshpass", "-e", "ssh", "-tt", "-p", Integer.toString(port),
        "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1"));
    ssh.addAll(sshArgs);
    ssh.add(login + "@127.0.0.1");
    if (remoteCommand != null) ssh.add(remoteCommand);
    String line = String.join(" ", ssh.stream().map(OpenSshTerminal::quote).toList()) + "; echo \"[ssh exit $?]\"";
    ProcessBuilder pb = new ProcessBuilder("script", "-q", "-f", "-e", "-c", line, "/dev/null").redirectErrorStream(true);
    pb.environment().put("SSHPASS", token);
    pb.environment().put("TERM", "xterm");
    pb.environment().putAll(env);
    return new OpenSshTerminal(pb.start());
  }

  static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  public void type(String text) throws IOException {
    keys.write(text.getBytes(StandardCharsets.UTF_8));
    keys.flush();
  }

  /** Everything the terminal showed so far. */
  public String screen() {
    synchronized (seen) {
      return seen.toString(StandardCharsets.UTF_8);
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  public boolean waitFor(long seconds) throws InterruptedException {
    return process.waitFor(seconds, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
  }
}

package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.channel.ChannelAsyncOutputStream;
import org.apache.sshd.common.channel.PtyMode;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.server.channel.ChannelSession;

/**
 * A client's session channel on the gateway: MINA SSHD's channel, with the requests the relay needs
 * kept (the PTY request, accepted environment variables, window changes relayed at once), and
 * everything that would open a path around the session refused: agent and X11 forwarding and
 * subsystems. Terminal sizes are clamped, so a client announcing a huge window cannot make the
 * target or a recording allocate for it.
 */
final class RelayChannelSession extends ChannelSession {
  /** Terminal cells per side and pixels per side passed on; beyond them the value is clamped. */
  static final int MAX_CELLS = 10_000;
  static final int MAX_PIXELS = 100_000;
  /** Environment variables accepted per channel, and the longest value. */
  static final int MAX_ENV = 32;
  static final int MAX_ENV_VALUE_CHARS = 1_024;
  /** The variables passed on: locale only, as Debian's sshd accepts by default (AcceptEnv LANG LC_*). */
  private static final Pattern SAFE_ENV = Pattern.compile("LANG|LC_[A-Z]{1,20}");

  /** A client's PTY request, clamped. */
  record Pty(String term, int columns, int rows, int widthPx, int heightPx, Map<PtyMode, Integer> modes) {}

  private volatile Pty pty;
  private final Map<String, String> env = Collections.synchronizedMap(new LinkedHashMap<>());
  private volatile Relay relay;

  Pty pty() {
    return pty;
  }

  Map<String, String> acceptedEnv() {
    synchronized (env) {
      return Map.copyOf(env);
    }
  }

  void relay(Relay r) {
    this.relay = r;
  }

  @Override
  protected RequestHandler.Result handlePtyReqParsed(String term, int columns, int rows, int width, int height,
      Map<PtyMode, Integer> modes) throws IOException {
    if (pty != null || commandStarted.get()) return RequestHandler.Result.ReplyFailure;
    Map<PtyMode, Integer> kept = modes.isEmpty() ? Map.of() : new EnumMap<>(modes);
    String t = term == null || term.length() > 64 ? "xterm" : term;
    pty = new Pty(t, clamp(columns, MAX_CELLS), clamp(rows, MAX_CELLS), clamp(width, MAX_PIXELS),
        clamp(height, MAX_PIXELS), kept);
    return super.handlePtyReqParsed(t, pty.columns(), pty.rows(), pty.widthPx(), pty.heightPx(), kept);
  }

  @Override
  protected RequestHandler.Result handleEnvParsed(String name, String value) throws IOException {
    synchronized (env) {
      if (!SAFE_ENV.matcher(name).matches() || value.length() > MAX_ENV_VALUE_CHARS || env.size() >= MAX_ENV) {
        return RequestHandler.Result.ReplyFailure;
      }
      env.put(name, value);
    }
    return RequestHandler.Result.ReplySuccess;
  }

  @Override
  protected RequestHandler.Result handleWindowChangeParsed(int columns, int rows, int width, int height)
      throws IOException {
    Relay r = relay;
    if (r != null) r.windowChanged(clamp(columns, MAX_CELLS), clamp(rows, MAX_CELLS), clamp(width, MAX_PIXELS),
        clamp(height, MAX_PIXELS));
    return super.handleWindowChangeParsed(clamp(columns, MAX_CELLS), clamp(rows, MAX_CELLS), clamp(width, MAX_PIXELS),
        clamp(height, MAX_PIXELS));
  }

  /**
   * MINA SSHD 2.20.1 resumes only the standard output stream when the client opens its window: a write
   * on standard error that found the window full (the last line of a command flooding its output,
   * written to stderr) would wait forever. Both are resumed here, output first.
   */
  @Override
  public void handleWindowAdjust(Buffer buffer) throws IOException {
    super.handleWindowAdjust(buffer);
    ChannelAsyncOutputStream e = asyncErr;
    if (e != null) e.onWindowExpanded();
  }

  @Override
  protected RequestHandler.Result handleAgentForwardingParsed(String requestType) {
    return refused("agent_forwarding", requestType, Map.of());
  }

  @Override
  protected RequestHandler.Result handleX11ForwardingParsed(String requestType,
      org.apache.sshd.server.session.ServerSession session, boolean singleConnection, String authProtocol,
      String authCookie, int screenId) {
    // the cookie is a secret of the client's display: not recorded
    return refused("x11_forwarding", requestType, Map.of("screen", (long) screenId));
  }

  @Override
  protected RequestHandler.Result handleSubsystemParsed(String request, String subsystem) {
    return refused("subsystem", request, Map.of("subsystem", subsystem == null ? "" : subsystem));
  }

  /** Refuses a request of this channel, recorded by its connection (bounded there). */
  private RequestHandler.Result refused(String why, String request, Map<String, Object> details) {
    SshGateway.connection(getServerSession()).refusedRequest(why, request, details);
    return RequestHandler.Result.ReplyFailure;
  }

  /**
   * Tells the client the command ended on a signal (RFC 4254 section 6.10: signal name without
   * "SIG", core dumped, message, language tag), as the end of a session does with {@code HUP}.
   */
  void sendExitSignal(String signal, String message) throws IOException {
    Buffer b = getSession().createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST, 64 + message.length());
    b.putUInt(getRecipient());
    b.putString("exit-signal");
    b.putBoolean(false);
    b.putString(signal);
    b.putBoolean(false);
    b.putString(message);
    b.putString("en");
    writePacket(b);
  }

  private static int clamp(int value, int max) {
    return value < 0 ? 0 : Math.min(value, max);
  }
}

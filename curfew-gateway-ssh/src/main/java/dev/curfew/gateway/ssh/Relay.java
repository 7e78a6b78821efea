package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.PtyCapableChannelSession;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.PtyChannelConfiguration;
import org.apache.sshd.common.io.IoInputStream;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.AsyncCommand;

/**
 * One client channel relayed to one channel on the target: a shell or an {@code exec} command, with
 * the client's PTY request (term, size, modes), accepted environment and window changes.
 *
 * <p>Three pumps, all asynchronous, each with one read or write outstanding: client input to the
 * target (each batch first passes the session's {@link ActivityGate}: keystrokes are the activity
 * that moves the idle clock), and the target's output and error streams to the client (never
 * activity). A pump reads its next buffer only when the previous one was written, so a side that
 * stops reading stops the other through the SSH windows, with nothing buffered beyond one read.
 */
final class Relay implements AsyncCommand {
  /** The most one read takes from a stream; also the largest buffer held per pump. */
  static final int READ_BYTES = 32 * 1024;

  private final GatewayConnection connection;
  private final String command; // null: a shell
  private final int number;
  private IoInputStream clientIn;
  private IoOutputStream clientOut;
  private IoOutputStream clientErr;
  private ExitCallback exit;
  private RelayChannelSession channel;
  private TerminalWriter out;
  private TerminalWriter err;
  private volatile PtyCapableChannelSession upstream;
  private volatile Recording recording;
  private volatile GatewayConnection.BusyTicks busyTicks;
  /** Output stream ends and the target channel's close still to come before the relay finishes. */
  private final AtomicInteger endsToCome = new AtomicInteger(3);
  private final AtomicBoolean finished = new AtomicBoolean();
  private final AtomicBoolean ending = new AtomicBoolean();

  Relay(GatewayConnection connection, String command, int number) {
    this.connection = connection;
    this.command = command;
    this.number = number;
  }

  int number() {
    return number;
  }

  @Override
  public void setIoInputStream(IoInputStream in) {
    this.clientIn = in;
  }

  @Override
  public void setIoOutputStream(IoOutputStream out) {
    this.clientOut = out;
  }

  @Override
  public void setIoErrorStream(IoOutputStream err) {
    this.clientErr = err;
  }

  @Override
  public void setInputStream(InputStream in) {
    // the asynchronous streams above are used
  }

  @Override
  public void setOutputStream(OutputStream out) {
    // the asynchronous streams above are used
  }

  @Override
  public void setErrorStream(OutputStream err) {
    // the asynchronous streams above are used
  }

  @Override
  public void setExitCallback(ExitCallback callback) {
    this.exit = callback;
  }

  @Override
  public void start(ChannelSession ch, Environment env) throws IOException {
    channel = (RelayChannelSession) ch;
    channel.relay(this);
    // What reaches the client's terminal is recorded when it is handed to the channel, in that order.
    out = new TerminalWriter(clientOut, this::record);
    err = new TerminalWriter(clientErr, this::record);
    if (!connection.relayStarted(this)) {
      finish(1, "curfew: too many channels on this connection");
      return;
    }
    // Asking for a shell or a command is what a person does: it counts as activity.
    connection.activity(0).thenAccept(ok -> {
      if (ok) open();
    });
  }

  private void open() {
    RelayChannelSession.Pty pty = channel.pty();
    PtyChannelConfiguration cfg = new PtyChannelConfiguration();
    if (pty != null) {
      cfg.setPtyType(pty.term());
      cfg.setPtyColumns(pty.columns());
      cfg.setPtyLines(pty.rows());
      cfg.setPtyWidth(pty.widthPx());
      cfg.setPtyHeight(pty.heightPx());
      cfg.setPtyModes(pty.modes());
    }
    Map<String, String> env = channel.acceptedEnv();
    try {
      ClientSession target = connection.upstream();
      PtyCapableChannelSession up = command == null ? target.createShellChannel(cfg, env)
          : target.createExecChannel(command, cfg, env);
      up.setUsePty(pty != null);
      up.setStreaming(ClientChannel.Streaming.Async);
      recording = connection.startRecording(this, pty);
      upstream = up;
      up.open().addListener(f -> {
        if (f.isOpened()) {
          opened(up);
        } else {
          finish(255, "curfew: the target refused the channel");
        }
      });
    } catch (IOException | RuntimeException e) {
      finish(255, "curfew: the target refused the channel");
    }
  }

  private void opened(PtyCapableChannelSession up) {
    pumpOutput(up.getAsyncOut(), out);
    pumpOutput(up.getAsyncErr(), err);
    pumpInput(up);
    up.addCloseFutureListener(f -> outputEnded());
    if (command != null) busyTicks = connection.keepBusy();
  }

  /** Client to target: each batch passes the gate first (a keystroke is activity). */
  private void pumpInput(PtyCapableChannelSession up) {
    ByteArrayBuffer buf = new ByteArrayBuffer(READ_BYTES, false);
    clientIn.read(buf).addListener(f -> {
      if (f.getException() != null) {
        closeInput(up); // the client sent EOF or went away
        return;
      }
      byte[] bytes = buf.getCompactData();
      connection.activity(bytes.length).thenAccept(ok -> {
        if (!ok) return; // the connection is ending: the gate said why
        try {
          up.getAsyncIn().writeBuffer(new ByteArrayBuffer(bytes)).addListener(w -> {
            if (w.isWritten()) pumpInput(up);
          });
        } catch (IOException | RuntimeException e) {
          closeInput(up);
        }
      });
    });
  }

  private static void closeInput(PtyCapableChannelSession up) {
    IoOutputStream in = up.getAsyncIn();
    if (in != null) in.close(false); // a graceful close sends EOF after the pending write
  }

  /**
   * Target to client: output is never activity. Once the session is ending nothing more is read or
   * passed on: the target's output must not starve the last line (see {@link #end}).
   */
  private void pumpOutput(IoInputStream from, TerminalWriter to) {
    if (from == null) {
      outputEnded();
      return;
    }
    if (ending.get()) return;
    ByteArrayBuffer buf = new ByteArrayBuffer(READ_BYTES, false);
    from.read(buf).addListener(f -> {
      if (f.getException() != null) {
        outputEnded();
        return;
      }
      if (ending.get()) return; // read as the end began: dropped
      byte[] bytes = buf.getCompactData();
      connection.output(bytes.length);
      to.write(bytes).whenComplete((v, e) -> {
        if (e == null) pumpOutput(from, to);
        else outputEnded();
      });
    });
  }

  /** Output only: input would put what people type where a terminal hides it (passwords) into the file. */
  private void record(byte[] bytes) {
    Recording r = recording;
    if (r == null) return;
    try {
      r.output(bytes, System.nanoTime());
    } catch (IOException e) {
      connection.recordingFailed(this, e);
    }
  }

  /**
   * Called at the end of each output stream and at the target channel's close: after all three, every
   * byte of output was written to the client and the exit status is known, so the relay finishes.
   */
  private void outputEnded() {
    if (endsToCome.decrementAndGet() != 0) return;
    if (ending.get()) return;
    PtyCapableChannelSession up = upstream;
    Integer status = up == null ? null : up.getExitStatus();
    String signal = up == null ? null : up.getExitSignal();
    if (signal != null && status == null) {
      finishOnSignal(signal);
    } else {
      finish(status == null ? 255 : status, null);
    }
  }

  void windowChanged(int columns, int rows, int widthPx, int heightPx) {
    PtyCapableChannelSession up = upstream;
    if (up == null || !up.isUsePty() || !up.isOpen()) return;
    Recording r = recording;
    if (r != null) {
      try {
        r.resize(columns, rows, System.nanoTime());
      } catch (IOException e) {
        connection.recordingFailed(this, e);
      }
    }
    try {
      up.sendWindowChange(columns, rows, heightPx, widthPx);
    } catch (IOException e) {
      // the channel is closing; its close ends the relay
    }
  }

  /** The session's warning, on its own line: on the terminal, or on stderr of a command without one. */
  void say(String text) {
    if (finished.get()) return;
    terminal().write(text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The session ended: the target's output stops first (nothing more is read from the target's channel,
   * and what was read but not yet handed to the client is dropped), so that under a flood of output
   * the last line naming the reason is next on the client's channel after at most the one write the
   * channel already holds; then exit-signal {@code HUP}, the channel closed; the command on the target
   * is cut with its channel. Completes when the client was told (or could not be).
   */
  CompletableFuture<Void> end(String reason) {
    if (!ending.compareAndSet(false, true) || finished.get()) return CompletableFuture.completedFuture(null);
    // Atomically on each stream: what is queued is dropped, the line goes next, nothing after it.
    byte[] line = TerminalText.endLine(reason).getBytes(StandardCharsets.UTF_8);
    TerminalWriter terminal = terminal();
    (terminal == out ? err : out).last(null);
    return terminal.last(line).handle((v, e) -> {
      try {
        channel.sendExitSignal("HUP", TerminalText.disconnectText(reason));
      } catch (IOException ignored) {
        // the client is gone; the disconnect follows anyway
      }
      stop();
      channel.close(false);
      return null;
    });
  }

  private TerminalWriter terminal() {
    return channel.pty() != null || command == null ? out : err;
  }

  private void finishOnSignal(String signal) {
    if (!finished.compareAndSet(false, true)) return;
    stop();
    try {
      channel.sendExitSignal(signal, "");
    } catch (IOException ignored) {
      // the client is gone
    }
    channel.close(false);
  }

  private void finish(int status, String message) {
    if (!finished.compareAndSet(false, true)) return;
    stop();
    CompletableFuture<Void> said = message == null ? CompletableFuture.completedFuture(null)
        : err.write((message + "\r\n").getBytes(StandardCharsets.UTF_8));
    said.whenComplete((v, e) -> {
      ExitCallback cb = exit;
      if (cb != null) cb.onExit(status);
    });
  }

  /** Stops the busy ticks, closes the target's channel and the recording; safe to call again. */
  void stop() {
    finished.set(true);
    GatewayConnection.BusyTicks t = busyTicks;
    if (t != null) t.cancel();
    PtyCapableChannelSession up = upstream;
    if (up != null) up.close(false);
    connection.relayStopped(this);
  }

  /** Closes the recording and answers its file name and SHA-256, or null when not recorded. */
  Map<String, Object> finishRecording() {
    Recording r = recording;
    if (r == null) return null;
    try {
      return Map.of("file", r.file().getFileName().toString(), "sha256", r.finish());
    } catch (IOException e) {
      connection.recordingFailed(this, e);
      return null;
    }
  }

  @Override
  public void destroy(ChannelSession ch) {
    stop();
  }
}

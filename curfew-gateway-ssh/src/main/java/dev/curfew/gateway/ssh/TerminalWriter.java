package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * Writes to one of a client channel's streams in order. MINA SSHD's asynchronous channel stream
 * takes one write at a time (a second one while the first is pending is an error), while the relay
 * and the session's warning and end lines write independently: this queues them. The relay waits
 * for its own write before it reads more from the target, so the queue holds at most one relay
 * buffer plus a few lines, however slowly the client reads.
 *
 * <p>{@code handedOff} sees each write's bytes when they are handed to the channel (in the order the
 * client gets them): that is what the recording records, so what {@link #last} drops (the target's
 * output queued behind the session's end) is in neither the terminal nor the recording.
 */
final class TerminalWriter {
  private final IoOutputStream out;
  private final Consumer<byte[]> handedOff;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private boolean writing;
  private boolean failed;
  private boolean sealed; // the last write was queued: later ones are refused

  private record Pending(byte[] bytes, CompletableFuture<Void> done) {}

  TerminalWriter(IoOutputStream out) {
    this(out, bytes -> {});
  }

  TerminalWriter(IoOutputStream out, Consumer<byte[]> handedOff) {
    this.out = out;
    this.handedOff = handedOff;
  }

  /**
   * The last write, at once: every write still queued is dropped (not the one being written, which the
   * channel already holds; their futures fail with a {@link CancellationException}), {@code bytes}
   * (none when null) is queued next, and every later write is refused. The end of a session calls this
   * so that its last line does not wait behind the target's output, nor output follow it.
   */
  CompletableFuture<Void> last(byte[] bytes) {
    java.util.List<Pending> dropped;
    CompletableFuture<Void> done = new CompletableFuture<>();
    boolean start = false;
    synchronized (this) {
      sealed = true;
      dropped = new java.util.ArrayList<>(queue);
      queue.clear();
      if (bytes == null) {
        done.complete(null);
      } else if (failed || out.isClosing() || out.isClosed()) {
        done.completeExceptionally(new IOException("channel closed"));
      } else {
        queue.add(new Pending(bytes, done));
        start = !writing;
        if (start) writing = true;
      }
    }
    for (Pending p : dropped) p.done.completeExceptionally(new CancellationException("dropped at the end"));
    if (start) next();
    return done;
  }

  /** Completes when {@code bytes} have been handed to the connection; fails when the stream is closed. */
  CompletableFuture<Void> write(byte[] bytes) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    boolean start;
    synchronized (this) {
      if (sealed || failed || out.isClosing() || out.isClosed()) {
        done.completeExceptionally(new IOException("channel closed"));
        return done;
      }
      queue.add(new Pending(bytes, done));
      start = !writing;
      if (start) writing = true;
    }
    if (start) next();
    return done;
  }

  private void next() {
    Pending p;
    synchronized (this) {
      p = queue.poll();
      if (p == null) {
        writing = false;
        return;
      }
    }
    IoWriteFuture f;
    try {
      handedOff.accept(p.bytes);
      f = out.writeBuffer(new ByteArrayBuffer(p.bytes));
    } catch (IOException | RuntimeException e) {
      fail(p, e);
      return;
    }
    f.addListener(w -> {
      if (w.isWritten()) {
        p.done.complete(null);
        next();
      } else {
        fail(p, w.getException() == null ? new IOException("write not done") : w.getException());
      }
    });
  }

  private void fail(Pending first, Throwable e) {
    java.util.List<Pending> rest;
    synchronized (this) {
      failed = true;
      writing = false;
      rest = new java.util.ArrayList<>(queue);
      queue.clear();
    }
    first.done.completeExceptionally(e);
    for (Pending p : rest) p.done.completeExceptionally(e);
  }
}

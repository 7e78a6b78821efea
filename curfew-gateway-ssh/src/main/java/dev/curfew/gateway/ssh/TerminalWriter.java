package dev.curfew.gateway.ssh;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * Writes to one of a client channel's streams in order. MINA SSHD's asynchronous channel stream
 * takes one write at a time (a second one while the first is pending is an error), while the relay
 * and the session's warning and end lines write independently: this queues them. The relay waits
 * for its own write before it reads more from the target, so the queue holds at most one relay
 * buffer plus a few lines, however slowly the client reads.
 */
final class TerminalWriter {
  private final IoOutputStream out;
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private boolean writing;
  private boolean failed;

  private record Pending(byte[] bytes, CompletableFuture<Void> done) {}

  TerminalWriter(IoOutputStream out) {
    this.out = out;
  }

  /** Completes when {@code bytes} have been handed to the connection; fails when the stream is closed. */
  CompletableFuture<Void> write(byte[] bytes) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    boolean start;
    synchronized (this) {
      if (failed || out.isClosing() || out.isClosed()) {
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

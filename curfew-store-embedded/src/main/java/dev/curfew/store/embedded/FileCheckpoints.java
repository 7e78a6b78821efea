package dev.curfew.store.embedded;

import dev.curfew.core.AuditProofs;
import dev.curfew.core.audit.Checkpoint;
import dev.curfew.core.audit.CheckpointLine;
import dev.curfew.core.audit.Checkpointer;
import dev.curfew.core.audit.Witnesses;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The checkpoints file of the audit log, audit/checkpoints.jsonl (the part of {@link AuditTrail}
 * that signs; signing and the latest checkpoint are core's {@link Checkpointer}, as for the log in
 * PostgreSQL): one {@link CheckpointLine} per line, forced before it counts, its torn last line
 * cut at open. With witnesses, each new checkpoint is submitted to them before its line is
 * written, so that the line's note carries the cosignatures obtained; one offered again that
 * gains cosignatures is one more line of the same tree size. Thread-safe (one checkpoint at a
 * time).
 */
final class FileCheckpoints {
  /** What is to be signed next: null when the tree still has {@code lastSize} leaves. */
  @FunctionalInterface
  interface Source {
    Checkpoint next(long lastSize) throws IOException;
  }

  private final Checkpointer rule;
  private final Witnesses witnesses;
  private FileChannel file; // guarded by this; null once closed

  private FileCheckpoints(Checkpointer rule, Witnesses witnesses) {
    this.rule = rule;
    this.witnesses = witnesses;
  }

  /** Opens the file (cutting a torn last line from a crash mid-write) and reads the latest checkpoint. */
  static FileCheckpoints open(AuditFiles files, Checkpointer rule, Witnesses witnesses) throws IOException {
    FileCheckpoints c = new FileCheckpoints(rule, witnesses);
    Path f = files.checkpointsFile();
    List<String> lines = files.checkpointLines(Long.MAX_VALUE);
    long complete = 0;
    for (String l : lines) complete += l.getBytes(StandardCharsets.UTF_8).length + 1L;
    synchronized (c) {
      c.file = PrivateFiles.openAppend(f);
      if (c.file.size() > complete) { // a torn last line from a crash mid-write
        c.file.truncate(complete);
        c.file.force(true);
      }
      PrivateFiles.forceDirectory(files.auditDir());
      if (!lines.isEmpty()) {
        CheckpointLine last = CheckpointLine.parse(lines.get(lines.size() - 1));
        rule.opened(new Checkpointer.Signed(last.treeSize(), last.note()));
      }
    }
    return c;
  }

  /** The latest checkpoint note, or null before the first. */
  String latestNote() {
    return rule.latestNote();
  }

  /** The tree size of the latest checkpoint, -1 before the first. */
  long latestSize() {
    return rule.latestSize();
  }

  /**
   * Signs what {@code source} gives (unless nothing is new), has the witnesses cosign it (their
   * own timeouts bound the wait; one that fails is left out, never blocks the log), writes and
   * forces its line; returns the latest checkpoint note.
   */
  synchronized String checkpoint(Source source, AuditProofs proofs) throws IOException {
    if (file == null) throw new IllegalStateException("audit trail is closed");
    Checkpoint cp = source.next(rule.latestSize());
    if (cp == null) return rule.latestNote();
    String note = witnesses.cosign(rule.sign(cp).note(), cp, proofs);
    writeLine(new CheckpointLine(cp.treeSize(), note));
    rule.published(new Checkpointer.Signed(cp.treeSize(), note));
    return note;
  }

  /** Whether the latest checkpoint lacks a witness's cosignature. */
  boolean lacksCosignatures() {
    return rule.lacksCosignatures(witnesses);
  }

  /**
   * Offers the latest checkpoint to the witnesses that have not cosigned it (one was down when it
   * was written, and no record came since); what they add is written as one more line of the same
   * tree size, which the verifier reads as the same checkpoint, now with more cosignatures.
   */
  synchronized void cosignLatestAgain(AuditProofs proofs) throws IOException {
    String before = rule.latestNote();
    if (file == null || before == null) return;
    Checkpoint cp = Checkpoint.parse(rule.verifier().verify(before).textOrThrow());
    String after = witnesses.cosign(before, cp, proofs);
    if (after.equals(before)) return;
    writeLine(new CheckpointLine(cp.treeSize(), after));
    rule.cosigned(cp.treeSize(), after);
  }

  /** Appends one line to the checkpoints file and forces it; under this. */
  private void writeLine(CheckpointLine cl) throws IOException {
    byte[] line = (cl.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
    long before = file.size();
    try {
      ByteBuffer b = ByteBuffer.wrap(line);
      while (b.hasRemaining()) file.write(b);
      file.force(false);
    } catch (IOException e) {
      // a line cut short by a full disk must not stay in front of the next one
      try {
        file.truncate(before);
      } catch (IOException again) {
        e.addSuppressed(again);
      }
      throw e;
    }
  }

  synchronized void close() throws IOException {
    try {
      if (file != null) file.close();
    } finally {
      file = null;
    }
  }
}
